"""Sending mail: SMTP submission (stdlib smtplib, our rules on top) and the draft flow."""

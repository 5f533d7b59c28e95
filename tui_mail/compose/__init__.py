"""Writing mail: drafts, the editor file, replies and forwards, and the MIME we send.

No Textual and no network here: the UI hands the editor a file, the SMTP layer sends bytes.
"""

"""The test suite; helpers are imported one way, as ``tests.NAME`` (e.g. ``tests.dovecot``)."""

"""SMTP submission (aiosmtplib): TLS, SASL inside TLS, DSN, per-recipient outcomes."""

"""Network protocols and third-party formats (IMAP, SMTP, LDAP, XDM, CDA, whitelist)."""

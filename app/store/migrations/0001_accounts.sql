-- Accounts: one row per mailbox. No secret here (passwords live in the keyring or the secret table).
CREATE TABLE account (
    id            INTEGER PRIMARY KEY,
    address       TEXT NOT NULL COLLATE NOCASE,
    login         TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('PER', 'ORG', 'APP')),
    imap_host     TEXT NOT NULL,
    imap_port     INTEGER NOT NULL CHECK (imap_port BETWEEN 1 AND 65535),
    imap_tls      TEXT NOT NULL CHECK (imap_tls IN ('starttls', 'implicit')),
    smtp_host     TEXT NOT NULL,
    smtp_port     INTEGER NOT NULL CHECK (smtp_port BETWEEN 1 AND 65535),
    smtp_tls      TEXT NOT NULL CHECK (smtp_tls IN ('starttls', 'implicit')),
    auth          TEXT NOT NULL CHECK (auth IN ('password', 'psc', 'certificate')),
    display_name  TEXT,
    ca_file       TEXT,
    certificate   TEXT,
    national_id   TEXT,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (address, login)
);

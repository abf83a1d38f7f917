-- The mailbox quota the server last reported (IMAP QUOTA, RFC 9208), one row per account.
-- Bytes for storage, a count for messages; NULL when the server does not give that resource.
CREATE TABLE account_quota (
    account_id      INTEGER PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
    root            TEXT NOT NULL DEFAULT '',
    storage_used    INTEGER,
    storage_limit   INTEGER,
    messages_used   INTEGER,
    messages_limit  INTEGER,
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Folders, messages, raw bodies, attachments, full-text index and the queue of offline changes.
-- Everything lives inside the encrypted database: no message byte ever reaches a plaintext file.

-- One row per IMAP folder of an account. uidvalidity/uidnext/highestmodseq are the server state
-- as of the last *completed* header pass (so a killed sync simply redoes the diff).
CREATE TABLE folder (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    delimiter      TEXT,
    special_use    TEXT,
    attributes     TEXT NOT NULL DEFAULT '',
    uidvalidity    INTEGER,
    uidnext        INTEGER,
    highestmodseq  INTEGER,
    sync_state     TEXT NOT NULL DEFAULT 'new'
                   CHECK (sync_state IN ('new', 'headers', 'complete')),
    last_synced_at TEXT,
    UNIQUE (account_id, name)
);

-- One row per message copy in a folder. uid is NULL for a local-only copy (moved offline, not yet
-- seen again on the server). fts_rowid orders the full-text index by date (see message_store).
CREATE TABLE message (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    folder_id        INTEGER NOT NULL REFERENCES folder(id) ON DELETE CASCADE,
    uid              INTEGER,
    message_id       TEXT,
    date             INTEGER NOT NULL DEFAULT 0,
    internaldate     INTEGER,
    from_name        TEXT NOT NULL DEFAULT '',
    from_addr        TEXT NOT NULL DEFAULT '',
    to_display       TEXT NOT NULL DEFAULT '',
    to_addrs         TEXT NOT NULL DEFAULT '',
    cc_display       TEXT NOT NULL DEFAULT '',
    cc_addrs         TEXT NOT NULL DEFAULT '',
    subject          TEXT NOT NULL DEFAULT '',
    flags            TEXT NOT NULL DEFAULT '',
    size             INTEGER NOT NULL DEFAULT 0,
    has_attachments  INTEGER NOT NULL DEFAULT 0,
    is_xdm           INTEGER NOT NULL DEFAULT 0,
    modseq           INTEGER,
    state            TEXT NOT NULL DEFAULT 'headers_only'
                     CHECK (state IN ('headers_only', 'complete', 'broken')),
    broken_reason    TEXT,
    fts_rowid        INTEGER NOT NULL UNIQUE,
    UNIQUE (folder_id, uid)
);
CREATE INDEX message_folder_date ON message (folder_id, date DESC);
CREATE INDEX message_account_date ON message (account_id, date DESC);
CREATE INDEX message_message_id ON message (message_id);
CREATE INDEX message_folder_state ON message (folder_id, state);

-- The raw RFC 5322 bytes as received. codec: 'none' or 'zlib' (small text-heavy messages only:
-- compressing big base64 attachments costs more time than the few bytes it saves).
CREATE TABLE message_raw (
    message_id  INTEGER PRIMARY KEY REFERENCES message(id) ON DELETE CASCADE,
    codec       TEXT NOT NULL CHECK (codec IN ('none', 'zlib')),
    data        BLOB NOT NULL
);

CREATE TABLE attachment (
    message_id  INTEGER NOT NULL REFERENCES message(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;

-- Contentless: the text lives (encrypted) in message/message_raw only; the index keeps tokens.
CREATE VIRTUAL TABLE message_fts USING fts5 (
    subject, people, body, attachments,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Changes made locally (possibly offline), replayed in id order on the next connection.
-- uid/uidvalidity say which server copy they target; message_header_id lets the replay find the
-- copy again after a UIDVALIDITY change.
CREATE TABLE pending_change (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    folder_name        TEXT NOT NULL,
    uid                INTEGER,
    uidvalidity        INTEGER,
    message_header_id  TEXT,
    kind               TEXT NOT NULL
                       CHECK (kind IN ('add_flags', 'remove_flags', 'move', 'delete')),
    argument           TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    attempts           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pending_change_account ON pending_change (account_id, id);

-- Keep the index in step with every way a message row disappears (folder/account cascades too).
CREATE TRIGGER message_fts_cleanup AFTER DELETE ON message BEGIN
    DELETE FROM message_fts WHERE rowid = old.fts_rowid;
END;

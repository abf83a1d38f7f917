-- Sending (issue 4): the durable outbox, drafts, the last good whitelist, send settings, and the
-- audit of confirmed whitelist exceptions. Bodies live here only, inside the encrypted store.

-- One row per message to send. ``state`` follows draft -> queued -> submitting -> submitted ->
-- filed, with retry_wait (transient failure, retried at ``not_before``) and failed (nothing left
-- to try). ``end_of_data_sent`` is the point of no return: set, committed, just before the final
-- "." of SMTP DATA (see app/services/outbox_service.py for the never-a-second-copy rule).
CREATE TABLE outbox_item (
    id                INTEGER PRIMARY KEY,
    account_address   TEXT NOT NULL,
    account_login     TEXT NOT NULL,
    message_id        TEXT NOT NULL UNIQUE,
    envelope_from     TEXT NOT NULL,
    subject           TEXT NOT NULL DEFAULT '',
    size              INTEGER NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('queued', 'submitting', 'submitted',
                          'filed', 'failed', 'retry_wait', 'cancelled')),
    not_before        REAL NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    owner             TEXT,
    end_of_data_sent  INTEGER NOT NULL DEFAULT 0,
    unconfirmed       INTEGER NOT NULL DEFAULT 0,
    queue_id          TEXT,
    last_error        TEXT,
    request_dsn       INTEGER NOT NULL DEFAULT 1,
    created_at        REAL NOT NULL,
    updated_at        REAL NOT NULL,
    submitted_at      REAL,
    filed_at          REAL
);
CREATE INDEX outbox_item_due ON outbox_item (state, not_before);

-- The message bytes, apart: SQLite rewrites a whole row on UPDATE, and the state row changes
-- several times per submission while the message may weigh tens of megabytes.
CREATE TABLE outbox_message (
    item_id  INTEGER PRIMARY KEY REFERENCES outbox_item (id) ON DELETE CASCADE,
    raw      BLOB NOT NULL
);

-- Per-recipient outcome: pending until the server answers RCPT (and DATA), then accepted, failed
-- (permanent, 5xx) or deferred (4xx, retried).
CREATE TABLE outbox_recipient (
    item_id   INTEGER NOT NULL REFERENCES outbox_item (id) ON DELETE CASCADE,
    address   TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('to', 'cc', 'bcc')),
    status    TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'failed', 'deferred')),
    code      INTEGER,
    detail    TEXT,
    PRIMARY KEY (item_id, address)
);

-- Drafts being written, autosaved (JSON payload: recipients, subject, text, attachment bytes in
-- base64). Encrypted with the rest of the store.
CREATE TABLE draft (
    id               INTEGER PRIMARY KEY,
    account_address  TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       REAL NOT NULL,
    updated_at       REAL NOT NULL
);

-- The last good whitelist (checksum verified, parsed): one row.
CREATE TABLE whitelist_snapshot (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    xml           BLOB NOT NULL,
    sha256        TEXT NOT NULL,
    source        TEXT NOT NULL,
    generated_at  TEXT NOT NULL,
    fetched_at    REAL NOT NULL,
    domain_count  INTEGER NOT NULL
);

-- Named settings: administrator ones (whitelist.*) and per account (send.<address>.*).
CREATE TABLE setting (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;

-- Minimal audit of confirmed whitelist exceptions (until the audit issue brings its audit store):
-- who confirmed sending to which address outside the list, when, and why it was not listed.
CREATE TABLE whitelist_exception_audit (
    id         INTEGER PRIMARY KEY,
    at         REAL NOT NULL,
    account    TEXT NOT NULL,
    login      TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    message_id TEXT
);

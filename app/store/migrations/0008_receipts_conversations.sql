-- Receipts linked to sent messages, read-receipt (MDN) requests received, patient conversations.
-- Everything here is health data (who wrote to which patient, when) and stays in the encrypted
-- store.

-- One row per receipt (DSN or MDN) about one recipient of an outbox item.
CREATE TABLE outbox_receipt (
    id                  INTEGER PRIMARY KEY,
    item_id             INTEGER NOT NULL REFERENCES outbox_item (id) ON DELETE CASCADE,
    recipient           TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('dsn', 'mdn')),
    status              TEXT NOT NULL,  -- delivered, failed, delayed, processed, displayed, ...
    rfc_status          TEXT,           -- RFC 3463 code of a DSN line, e.g. 5.1.1
    error_code          INTEGER,        -- ANS integration error 900-906
    error_label         TEXT,
    receipt_message_id  TEXT,
    received_at         REAL NOT NULL,
    UNIQUE (item_id, recipient, kind, receipt_message_id)
);
CREATE INDEX outbox_receipt_item ON outbox_receipt (item_id);

-- Incoming messages already looked at for receipts, MDN requests and patient conversations, so
-- that a message whose headers then body arrive is handled once.
CREATE TABLE incoming_processed (
    message_ref  INTEGER PRIMARY KEY,
    processed_at REAL NOT NULL
);

-- Read receipts (MDN) asked of our mailboxes: queued (automatic, APP box or policy "always"),
-- pending (the user decides: policy "ask"), declined (policy "never" or RFC 8098 §2.1) or
-- failed.
CREATE TABLE mdn_request (
    id                  INTEGER PRIMARY KEY,
    account_address     TEXT NOT NULL,
    account_login       TEXT NOT NULL,
    message_ref         INTEGER,
    original_message_id TEXT NOT NULL,
    notify_address      TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('queued', 'pending', 'declined',
                            'failed')),
    reason              TEXT NOT NULL,
    outbox_item_id      INTEGER,
    created_at          REAL NOT NULL,
    UNIQUE (account_address, account_login, original_message_id)
);

-- Patient conversations (spec §5) and their messages by Message-ID.
CREATE TABLE patient_conversation (
    id                 TEXT PRIMARY KEY,
    mailbox            TEXT NOT NULL,
    patient_ins        TEXT NOT NULL,
    patient_address    TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('open', 'closed', 'blocked')),
    block_reason       TEXT,
    patient_initiated  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX patient_conversation_patient ON patient_conversation (mailbox, patient_address);

CREATE TABLE patient_conversation_message (
    conversation_id  TEXT NOT NULL REFERENCES patient_conversation (id) ON DELETE CASCADE,
    message_id       TEXT NOT NULL,
    position         INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, message_id)
);
CREATE INDEX patient_conversation_message_id ON patient_conversation_message (message_id);

-- Patients known to oppose exchanges by MSSanté (by INS matricule).
CREATE TABLE patient_opposition (
    ins          TEXT PRIMARY KEY,
    recorded_at  REAL NOT NULL
);

-- Confirmed whitelist exceptions now go to the audit trail (audit_event, action
-- whitelist_exception) with the recipient's domain only; the interim table kept full addresses.
DROP TABLE whitelist_exception_audit;

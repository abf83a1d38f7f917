-- The audit trail (ECO.4.1.1–2): one row per traced action of a mailbox. Never message content
-- (see app/domain/audit.py for what each column may hold and why).
--
-- No foreign key to account: removing an account must not cascade into (and be blocked by) its
-- trail; the mailbox address is kept as text. No CHECK on action either, so that a new action
-- kind does not need a table rebuild; app.domain.audit validates it before any INSERT.
CREATE TABLE audit_event (
    id                  INTEGER PRIMARY KEY,
    occurred_at         TEXT NOT NULL,
    utc_offset_minutes  INTEGER NOT NULL CHECK (utc_offset_minutes BETWEEN -1080 AND 1080),
    mailbox             TEXT NOT NULL,
    actor_login         TEXT NOT NULL,
    actor_national_id   TEXT,
    action              TEXT NOT NULL,
    outcome             TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    failure             TEXT,
    request             TEXT,
    response            TEXT,
    message_ref         INTEGER,
    attachment_index    INTEGER,
    recipient_count     INTEGER,
    recipient_domains   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_event_time ON audit_event (occurred_at);
CREATE INDEX audit_event_mailbox_time ON audit_event (mailbox, occurred_at);

-- Append-only: a trace is never rewritten.
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN
    SELECT RAISE(ABORT, 'audit trail is append-only');
END;

-- The only deletion allowed is the retention purge: rows older than six months.
CREATE TRIGGER audit_event_no_early_delete BEFORE DELETE ON audit_event
WHEN old.occurred_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-6 months')
BEGIN
    SELECT RAISE(ABORT, 'audit events are kept six months');
END;

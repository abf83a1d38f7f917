-- Text extracted in the background from PDF, CDA and IHE XDM attachments (the document indexer):
-- one row per message once it was looked at, so that no message is read twice. The text itself
-- goes into the contentless full-text index only (message_fts), never into a table.
CREATE TABLE document_index (
    message_id  INTEGER PRIMARY KEY REFERENCES message(id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('done', 'failed')),
    documents   INTEGER NOT NULL DEFAULT 0,
    chars       INTEGER NOT NULL DEFAULT 0,
    indexed_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

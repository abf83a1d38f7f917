-- Raw messages leave the database for encrypted pack files beside it (app/store/blob_store.py):
-- writing megabytes of base64 through SQLCipher pages (encrypt + HMAC every page, WAL then
-- checkpoint) was ~70 % of the store's time during an initial sync. A row keeps where the
-- AES-256-GCM record is and how to open it; the bytes themselves live in <db>-blobs/NNNNNN.pack.

-- One row per pack file. size: its committed end (bytes beyond it are the tail of a batch whose
-- transaction never committed, cut at the next write). dead: bytes of records no longer referenced
-- (a pack that is mostly dead is compacted).
CREATE TABLE blob_pack (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a stale reader cannot mistake a new pack
    size  INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
    dead  INTEGER NOT NULL DEFAULT 0 CHECK (dead >= 0)
);

-- The in-database form is kept aside until the store moves its rows into packs on the next open
-- (it needs the key, so it cannot be done in SQL); it is dropped once empty.
ALTER TABLE message_raw RENAME TO message_raw_legacy;

-- codec: 'none' or 'zlib' (small text-heavy messages), applied before encryption.
-- The record's GCM associated data binds it to (message_id, pack_id, start): records cannot be
-- swapped between messages or moved inside a pack without failing authentication.
CREATE TABLE message_raw (
    message_id  INTEGER PRIMARY KEY REFERENCES message(id) ON DELETE CASCADE,
    pack_id     INTEGER NOT NULL REFERENCES blob_pack(id),
    start       INTEGER NOT NULL CHECK (start >= 0),
    length      INTEGER NOT NULL CHECK (length >= 16),
    nonce       BLOB NOT NULL CHECK (length(nonce) = 12),
    codec       TEXT NOT NULL CHECK (codec IN ('none', 'zlib'))
);
CREATE INDEX message_raw_pack ON message_raw (pack_id, start);

-- Every way a reference disappears (message deleted, folder or account cascade, body replaced)
-- counts its bytes as dead in its pack.
CREATE TRIGGER message_raw_dead AFTER DELETE ON message_raw BEGIN
    UPDATE blob_pack SET dead = dead + old.length WHERE id = old.pack_id;
END;

-- Secrets kept inside the encrypted store when the profile runs with a key file (no OS keyring).
CREATE TABLE secret (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;

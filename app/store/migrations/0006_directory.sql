-- The offline copy of the national MSSanté directory (issue 6): the daily extraction
-- Extraction_Correspondance_MSSante, imported into the encrypted store.
--
-- Two identical table sets, "a" and "b". Searches read the set named by directory_state.active;
-- an import fills the other one (in several short transactions, so the database thread is never
-- held for the whole import) and then switches directory_state.active in one transaction. A
-- failed or interrupted import therefore never touches what searches read: the previous
-- directory stays in force until the switch commits. app/store/directory_store.py owns the
-- secondary indexes (dropped before a load, created after it: much faster than maintaining them
-- row by row).

CREATE TABLE directory_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    active       TEXT NOT NULL CHECK (active IN ('a', 'b')),
    imported_at  REAL,
    source_name  TEXT NOT NULL DEFAULT '',
    rows_read    INTEGER NOT NULL DEFAULT 0,
    entries      INTEGER NOT NULL DEFAULT 0,
    merged       INTEGER NOT NULL DEFAULT 0,
    bad_rows     INTEGER NOT NULL DEFAULT 0,
    report       TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO directory_state (id, active) VALUES (1, 'a');

-- One row per mailbox address. address_key is the address with its domain lower-cased: the
-- de-duplication key (a repeated address is merged into the first row, see extra_*).
CREATE TABLE directory_a_entry (
    id               INTEGER PRIMARY KEY,
    address          TEXT NOT NULL,
    address_key      TEXT NOT NULL UNIQUE,
    box_type         TEXT NOT NULL,
    civility         TEXT NOT NULL DEFAULT '',
    family_name      TEXT NOT NULL DEFAULT '',
    given_name       TEXT NOT NULL DEFAULT '',
    profession_code  TEXT NOT NULL DEFAULT '',
    profession       TEXT NOT NULL DEFAULT '',
    specialty_code   TEXT NOT NULL DEFAULT '',
    specialty        TEXT NOT NULL DEFAULT '',
    structure        TEXT NOT NULL DEFAULT '',
    service          TEXT NOT NULL DEFAULT '',
    street           TEXT NOT NULL DEFAULT '',
    postcode         TEXT NOT NULL DEFAULT '',
    city             TEXT NOT NULL DEFAULT '',
    department       TEXT NOT NULL DEFAULT '',
    rpps             TEXT NOT NULL DEFAULT '',
    adeli            TEXT NOT NULL DEFAULT '',
    national_id      TEXT NOT NULL DEFAULT '',
    id_type          TEXT NOT NULL DEFAULT '',
    structure_id     TEXT NOT NULL DEFAULT '',
    -- Other places of practice of the same address (merged duplicates), space-separated: they
    -- go into the full-text index with the first place, so every place finds the address.
    extra_structure  TEXT NOT NULL DEFAULT '',
    extra_city       TEXT NOT NULL DEFAULT '',
    extra_postcode   TEXT NOT NULL DEFAULT '',
    extra_department TEXT NOT NULL DEFAULT ''
);
-- Contentless full-text indexes (the text lives in directory_?_entry), accents folded:
-- * directory_?_fts: every searchable word. Postcodes and départements are indexed here too (as
--   whole tokens): one MATCH combines every criterion, and the filters on places need no B-tree
--   index of their own, which keeps the import fast. No prefix index here (it would add ~40 %
--   to the build): beginnings of these words are rarer searches, served by merging doclists.
-- * directory_?_names: the names alone, with 2- and 3-character prefix indexes, for the
--   composer's autocomplete and name searches: a name word that is frequent in other columns
--   ("de" in "Maison de santé de...") would otherwise cost a scan of its whole doclist.
CREATE VIRTUAL TABLE directory_a_fts USING fts5(
    family, given, profession, specialty, structure, city, postcode, department,
    content = '', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE directory_a_names USING fts5(
    family, given,
    content = '', tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);

CREATE TABLE directory_b_entry (
    id               INTEGER PRIMARY KEY,
    address          TEXT NOT NULL,
    address_key      TEXT NOT NULL UNIQUE,
    box_type         TEXT NOT NULL,
    civility         TEXT NOT NULL DEFAULT '',
    family_name      TEXT NOT NULL DEFAULT '',
    given_name       TEXT NOT NULL DEFAULT '',
    profession_code  TEXT NOT NULL DEFAULT '',
    profession       TEXT NOT NULL DEFAULT '',
    specialty_code   TEXT NOT NULL DEFAULT '',
    specialty        TEXT NOT NULL DEFAULT '',
    structure        TEXT NOT NULL DEFAULT '',
    service          TEXT NOT NULL DEFAULT '',
    street           TEXT NOT NULL DEFAULT '',
    postcode         TEXT NOT NULL DEFAULT '',
    city             TEXT NOT NULL DEFAULT '',
    department       TEXT NOT NULL DEFAULT '',
    rpps             TEXT NOT NULL DEFAULT '',
    adeli            TEXT NOT NULL DEFAULT '',
    national_id      TEXT NOT NULL DEFAULT '',
    id_type          TEXT NOT NULL DEFAULT '',
    structure_id     TEXT NOT NULL DEFAULT '',
    extra_structure  TEXT NOT NULL DEFAULT '',
    extra_city       TEXT NOT NULL DEFAULT '',
    extra_postcode   TEXT NOT NULL DEFAULT '',
    extra_department TEXT NOT NULL DEFAULT ''
);
CREATE VIRTUAL TABLE directory_b_fts USING fts5(
    family, given, profession, specialty, structure, city, postcode, department,
    content = '', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE directory_b_names USING fts5(
    family, given,
    content = '', tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);

-- The words of the profession and specialty labels of each set (a few hundred): a beginning such
-- as "infirm" is expanded to the whole words it starts ("infirmier", "infirmiere") before the
-- full-text query, because FTS5 merges the doclists of every word a prefix matches, and these
-- words are in a large part of the directory.
CREATE TABLE directory_vocabulary (
    set_name  TEXT NOT NULL CHECK (set_name IN ('a', 'b')),
    field     TEXT NOT NULL,
    token     TEXT NOT NULL,
    PRIMARY KEY (set_name, field, token)
) WITHOUT ROWID;

-- When the store was last fully checked, and whether the last session closed it cleanly.
-- Lets a clean, recently checked store open without reading every page (the full check then runs
-- on a second connection in the background); an unclean close or a stale check forces it on open.
CREATE TABLE store_health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    clean_close INTEGER NOT NULL DEFAULT 0,
    last_full_check TEXT
);
INSERT INTO store_health (id, clean_close, last_full_check) VALUES (1, 0, NULL);

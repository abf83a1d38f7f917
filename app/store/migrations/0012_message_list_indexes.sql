-- The message list at 100,000 rows: sort by sender or subject with an index walk, in French order,
-- and folder counts without a pass over every message (app/store/message_queries.py).

-- Sort keys: what the list shows (the sender's name, else the address; the subject), trimmed,
-- case-folded, accents removed (app/store/sort_keys.py: estafette_fold, registered on every
-- connection the store opens), so that "Éric" sorts with "eric" (between "D" and "F"), not after
-- "Z" as NOCASE (ASCII only) put it. Index expressions, not columns filled by triggers: a trigger
-- on message is compiled into every INSERT statement, and the store's inserts are prepared again
-- for each row (2–5 times slower initial sync). The queries repeat these expressions verbatim.
CREATE INDEX message_folder_sender
    ON message (folder_id, estafette_fold(coalesce(nullif(from_name, ''), from_addr)), date DESC);
CREATE INDEX message_folder_subject ON message (folder_id, estafette_fold(subject), date DESC);

-- Unread messages per folder: a partial index holds only them (usually a few), so counting them
-- does not read every message of the account; totals come from the (folder_id, date) index.
-- Unread: no \Seen among the flags (stored sorted and space-separated, see message_store).
CREATE INDEX message_folder_unread ON message (folder_id)
    WHERE instr(' ' || flags || ' ', ' \Seen ') = 0;

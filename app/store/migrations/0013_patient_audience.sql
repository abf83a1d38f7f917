-- The two panes of a mailbox (spec §9, Medimail): "Professionnels" lists the messages exchanged
-- with professionals only, "Patients" those exchanged with patients, reached at
-- <INS matricule>@patient.mssante.fr (spec §5), alone or one patient at a time
-- (app/store/message_queries.py: ListQuery.audience and .patient).

-- The patient a message was exchanged with: the first address of the patients' domain in From,
-- else To, else Cc, lower case (ASCII only, as SQL lower()), NULL for every other message.
-- Set by the store's insert from the parsed addresses (message_store.patient_address_of, the
-- same rule in Python), not by a trigger (see 0012: a trigger slows every insert of a sync).
ALTER TABLE message ADD COLUMN patient_addr TEXT;

-- Messages already stored: the same rule in SQL. The address lists are "a@x, b@y"; the local
-- part is what follows the last space or comma before "@patient.mssante.fr" (rtrim strips the
-- trailing characters that are neither, replace then removes what rtrim left).
UPDATE message SET patient_addr = (
    SELECT replace(prefix, rtrim(prefix, replace(replace(prefix, ' ', ''), ',', '')), '')
           || '@patient.mssante.fr'
    FROM (SELECT substr(field, 1, instr(field, '@patient.mssante.fr,') - 1) AS prefix, rank
          FROM (SELECT lower(message.from_addr) || ',' AS field, 1 AS rank
                UNION ALL SELECT lower(message.to_addrs) || ',', 2
                UNION ALL SELECT lower(message.cc_addrs) || ',', 3)
          WHERE instr(field, '@patient.mssante.fr,') > 0)
    ORDER BY rank LIMIT 1)
WHERE instr(lower(from_addr || ',' || to_addrs || ',' || cc_addrs) || ',',
            '@patient.mssante.fr,') > 0;

-- The list's three orders (0003, 0012) now end with the id, then the patient: the same walks as
-- before (the id is the tie-breaker they already ended with), and a filter on the audience
-- ("patient_addr IS NULL" / "IS NOT NULL") is read from the index entry, not from the message:
-- a professional list's count or deep OFFSET page stays an index-only pass (4 ms at 100,000
-- messages, where reading each message took 50-150 ms). No new index for the two panes: the
-- patients' list walks the same ones (one index entry per message skipped, no table read).
DROP INDEX message_folder_date;
CREATE INDEX message_folder_date ON message (folder_id, date DESC, id, patient_addr);
DROP INDEX message_folder_sender;
CREATE INDEX message_folder_sender
    ON message (folder_id, estafette_fold(coalesce(nullif(from_name, ''), from_addr)), date DESC,
                id, patient_addr);
DROP INDEX message_folder_subject;
CREATE INDEX message_folder_subject
    ON message (folder_id, estafette_fold(subject), date DESC, id, patient_addr);

-- One patient's messages (a conversation, across the folders of an account): a seek, newest
-- first. Partial: a message with no patient costs this index nothing.
CREATE INDEX message_patient ON message (patient_addr, date DESC) WHERE patient_addr IS NOT NULL;

-- Unread counts per pane: the partial index on unread messages (0012) also carries the patient,
-- so that each pane's folder badges count its own messages from the index alone.
DROP INDEX message_folder_unread;
CREATE INDEX message_folder_unread ON message (folder_id, patient_addr)
    WHERE instr(' ' || flags || ' ', ' \Seen ') = 0;

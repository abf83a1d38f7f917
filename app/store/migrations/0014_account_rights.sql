-- What the server last said this login may do in the account's box (IMAP ACL MYRIGHTS,
-- RFC 4314), one row per account: the audit viewer is for an ORG box's manager, the member
-- holding the "a" (administer) right, and must know it offline too.
CREATE TABLE account_rights (
    account_id  INTEGER PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
    folder      TEXT NOT NULL,
    rights      TEXT NOT NULL,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

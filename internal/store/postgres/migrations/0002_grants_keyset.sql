-- RevokeGrants walks the grants of a client, a subject or a browser
-- session in primary-key order, a thousand at a time, each batch its own
-- short statement (grants.go): revoking a compromised client that holds a
-- million grants must neither outlive the statement timeout nor roll back
-- for it (one UPDATE of a million grants took 35 s here). A batch starts
-- where the last ended, so each lookup index carries the id after its
-- column, and a batch reads only its own rows.
--
-- CREATE INDEX runs inside the migration's transaction and holds off
-- writes to grants while it builds: apply it with `tollgate migrate` at a
-- quiet moment on a large database.
DROP INDEX grants_client_id;
DROP INDEX grants_subject;
DROP INDEX grants_session_id;
CREATE INDEX grants_client_id ON grants (client_id, id);
CREATE INDEX grants_subject ON grants (subject, id);
CREATE INDEX grants_session_id ON grants (session_id, id);

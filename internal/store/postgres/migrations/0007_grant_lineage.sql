-- Grant lineage: where the request that issued each refresh token came
-- from (the node, the client's address, its User-Agent), for the
-- operator's grant listing (grantlist.go). ADD COLUMN with a constant
-- default rewrites no row. The listings by client, subject and session
-- walk the (column, id) indexes of 0002: no new index.
ALTER TABLE refresh_tokens ADD COLUMN node text NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN remote_addr text NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN user_agent text NOT NULL DEFAULT '';

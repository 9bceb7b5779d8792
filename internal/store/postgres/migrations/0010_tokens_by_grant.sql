-- Refresh tokens keyed by their grant and a slot, so that a rotation
-- touches no index (docs/performance.md, "Tokens keyed by grant on
-- PostgreSQL").
--
-- A grant holds at most two tokens, of consecutive generations (the store
-- contract): the live one and the one it replaced. Rotation writes the
-- successor over the one before that, so the row it rewrites always holds
-- a generation of the successor's parity: slot = generation % 2 never
-- changes for a row. Until now the rewrite changed hash (the primary
-- key), generation and expires_at, all three indexed, so it could not be a
-- HOT update: three new index entries per rotation, one of them at a
-- random place in an index over every token. With the key (grant_id,
-- slot) and no index on a column a rotation changes, both of a rotation's
-- updates are HOT (fillfactor 80 keeps room on the page).
--
-- Tokens are found by grant and hash, as the store contract has it
-- (store.Store.RefreshToken): a named token says its grant, and the
-- primary key holds that grant's two rows. A token in the format before
-- named tokens says no grant: the hashes of every token stored now are
-- kept in legacy_refresh_hashes for those, once (as SQLite's migration 11
-- does); tokens issued from here on are all named and never go there.
--
-- The janitor finds idle-expired tokens by expires_hour, the hour their
-- idle expiry falls in: it changes only when a rotation moves the expiry
-- into another hour, so most rotations keep their HOT update.
--
-- Both new columns are generated, so an older node that writes tokens
-- during a rolling upgrade writes them right. This migration rewrites the
-- table once (ACCESS EXCLUSIVE, minutes at ten million grants: docs).
CREATE TABLE legacy_refresh_hashes (
    hash     text PRIMARY KEY,
    grant_id text NOT NULL
);
INSERT INTO legacy_refresh_hashes (hash, grant_id) SELECT hash, grant_id FROM refresh_tokens;

ALTER TABLE refresh_tokens
    ADD COLUMN slot smallint GENERATED ALWAYS AS (generation % 2) STORED,
    ADD COLUMN expires_hour integer
        GENERATED ALWAYS AS (floor(date_part('epoch', expires_at - timestamptz 'epoch') / 3600)) STORED,
    DROP CONSTRAINT refresh_tokens_pkey,
    ADD PRIMARY KEY (grant_id, slot);
DROP INDEX refresh_tokens_grant;
DROP INDEX refresh_tokens_expires_at;
CREATE INDEX refresh_tokens_expires_hour ON refresh_tokens (expires_hour);

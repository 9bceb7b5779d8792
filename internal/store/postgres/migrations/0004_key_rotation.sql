-- Signing-key rotation: when a key may start signing, decided by the node
-- that created it (package keys). NULL, as every key stored before this
-- has, means at creation. A nullable ADD COLUMN rewrites no row.
ALTER TABLE signing_keys ADD COLUMN activates_at timestamptz;

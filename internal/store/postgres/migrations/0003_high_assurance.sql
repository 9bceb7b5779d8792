-- High assurance: a grant's DPoP key binding (RFC 9449 §5) and granted
-- resources (RFC 8707), the same on the code that leads to it (dpop_jkt,
-- RFC 9449 §10), and the key each refresh token's request proved, which
-- tells a theft from a retry. ADD COLUMN with a constant default is a
-- catalog change (PostgreSQL 11 and later): no row is rewritten, so this
-- is quick on a large database too.
ALTER TABLE grants ADD COLUMN dpop_jkt text NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN resources text[] NOT NULL DEFAULT '{}';
ALTER TABLE auth_codes ADD COLUMN dpop_jkt text NOT NULL DEFAULT '';
ALTER TABLE auth_codes ADD COLUMN resources text[] NOT NULL DEFAULT '{}';
ALTER TABLE refresh_tokens ADD COLUMN proof_key text NOT NULL DEFAULT '';

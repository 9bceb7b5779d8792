-- Tollgate's schema on PostgreSQL. Forward-only: never edit this file once
-- it has shipped; add the next numbered one.
--
-- Keys are the records' own text ids and hashes, never SERIAL (no
-- sequence hot spot on a distributed PostgreSQL such as CockroachDB or
-- YugabyteDB). Times are timestamptz (microseconds), NULL for "not yet" or
-- "never expires". Lists are text[], opaque bytes bytea. Every lookup and
-- every DeleteExpired predicate has an index.

CREATE TABLE grants (
    id         text PRIMARY KEY,
    client_id  text NOT NULL,
    subject    text NOT NULL,
    scopes     text[] NOT NULL,
    auth_time  timestamptz,
    session_id text NOT NULL,
    amr        text[] NOT NULL,
    created_at timestamptz,
    expires_at timestamptz, -- absolute cap, never moved
    revoked_at timestamptz  -- NULL while live; a tombstone is born revoked
);
-- RevokeGrants by client, subject, session; DeleteExpired by expiry.
CREATE INDEX grants_client_id ON grants (client_id);
CREATE INDEX grants_subject ON grants (subject);
CREATE INDEX grants_session_id ON grants (session_id);
CREATE INDEX grants_expires_at ON grants (expires_at);

-- A grant holds at most its live token and the one before it (rotation
-- deletes the one before that). Consuming a token sets only unindexed
-- columns, so with free space on the page (fillfactor) it is a HOT update
-- that touches no index. The foreign key (no cascade: DeleteExpired
-- removes a grant's tokens itself, and counts them) keeps a token from
-- outliving its grant.
CREATE TABLE refresh_tokens (
    hash           text PRIMARY KEY,
    grant_id       text NOT NULL REFERENCES grants (id),
    generation     integer NOT NULL,
    created_at     timestamptz,
    expires_at     timestamptz,
    consumed_at    timestamptz,
    successor_hash text NOT NULL
) WITH (fillfactor = 80);
-- GrantChain's newest generation, rotation's predecessor, an expired
-- grant's tokens; DeleteExpired by idle expiry.
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id, generation);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE auth_codes (
    hash                  text PRIMARY KEY,
    client_id             text NOT NULL,
    redirect_uri          text NOT NULL,
    code_challenge        text NOT NULL,
    code_challenge_method text NOT NULL,
    subject               text NOT NULL,
    scopes                text[] NOT NULL,
    nonce                 text NOT NULL,
    session_id            text NOT NULL,
    amr                   text[] NOT NULL,
    auth_time             timestamptz,
    created_at            timestamptz,
    expires_at            timestamptz,
    consumed_at           timestamptz,
    grant_id              text NOT NULL
);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

CREATE TABLE used_jtis (
    client_id  text NOT NULL,
    jti        text NOT NULL,
    expires_at timestamptz,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);

-- added_at orders keys created in the same microsecond, oldest first.
CREATE TABLE signing_keys (
    id         text PRIMARY KEY,
    algorithm  text NOT NULL,
    sealed     bytea,
    created_at timestamptz,
    added_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE auth_requests (
    id          text PRIMARY KEY,
    client_id   text NOT NULL,
    params      bytea,
    created_at  timestamptz,
    expires_at  timestamptz,
    consumed_at timestamptz
);
CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);
CREATE INDEX auth_requests_consumed_at ON auth_requests (consumed_at);

CREATE TABLE sessions (
    id         text PRIMARY KEY,
    sid        text NOT NULL UNIQUE,
    subject    text NOT NULL,
    auth_time  timestamptz,
    amr        text[] NOT NULL,
    created_at timestamptz,
    expires_at timestamptz
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE consents (
    subject    text NOT NULL,
    client_id  text NOT NULL,
    scopes     text[] NOT NULL,
    created_at timestamptz,
    expires_at timestamptz,
    PRIMARY KEY (subject, client_id)
);
CREATE INDEX consents_expires_at ON consents (expires_at);

-- TakeLease: one row per lease name.
CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    held_until timestamptz NOT NULL
);

-- Clients registered at run time (store.ClientStore). settings is the JSON
-- document of the client's settings, never its secret; version counts
-- writes, for optimistic updates.
CREATE TABLE clients (
	id          text PRIMARY KEY,
	settings    text NOT NULL,
	secret_hash text NOT NULL,
	disabled    boolean NOT NULL,
	created_at  timestamptz,
	updated_at  timestamptz,
	version     bigint NOT NULL
);

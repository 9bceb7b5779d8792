-- Users managed at runtime (store.UserStore). The username is the key of
-- every change; the subject is unique, and no row is ever deleted, so a
-- subject is never reused. claims is a JSON object, kept as text so it
-- reads back byte for byte as written.
CREATE TABLE users (
	username      text PRIMARY KEY,
	subject       text NOT NULL UNIQUE,
	password_hash text NOT NULL,
	claims        text NOT NULL,
	disabled      boolean NOT NULL,
	created_at    timestamptz,
	updated_at    timestamptz
);

-- The audit trail (store.AuditLog). Keyed by (time, random id), never by
-- a sequence: a sequence is one hot spot shared by every node, and the
-- PostgreSQL-compatible distributed databases (CockroachDB, YugabyteDB)
-- take a random key without trouble. Each filter of Events has an index
-- that ends in the time, so a filtered page newest first is one index
-- range; retention (DeleteEvents) walks the primary key's time order.
CREATE TABLE audit_events (
	at          timestamptz NOT NULL,
	id          text NOT NULL,
	kind        text NOT NULL,
	reason      text NOT NULL,
	actor       text NOT NULL,
	actor_id    text NOT NULL,
	node        text NOT NULL,
	client_id   text NOT NULL,
	subject     text NOT NULL,
	grant_id    text NOT NULL,
	session_id  text NOT NULL,
	remote_addr text NOT NULL,
	user_agent  text NOT NULL,
	request_id  text NOT NULL,
	PRIMARY KEY (at, id)
);
CREATE INDEX audit_events_client ON audit_events (client_id, at);
CREATE INDEX audit_events_subject ON audit_events (subject, at);
CREATE INDEX audit_events_grant ON audit_events (grant_id, at);
CREATE INDEX audit_events_kind ON audit_events (kind, at);

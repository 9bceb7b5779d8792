-- A person's live browser sessions for the operator's console
-- (store.SessionLister): one range of (subject, created_at), newest first.
-- Until now sessions were read by id only (and swept by expires_at).
CREATE INDEX sessions_subject ON sessions (subject, created_at);

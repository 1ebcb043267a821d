/**
 * An API key made on the admin keys page is shown once, on the page the form's answer redirects to (so that
 * reloading it does not post the form again and make another key). Between the POST and that GET the key waits
 * here, for that admin session only and a few minutes at most, sealed (AES-256-GCM under a key derived from
 * ADMIN_TOKEN: a copy of the database alone does not reveal it); reading it deletes it. In PostgreSQL, as the
 * admin sessions' own state is, so the GET may be answered by another web process than the POST.
 */
export const sql = /* sql */ `
CREATE TABLE new_key_handovers (
  session_nonce  text NOT NULL,
  key_id         uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  sealed         bytea NOT NULL,
  expires_at     timestamptz NOT NULL,
  PRIMARY KEY (session_nonce, key_id)
);
CREATE INDEX new_key_handovers_expiry ON new_key_handovers (expires_at);
`;

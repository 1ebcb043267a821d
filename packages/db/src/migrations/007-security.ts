/**
 * Abuse limits and admin sessions that can be ended.
 * - Emails per address: uploads asking to email an address count the jobs that named it in the last hour
 *   (case-insensitive), so an index on that.
 * - Admin sessions are signed cookies (no state needed to accept one); ending one before it expires needs
 *   state: a sign-out records the session's nonce until its expiry, and "sign out everywhere" moves an epoch
 *   every earlier session carries.
 */
export const sql = /* sql */ `
CREATE INDEX jobs_email_recent ON jobs (lower(email), created_at) WHERE email IS NOT NULL;

CREATE TABLE admin_session_revocations (
  nonce       text PRIMARY KEY,
  expires_at  timestamptz NOT NULL
);
CREATE TABLE admin_session_epoch (
  id     boolean PRIMARY KEY DEFAULT true CHECK (id),
  epoch  integer NOT NULL
);
INSERT INTO admin_session_epoch (epoch) VALUES (0);
`;

/**
 * A job's owner may delete it and its data at once (DELETE /api/jobs/:id, the page's delete button). It leaves
 * the same tombstone as retention (id, token hashes: no user data), so its links answer 410 "deleted" rather
 * than 404; `reason` tells the two apart, so the page says who deleted it and when, not "kept N days".
 */
export const sql = /* sql */ `
ALTER TABLE expired_jobs ADD COLUMN reason text NOT NULL DEFAULT 'retention' CHECK (reason IN ('retention', 'owner'));
`;

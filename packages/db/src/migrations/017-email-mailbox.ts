/**
 * The per-address limit on job emails counts a mailbox, not its spellings: `victim+1@example.com`,
 * `victim+2@example.com`… all reach `victim@example.com`'s inbox (subaddressing, which most providers
 * deliver), and each counted apart let one upload client send a mailbox about 3,600 job emails an hour
 * instead of EMAILS_PER_ADDRESS_PER_HOUR. The count looks jobs up by this expression (`countRecentJobsForEmail`),
 * which `mailboxOf` in @batchcast/jobs computes the same way: lower-cased, the `+tag` of the local part removed.
 */
export const sql = /* sql */ `
CREATE INDEX jobs_mailbox_recent ON jobs (lower(regexp_replace(email, '\\+[^@]*@', '@')), created_at) WHERE email IS NOT NULL;
`;

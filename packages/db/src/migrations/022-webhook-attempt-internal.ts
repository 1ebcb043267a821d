/**
 * Whether a webhook attempt went to a non-public address (a receiver WEBHOOK_ALLOW_HOSTS let through): such an
 * attempt's answer body and connection error are shown to admins only, an API key sees its status code. NULL
 * for attempts made before this column (and for one not made yet): not known, so shown to admins only too.
 */
export const sql = /* sql */ `
ALTER TABLE webhook_attempts ADD COLUMN internal boolean;
`;

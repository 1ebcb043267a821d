/**
 * Why a webhook attempt failed, as a code (an OutboundError's code, `http_status` for an answer other than 2xx,
 * `not_sent` when the worker could not sign the delivery): what an API key may see of an attempt to an internal
 * receiver is decided from it, not from the wording of the stored message, which may change between releases.
 *
 * Attempts made before are given the code their message was written for by the release that wrote it (read
 * once, here); a message of no known form is `unknown`, which is shown to admins only, as any code that is not
 * the policy's own refusal.
 */
export const sql = /* sql */ `
ALTER TABLE webhook_attempts ADD COLUMN error_code text;

UPDATE webhook_attempts SET error_code = CASE
    WHEN error LIKE 'not sent: %' THEN 'not_sent'
    WHEN status_code IS NOT NULL THEN 'http_status'
    WHEN error LIKE 'The address of % is not allowed.' THEN 'address_not_allowed'
    WHEN error LIKE 'Use https:// for %' THEN 'scheme_not_allowed'
    WHEN error LIKE 'Could not resolve the host %' THEN 'dns_failed'
    WHEN error LIKE 'Could not connect to %' THEN 'connect_failed'
    WHEN error LIKE 'The TLS connection to %' THEN 'tls_failed'
    WHEN error LIKE 'The connection to % broke while reading the answer%' THEN 'response_failed'
    WHEN error LIKE 'No complete answer from %' THEN 'timeout'
    ELSE 'unknown'
  END
  WHERE error IS NOT NULL;
`;

/**
 * The webhook attempts being sent right now, one row each, so that one owner's slow receivers cannot take every
 * delivery slot of the workers (see claimDeliverySlot in queries/webhooks.ts): an attempt starts only while
 * its endpoint and its owner (the key that registered the endpoint, or the admins) have fewer than a few
 * rows here. A row is deleted when its attempt ends; one left by a crashed worker counts only until
 * `expires_at` (past the longest an attempt can take), so a crash never blocks an endpoint for good.
 * `owner`: the key's id, or 'admin'.
 */
export const sql = /* sql */ `
CREATE TABLE webhook_in_flight (
  delivery_id  text PRIMARY KEY REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  endpoint_id  uuid NOT NULL,
  owner        text NOT NULL,
  expires_at   timestamptz NOT NULL
);
CREATE INDEX webhook_in_flight_by_owner ON webhook_in_flight (owner);
`;

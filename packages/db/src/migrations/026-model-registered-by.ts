/**
 * Who registered a model version, now that an API key with `models:write` may (not only the admin): the key's
 * id, shown to admins with its name and prefix; NULL for the admin (the token, a session, the examples setup
 * registers) and for every version registered before this migration, when only the admin could.
 * A key is revoked, never deleted, so the reference stays good.
 */
export const sql = /* sql */ `
ALTER TABLE models ADD COLUMN registered_by_key_id uuid REFERENCES api_keys(id);
`;

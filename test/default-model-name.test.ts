import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiKeyCreated } from '@batchcast/contract';
import { describe, expect, it } from 'vitest';
import { fileBlob } from './support/http.js';
import { ADMIN_TOKEN, examples, type Platform, platformForFile } from './support/platform.js';

/**
 * DEFAULT_MODEL names the model every upload naming none is scored by. Before the admin registers it, it is still
 * the admin's name: an API key with models:write that took it would score everyone's uploads with its model, and the
 * admin could not remove it (409 default_model) without changing the configuration and restarting.
 */
let platform: Platform;
platformForFile({ workers: 1, env: { DEFAULT_MODEL: 'house-default' } }, (started) => {
  platform = started;
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const irisBytes = await readFile(path.join(examples, 'models', 'iris-logreg.onnx'));

function register(name: string, headers: Record<string, string>): Promise<Response> {
  const form = new FormData();
  form.set('name', name);
  form.set('file', fileBlob(irisBytes), 'iris-logreg.onnx');
  return fetch(platform.url('/api/models'), { method: 'POST', body: form, headers });
}

describe('the name DEFAULT_MODEL gives, not registered yet', () => {
  it('is refused to an API key (403 model_not_yours, saying why), and registered by the admin', async () => {
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'publisher', scopes: ['models:write'] }),
    });
    const { key } = ApiKeyCreated.parse(await created.json());
    const taken = await register('house-default', { authorization: `Bearer ${key}` });
    expect(taken.status).toBe(403);
    const refusal = ((await taken.json()) as { error: { code: string; message: string; registeredBy: string } }).error;
    expect(refusal).toMatchObject({ code: 'model_not_yours', registeredBy: 'admin' });
    expect(refusal.message).toContain("is this server's default model (DEFAULT_MODEL), which only the admin registers");
    // Any other new name is the key's, as ever; the default's is the admin's to register.
    expect((await register('house-other', { authorization: `Bearer ${key}` })).status).toBe(201);
    expect((await register('house-default', admin)).status).toBe(201);
  });
});

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBlob, submit, waitForEnd } from './support/http.js';
import { hugeTensorModel, loopingModel } from './support/onnx-graphs.js';
import { ADMIN_TOKEN, Platform } from './support/platform.js';

/**
 * A registered model that computes for ever (an ONNX Loop of 10^12 iterations): a running ONNX Runtime run cannot
 * be interrupted, so without deadlines one real-time request took the web process's only predict thread and every
 * later request hung, and a job on it held a worker's scoring thread for ever. Small deadlines here (5 s, 3 s).
 * And one that asks for 8 GiB per run, which took the web process to 8.7 GB before PREDICT_MEMORY_MB.
 */
let platform: Platform;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Registers a model of four float columns a-d (the graphs test/support/onnx-graphs.ts makes). */
async function register(name: string, bytes: Uint8Array): Promise<void> {
  const form = new FormData();
  form.set('name', name);
  form.set('features', 'a,b,c,d');
  form.set('file', fileBlob(bytes), `${name}.onnx`);
  const registered = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin });
  expect(registered.status, await registered.clone().text()).toBe(201);
}

const webPid = () => platform.descendants().find((p) => p.cmd.includes('apps/web/dist/server.js'))?.pid;
const scorers = () =>
  platform
    .descendants()
    .filter((p) => p.cmd.includes('scoring-process.js'))
    .map((p) => p.pid);

beforeAll(async () => {
  platform = await new Platform({
    workers: 1,
    env: { PREDICT_PROCESSES: '1', PREDICT_DEADLINE_MS: '5000', CHUNK_DEADLINE_MS: '3000', WORKER_MEMORY_MB: '1024' },
  }).start();
  await register('looping', loopingModel(1_000_000_000_000));
});
afterAll(async () => {
  await platform?.stop();
});

const predict = (model: string, rows: Record<string, number>[]) =>
  fetch(platform.url(`/api/models/${model}/predict`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rows }),
  });

describe('a model that computes for ever', () => {
  it('in real time: its request is answered 504 model_timeout past PREDICT_DEADLINE_MS, and other models still answer', async () => {
    const res = await predict('looping', [{ a: 1, b: 2, c: 3, d: 4 }]);
    expect(res.status).toBe(504);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('model_timeout');
    expect(error.message).toContain('Model looping@1 did not finish scoring these rows within 5 seconds');
    expect(error.message).toContain('The model is at fault, not your rows');
    expect(error.message).toContain('PREDICT_DEADLINE_MS');

    const iris = await predict('iris-logreg', [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
    expect(iris.status).toBe(200);
    const { predictions } = (await iris.json()) as { predictions: { prediction: unknown }[] };
    expect(predictions).toHaveLength(1);
    expect(predictions[0]!.prediction).not.toBeNull();
  });

  it('in real time: the scoring process stuck past the deadline is killed, and the web process goes on as it was', async () => {
    const before = { web: webPid(), scorers: scorers() };
    expect(before.web).toBeDefined();
    expect(before.scorers).toHaveLength(1); // PREDICT_PROCESSES=1, the one that replaced the first test's
    const res = await predict('looping', [{ a: 1, b: 2, c: 3, d: 4 }]);
    expect(res.status).toBe(504);
    // Its process killed (the loop is not left computing on a core) and replaced; the same web process answers.
    await expect.poll(() => scorers().some((pid) => before.scorers.includes(pid)), { timeout: 10_000 }).toBe(false);
    const iris = await predict('iris-logreg', [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
    expect(iris.status).toBe(200);
    expect(webPid()).toBe(before.web);
    expect(scorers()).toHaveLength(1);
  });

  it('in real time: a scoring process that dies in a run (a native crash) is answered 502 model_crashed, and replaced', async () => {
    const [scorer] = scorers();
    expect(scorer).toBeDefined();
    const answer = predict('looping', [{ a: 1, b: 2, c: 3, d: 4 }]);
    // Once it computes (state R in /proc), it "crashes": SIGSEGV is what a native fault in ONNX Runtime ends it with.
    const state = () => readFileSync(`/proc/${scorer}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
    await expect.poll(state, { timeout: 10_000, interval: 20 }).toBe('R');
    process.kill(scorer!, 'SIGSEGV');
    const res = await answer;
    const body = await res.text();
    expect(res.status, body).toBe(502);
    const { error } = JSON.parse(body) as { error: { code: string; message: string } };
    expect(error.code).toBe('model_crashed');
    expect(error.message).toMatch(
      /^Model looping@1 ended the process scoring these rows \(.*killed by SIGSEGV\); a fresh one was started\./,
    );
    const iris = await predict('iris-logreg', [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
    expect(iris.status).toBe(200);
    expect(scorers()).not.toContain(scorer);
  });

  it("in real time: while it holds the one scoring process (PREDICT_PROCESSES=1), other models' requests are answered", async () => {
    // Last of the tests that count scoring processes: the reserve stays a minute once idle.
    const order: string[] = [];
    const looping = predict('looping', [{ a: 1, b: 2, c: 3, d: 4 }]).then((r) => {
      order.push('looping');
      return r;
    });
    const iris = await predict('iris-logreg', [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
    order.push('iris');
    expect(iris.status).toBe(200);
    // Answered by a reserve process started beside the one the loop holds, long before the loop's deadline.
    expect(order).toEqual(['iris']);
    expect(scorers()).toHaveLength(2);
    expect((await looping).status).toBe(504);
  });

  it('in real time: a request whose client goes away while it waits for the process leaves the line, unscored', async () => {
    const scoring = async (): Promise<Record<string, number>> => {
      const text = await (await fetch(platform.url('/metrics'), { headers: admin })).text();
      const values = [...text.matchAll(/^batchcast_realtime_scoring\{what="(\w+)"\} (\d+)$/gm)];
      return Object.fromEntries(values.map((m) => [m[1]!, Number(m[2])]));
    };
    const holding = predict('looping', [{ a: 1, b: 2, c: 3, d: 4 }]);
    await expect.poll(async () => (await scoring()).busy, { timeout: 10_000 }).toBe(1);
    const before = await scoring();
    // The loop is slow (known from the tests above): its second request waits for the one process, not the reserve.
    const gone = new AbortController();
    const waiting = fetch(platform.url('/api/models/looping/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ a: 1, b: 2, c: 3, d: 4 }] }),
      signal: gone.signal,
    }).catch((e: unknown) => e);
    await expect.poll(async () => (await scoring()).queued, { timeout: 10_000 }).toBe(1);
    gone.abort();
    await waiting;
    // Out of the line at once, while the first run still holds the process (no process replaced yet): before,
    // it waited there and was scored for nobody once the first one was killed.
    await expect.poll(async () => (await scoring()).queued, { timeout: 10_000 }).toBe(0);
    expect(await scoring()).toMatchObject({ busy: 1, restarts: before.restarts });
    expect((await holding).status).toBe(504);
  });

  it('in real time: a run asking for more memory than PREDICT_MEMORY_MB (default 4 GiB) fails its rows saying so', async () => {
    const before = webPid();
    await register('greedy', hugeTensorModel(2 ** 31)); // 8 GiB of zeros per run
    const res = await predict('greedy', [{ a: 1, b: 2, c: 3, d: 4 }]);
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(body).toContain('asked ONNX Runtime for 8,589,934,592 bytes of memory, more than this server can give it');
    expect(webPid()).toBe(before);
  });

  it("a registration whose client goes away ends its model's import process", async () => {
    // 21 KB of pickle whose shared references make a million decision trees to convert: about a minute and a half
    // of an import process, which went on after its client had gone (its place among registrations freed).
    const bomb = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        `import pickle, sys, numpy as np
from sklearn.ensemble import VotingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeRegressor
X = np.random.RandomState(0).rand(200, 4); y = X.sum(1)
cur = DecisionTreeRegressor(max_depth=6).fit(X, y)
for level in range(6):
    v = VotingRegressor([('e%d' % i, LinearRegression()) for i in range(10)]).fit(X, y)
    v.estimators_ = [cur] * 10
    v.estimators = [('e%d' % i, cur) for i in range(10)]
    cur = v
sys.stdout.buffer.write(pickle.dumps(cur, protocol=4))`,
      ],
      { maxBuffer: 1024 ** 2 },
    );
    expect(bomb.status, bomb.stderr.toString()).toBe(0);
    const imports = () => platform.descendants().filter((p) => p.cmd.includes('import-process.js'));
    const form = new FormData();
    form.set('name', 'shared-trees');
    form.set('file', fileBlob(bomb.stdout), 'shared-trees.pkl');
    const gone = new AbortController();
    const sent = fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin, signal: gone.signal }).catch(
      (e: unknown) => e,
    );
    await expect.poll(imports, { timeout: 20_000 }).toHaveLength(1);
    gone.abort();
    expect(await sent).toBeInstanceOf(Error);
    await expect.poll(imports, { timeout: 10_000 }).toHaveLength(0);
  });

  it('in a batch job: a run asking for more memory than WORKER_MEMORY_MB fails its rows saying so; the worker goes on', async () => {
    const worker = platform.descendants().find((p) => p.cmd.includes('apps/worker/dist/worker.js'));
    expect(worker).toBeDefined();
    expect(readFileSync(`/proc/${worker!.pid}/limits`, 'utf8')).toMatch(/Max data size\s+1073741824\s+1073741824\s+bytes/);
    await register('greedy-batch', hugeTensorModel(2 ** 29)); // 2 GiB of zeros per run
    const job = await (await submit(platform, Buffer.from('a,b,c,d\n1,2,3,4\n5,6,7,8\n'), { model: 'greedy-batch' })).json();
    const done = await waitForEnd(platform, job.links.self);
    expect(done.rows).toMatchObject({ total: 2, failed: 2 });
    const errors = await (await fetch(platform.url(job.links.self.replace('?', '/errors.csv?')))).text();
    expect(errors).toContain('asked ONNX Runtime for 2,147,483,648 bytes of memory, more than this server can give it');
    // The same worker process scores the next job.
    const iris = await (await submit(platform, 'iris.csv', { model: 'iris-logreg' })).json();
    expect((await waitForEnd(platform, iris.links.self)).status).toBe('succeeded');
    expect(platform.descendants().find((p) => p.cmd.includes('apps/worker/dist/worker.js'))?.pid).toBe(worker!.pid);
  });

  it('in a batch job: the job fails past CHUNK_DEADLINE_MS saying the model is at fault, and a job submitted after it succeeds', async () => {
    const looping = await (await submit(platform, Buffer.from('a,b,c,d\n1,2,3,4\n5,6,7,8\n'), { model: 'looping' })).json();
    const failed = await waitForEnd(platform, looping.links.self);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('The model looping@1 did not finish scoring rows 1 to 2 within 3 seconds');
    expect(failed.error).toContain('The model is at fault, not your file');

    const iris = await (await submit(platform, 'iris.csv', { model: 'iris-logreg' })).json();
    const done = await waitForEnd(platform, iris.links.self);
    expect(done.status).toBe('succeeded');
  });

  it('in a batch job that is cancelled while its chunk is stuck: the job is cancelled, and the thread is freed for the next job', async () => {
    const looping = await (await submit(platform, Buffer.from('a,b,c,d\n1,2,3,4\n'), { model: 'looping' })).json();
    // Running: its one chunk is in the model's run (the job says running once a thread took the chunk).
    await expect
      .poll(async () => (await (await fetch(platform.url(looping.links.self))).json()).status, { timeout: 60_000, interval: 200 })
      .toBe('running');
    expect((await fetch(platform.url(looping.links.self.replace('?', '/cancel?')), { method: 'POST' })).status).toBe(200);
    expect((await waitForEnd(platform, looping.links.self)).status).toBe('cancelled');

    // WORKERS=1: this job is scored only once the stuck thread is given up on (CHUNK_DEADLINE_MS, a restart).
    const iris = await (await submit(platform, 'iris.csv', { model: 'iris-logreg' })).json();
    expect((await waitForEnd(platform, iris.links.self)).status).toBe('succeeded');
  });
});

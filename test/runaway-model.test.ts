import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnx } from '../packages/inference/src/onnx-proto.js';
import { fileBlob, submit, waitForEnd } from './support/http.js';
import { tensorInfo } from './support/onnx-graphs.js';
import { ADMIN_TOKEN, Platform } from './support/platform.js';

/**
 * A registered model that computes for ever (an ONNX Loop of 10^12 iterations): a running ONNX Runtime run cannot
 * be interrupted, so without deadlines one real-time request took the web process's only predict thread and every
 * later request hung, and a job on it held a worker's scoring thread for ever. Small deadlines here (2 s, 3 s).
 */
let platform: Platform;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  platform = await new Platform({
    workers: 1,
    env: { PREDICT_THREADS: '1', PREDICT_DEADLINE_MS: '2000', CHUNK_DEADLINE_MS: '3000' },
  }).start();
  const form = new FormData();
  form.set('name', 'looping');
  form.set('features', 'a,b,c,d');
  form.set('file', fileBlob(loopingModel()), 'looping.onnx');
  const registered = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin });
  expect(registered.status, await registered.clone().text()).toBe(201);
});
afterAll(async () => {
  await platform?.stop();
});

/** input [N, 4] floats, added 0 to 10^12 times in a Loop, summed per row: the right shapes, no end. */
function loopingModel(): Uint8Array {
  const body = onnx.GraphProto.create({
    name: 'body',
    node: [
      onnx.NodeProto.create({ opType: 'Identity', input: ['cond_in'], output: ['cond_out'] }),
      onnx.NodeProto.create({ opType: 'Add', input: ['v_in', 'zero'], output: ['v_out'] }),
    ],
    initializer: [onnx.TensorProto.create({ name: 'zero', dataType: 1, dims: [], floatData: [0] })],
    input: [tensorInfo('iter', 7, []), tensorInfo('cond_in', 9, []), tensorInfo('v_in', 1, ['N', 4])],
    output: [tensorInfo('cond_out', 9, []), tensorInfo('v_out', 1, ['N', 4])],
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
      graph: onnx.GraphProto.create({
        name: 'loop',
        node: [
          onnx.NodeProto.create({
            opType: 'Loop',
            input: ['M', 'c', 'input'],
            output: ['looped'],
            attribute: [onnx.AttributeProto.create({ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: body })],
          }),
          onnx.NodeProto.create({
            opType: 'ReduceSum',
            input: ['looped', 'axes'],
            output: ['variable'],
            attribute: [onnx.AttributeProto.create({ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
          }),
        ],
        initializer: [
          onnx.TensorProto.create({ name: 'M', dataType: 7, dims: [], int64Data: [1_000_000_000_000] }),
          onnx.TensorProto.create({ name: 'c', dataType: 9, dims: [], int32Data: [1] }),
          onnx.TensorProto.create({ name: 'axes', dataType: 7, dims: [1], int64Data: [1] }),
        ],
        input: [tensorInfo('input', 1, ['N', 4])],
        output: [tensorInfo('variable', 1, ['N', 1])],
      }),
    }),
  ).finish();
}

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
    expect(error.message).toContain('Model looping@1 did not finish scoring these rows within 2 seconds');
    expect(error.message).toContain('The model is at fault, not your rows');
    expect(error.message).toContain('PREDICT_DEADLINE_MS');

    const iris = await predict('iris-logreg', [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
    expect(iris.status).toBe(200);
    const { predictions } = (await iris.json()) as { predictions: { prediction: unknown }[] };
    expect(predictions).toHaveLength(1);
    expect(predictions[0]!.prediction).not.toBeNull();
  });

  it('in real time: with more threads abandoned than PREDICT_THREADS, the web process restarts itself and answers again', async () => {
    // The first test abandoned one thread (PREDICT_THREADS=1); this request abandons a second one.
    const webPid = () => platform.descendants().find((p) => p.cmd.includes('apps/web/dist/server.js'))?.pid;
    const before = webPid();
    expect(before).toBeDefined();
    const res = await predict('looping', [{ a: 1, b: 2, c: 3, d: 4 }]);
    expect(res.status).toBe(504);
    // A new web process (the old one, stuck threads and all, ended), answering iris-logreg.
    await expect
      .poll(
        async () => {
          const pid = webPid();
          if (pid === undefined || pid === before) return 'the old process';
          const iris = await predict('iris-logreg', [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]).catch(
            () => null,
          );
          return iris?.status ?? 'no answer';
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe(200);
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

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertUpload } from '../src/models/convert-upload.js';
import { examples } from '../../../test/support/platform.js';

/** A model that does not name its columns is registered with a note saying it reads files by position. */
describe('registering a model without column names', () => {
  it('notes that files are read by position, and not once "features" names them', async () => {
    // breast-cancer-rf.onnx (skl2onnx, from an array) has one input of 30 columns and no names for them.
    const bytes = await readFile(path.join(examples, 'models/breast-cancer-rf.onnx'));
    const bare = await convertUpload(bytes, {});
    expect(bare.prepared.schema.inputs.some((i) => i.columns === null)).toBe(true);
    expect(bare.imported.converted.join('\n')).toMatch(/does not name its 30 input columns: a file is read by position.*"features"/);
    const manifest = JSON.parse(await readFile(path.join(examples, 'models/MANIFEST.json'), 'utf8')) as {
      model: string;
      features?: string[];
    }[];
    const features = manifest.find((m) => m.model === 'breast-cancer-rf.onnx')!.features!;
    const named = await convertUpload(bytes, { features });
    expect(named.imported.converted.join('\n')).not.toMatch(/by position/);
  });
});

/**
 * Golden statements: the OMS reference implementation's own unit-test
 * outputs (model-transparency tests/_signing and tests/_serialization) for
 * the fixture models `make_fixtures.py` builds. Ours must be identical.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashModel, type HashModelOptions } from '../src/digest/model.js';
import { toHex } from '../src/lib/bytes.js';
import { canonicalJsonBytes, parseJson } from '../src/lib/json.js';
import { buildOmsStatement, parseOmsStatement } from '../src/records/oms/statement.js';
import { cleanupTemp, HAVE_VECTORS, makeTemp, OMS } from './helpers.js';

const PAYLOAD_DIR = join(OMS, 'golden/_signing/testdata/signing/TestPayload');
const SERIAL_DIR = join(OMS, 'golden/_serialization/testdata');

/** Golden model name -> fixture directory that make_fixtures.py writes. */
const FIXTURE_OF: Record<string, string> = {
  sample_model_file: 'file_model',
  empty_model_file: 'empty_file_model',
  sample_model_folder: 'sample_model',
  empty_model_folder: 'empty_folder_model',
  model_folder_with_empty_file: 'empty_file_inside_model',
  deep_model_folder: 'deep_model',
  symlink_model_folder: 'symlink_model',
};

/** Split a golden name into fixture and hashing options. */
function planFor(golden: string): { fixture: string; options: HashModelOptions } {
  const base: HashModelOptions = { allowSymlinks: true, ignoreGitPaths: false };
  for (const [suffix, options] of [
    ['_small_shards', { method: 'shards', shardSize: 8 }],
    ['_shard', { method: 'shards', shardSize: 1_000_000_000 }],
  ] as const) {
    if (golden.endsWith(suffix)) {
      const model = golden.slice(0, -suffix.length);
      const fixture = FIXTURE_OF[model];
      if (!fixture) throw new Error(`no fixture for golden ${golden}`);
      return { fixture, options: { ...base, ...options } };
    }
  }
  const fixture = FIXTURE_OF[golden];
  if (!fixture) throw new Error(`no fixture for golden ${golden}`);
  return { fixture, options: { ...base, method: 'files' } };
}

describe.skipIf(!HAVE_VECTORS)('OMS golden statements (reference implementation outputs)', () => {
  let fixtures = '';

  beforeAll(async () => {
    fixtures = await makeTemp('provenant-oms-fixtures-');
    execFileSync('python3', [join(OMS, 'make_fixtures.py'), fixtures], { stdio: 'pipe' });
  });
  afterAll(cleanupTemp);

  const payloadGoldens = HAVE_VECTORS ? readdirSync(PAYLOAD_DIR).sort() : [];

  it('covers every golden payload (7 models x 3 serializations)', () => {
    expect(payloadGoldens).toHaveLength(21);
    for (const g of payloadGoldens) expect(() => planFor(g)).not.toThrow();
  });

  it.each(payloadGoldens)('statement %s equals the golden', async (golden) => {
    const { fixture, options } = planFor(golden);
    const expected = JSON.parse(readFileSync(join(PAYLOAD_DIR, golden), 'utf8')) as Record<string, unknown>;
    const manifest = await hashModel(join(fixtures, fixture), options);
    const statement = buildOmsStatement(manifest);
    expect(statement).toEqual(expected);
    // No ignore paths were given and git paths are not ignored, so the
    // optional serialization.ignore_paths must be absent, as in the golden.
    expect('ignore_paths' in statement.predicate.serialization).toBe(false);
    // What we sign parses back to the same statement (canonical JSON keeps shard_size integral).
    const reparsed = parseOmsStatement(parseJson(canonicalJsonBytes(statement)));
    expect(toHex(reparsed.rootDigest)).toBe(statement.subject[0].digest.sha256);
    expect(reparsed.resources.map((r) => r.name)).toEqual(statement.predicate.resources.map((r) => r.name));
  });

  it('the golden statements themselves parse as valid OMS statements', () => {
    for (const golden of payloadGoldens) {
      const parsed = parseOmsStatement(parseJson(readFileSync(join(PAYLOAD_DIR, golden))));
      expect(parsed.allowSymlinks).toBe(true);
      if (golden.endsWith('_small_shards')) expect(parsed.shardSize).toBe(8);
    }
  });

  const serialGoldens: [string, string][] = HAVE_VECTORS
    ? (['file', 'file_shard'] as const).flatMap((kind) =>
        readdirSync(join(SERIAL_DIR, kind, 'TestSerializer'))
          .sort()
          .map((name): [string, string] => [kind, name]),
      )
    : [];

  it('covers every serialization golden', () => {
    expect(serialGoldens.length).toBeGreaterThanOrEqual(20);
  });

  it.each(serialGoldens)('serialization %s/%s lists our resources', async (kind, golden) => {
    const text = readFileSync(join(SERIAL_DIR, kind, 'TestSerializer', golden), 'utf8');
    const expected = text.split('\n').filter((line) => line.length > 0);
    // The shard serializer tests use shard size 8 for *_small_shards and the
    // default otherwise; file serializer goldens are whole files.
    const { fixture } = planFor(golden.replace(/_small_shards$/, ''));
    const options: HashModelOptions =
      kind === 'file'
        ? { allowSymlinks: true, ignoreGitPaths: false, method: 'files' }
        : { allowSymlinks: true, ignoreGitPaths: false, method: 'shards', shardSize: golden.endsWith('_small_shards') ? 8 : 1_000_000_000 };
    const manifest = await hashModel(join(fixtures, fixture), options);
    const actual = manifest.resources.map((r) => `${r.name}:${toHex(r.digest)}`);
    expect(actual).toEqual(expected);
  });

  it('an empty file has a whole-file digest but no shards', async () => {
    const files = await hashModel(join(fixtures, 'empty_file_model'), { method: 'files' });
    expect(files.resources.map((r) => [r.name, toHex(r.digest)])).toEqual([
      ['.', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ]);
    const shards = await hashModel(join(fixtures, 'empty_file_model'), { method: 'shards', shardSize: 8 });
    expect(shards.resources).toEqual([]);
    expect(toHex(shards.rootDigest)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('refuses the symlink fixture unless symlinks are allowed', async () => {
    await expect(hashModel(join(fixtures, 'symlink_model'), { ignoreGitPaths: false })).rejects.toMatchObject({
      code: 'ERR_SYMLINK_REFUSED',
    });
  });

  it('ignores git paths by default, and then records them in ignore_paths', async () => {
    const manifest = await hashModel(join(fixtures, 'sample_model'));
    const statement = buildOmsStatement(manifest);
    expect(statement.predicate.serialization.ignore_paths).toEqual(['.git', '.gitattributes', '.github', '.gitignore']);
  });
});

describe.skipIf(HAVE_VECTORS)('OMS golden statements', () => {
  it.skip(`skipped: ${OMS} is absent (the shared vectors are not checked out)`, () => undefined);
});

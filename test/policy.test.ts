/**
 * Trust policies: YAML (strict) and JSON, keys from files and inline, every
 * bad policy refused with ERR_POLICY_INVALID naming every bad field, and the
 * published JSON Schema generated from the validator's own schema.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importPublicKey, type PublicKey } from '../src/envelope/keys.js';
import { InputError } from '../src/lib/errors.js';
import { RECORD_KINDS } from '../src/records/kinds.js';
import { GOVERNANCE_KINDS } from '../src/verify/governance.js';
import { loadPolicy, parseDuration, parsePolicy, PolicyError, policyFromKeys } from '../src/verify/policy.js';
import { POLICY_SCHEMA_FILE, POLICY_SCHEMA_ID, policyJsonSchema, policyJsonSchemaText } from '../src/verify/policy-schema.js';
import { cleanupTemp, makeTemp, REPO } from './helpers.js';

let dir: string;
const pems: Record<string, { pub: string; priv: string; key: PublicKey }> = {};

beforeAll(async () => {
  dir = await makeTemp('provenant-policy-');
  await mkdir(join(dir, 'keys'));
  for (const [name, alg] of [['a', 'ed25519'], ['b', 'p256'], ['c', 'p384'], ['d', 'p521']] as const) {
    const pair = generateKeyPair(alg);
    pems[name] = { pub: pair.publicKeyPem, priv: pair.privateKeyPem, key: await importPublicKey(pair.publicKeyPem) };
    await writeFile(join(dir, `keys/${name}.pub`), pair.publicKeyPem);
    await writeFile(join(dir, `keys/${name}.pem`), pair.privateKeyPem);
  }
});
afterAll(cleanupTemp);

const GOOD = `# who may sign what
version: 1
roles:
  publisher: { keys: [keys/a.pub], threshold: 1 }
  curator:
    keys: [keys/a.pub, keys/b.pub]
    threshold: 2
    description: dataset curators
kinds:
  weights: { signedBy: publisher }
  model: { signedBy: publisher, approval: adopt-model }
  dataset: { signedBy: curator, maxAge: 730d }
governance:
  genesis: bagaaierasords4njcts6vs7qvdjfcvgnume4hqohf65zsfguprqphs3icwea
algorithms: [ed25519, p256]
maxAge: 365d
`;

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Expect a PolicyError (exit 2) whose fields include every `path: message-fragment` given. */
async function expectInvalid(promise: Promise<unknown>, expected: [string, string][]): Promise<PolicyError> {
  let err: unknown;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a PolicyError').toBeInstanceOf(PolicyError);
  const policyError = err as PolicyError;
  expect(policyError).toBeInstanceOf(InputError);
  expect(policyError.code).toBe('ERR_POLICY_INVALID');
  expect(policyError.exitCode).toBe(2);
  for (const [path, fragment] of expected) {
    expect(policyError.fields.some((f) => f.path === path && f.message.includes(fragment)), `${path}: ${fragment}\n${policyError.message}`).toBe(true);
  }
  return policyError;
}

describe('loadPolicy: good policies', () => {
  it('reads YAML: roles with their keys (relative to the policy file) and thresholds, kind rules, algorithms, ages, genesis', async () => {
    const policy = await loadPolicy(await write('policy.yaml', GOOD));
    expect([...policy.roles.keys()]).toEqual(['publisher', 'curator']);
    expect(policy.roles.get('curator')!.threshold).toBe(2);
    expect(policy.roles.get('curator')!.keys.map((k) => k.keyId)).toEqual([pems.a!.key.keyId, pems.b!.key.keyId]);
    expect(policy.roles.get('publisher')!.threshold).toBe(1);
    expect(Object.fromEntries(policy.kinds)).toEqual({
      weights: { signedBy: 'publisher' },
      model: { signedBy: 'publisher', approval: 'adopt-model' },
      dataset: { signedBy: 'curator', maxAgeMs: 730 * 86_400_000 },
    });
    expect(policy.algorithms).toEqual(['ed25519', 'p256']);
    expect(policy.maxAgeMs).toBe(365 * 86_400_000);
    expect(policy.genesis).toBe('bagaaierasords4njcts6vs7qvdjfcvgnume4hqohf65zsfguprqphs3icwea');
    expect(policy.source).toContain('policy.yaml');
    expect(Object.isFrozen(policy)).toBe(true);
  });

  it('reads the same policy as JSON (strict JSON for .json files), with inline PEM and inline JWK keys', async () => {
    const jwk = JSON.stringify(pems.b!.key.keyObject.export({ format: 'jwk' }));
    const doc = {
      version: 1,
      roles: { publisher: { keys: [pems.a!.pub] }, curator: { keys: ['keys/a.pub', jwk], threshold: 2 } },
      kinds: { model: { signedBy: 'publisher' }, dataset: { signedBy: 'curator' } },
    };
    const policy = await loadPolicy(await write('policy.json', JSON.stringify(doc, null, 2)));
    expect(policy.roles.get('publisher')!.keys[0]!.keyId).toBe(pems.a!.key.keyId);
    expect(policy.roles.get('curator')!.keys[1]!.keyId).toBe(pems.b!.key.keyId);
    expect(policy.algorithms).toEqual(['ed25519', 'p256', 'p384']);
    expect(policy.genesis).toBeUndefined();
    // An already-parsed document works too (keys relative to baseDir).
    const again = await parsePolicy(doc, { baseDir: dir });
    expect([...again.kinds.keys()]).toEqual(['model', 'dataset']);
  });

  it('durations: s m h d w', () => {
    expect([parseDuration('90s'), parseDuration('90m'), parseDuration('36h'), parseDuration('2d'), parseDuration('1w')]).toEqual([
      90_000, 5_400_000, 129_600_000, 172_800_000, 604_800_000,
    ]);
    expect(parseDuration('0d')).toBeUndefined();
    expect(parseDuration('1y')).toBeUndefined();
    expect(parseDuration('1.5h')).toBeUndefined();
  });

  it('YAML aliases within the bound are fine (a shared key list)', async () => {
    const text = 'version: 1\nroles:\n  a: { keys: &k [keys/a.pub] }\n  b: { keys: *k }\nkinds:\n  model: { signedBy: a }\n  dataset: { signedBy: b }\n';
    const policy = await parsePolicy(text, { baseDir: dir });
    expect(policy.roles.get('b')!.keys[0]!.keyId).toBe(pems.a!.key.keyId);
  });
});

describe('loadPolicy: every bad policy is ERR_POLICY_INVALID (exit 2), naming every bad field', () => {
  it('an unreadable file', async () => {
    await expectInvalid(loadPolicy(join(dir, 'missing.yaml')), [['policy', 'no such file']]);
    await expectInvalid(loadPolicy(dir), [['policy', 'not a regular file']]);
  });

  it('YAML syntax, duplicate keys, custom and YAML 1.1 tags, several documents, merge keys, __proto__', async () => {
    await expectInvalid(parsePolicy('version: 1\nroles: [unclosed\n'), [['policy', 'is not valid YAML']]);
    await expectInvalid(parsePolicy('version: 1\nversion: 1\n'), [['policy', 'is not valid YAML']]);
    await expectInvalid(parsePolicy('version: !!js/function "return 1"\n'), [['policy', 'is not valid YAML']]);
    await expectInvalid(parsePolicy('version: !custom 1\n'), [['policy', 'is not valid YAML']]);
    await expectInvalid(parsePolicy('version: !!binary aGVsbG8=\n'), [['policy', 'is not valid YAML']]);
    await expectInvalid(parsePolicy('version: 1\n---\nversion: 1\n'), [['policy', 'is not valid YAML']]);
    const merged = await expectInvalid(parsePolicy('base: &b { keys: [keys/a.pub] }\nversion: 1\nroles:\n  a: { <<: *b }\nkinds: {}\n', { baseDir: dir }), []);
    expect(merged.fields.map((f) => f.path)).toContain('policy.roles.a["<<"]');
    await expectInvalid(parsePolicy('version: 1\n__proto__: { polluted: true }\nroles: {}\nkinds: {}\n'), [['policy["__proto__"]', '"__proto__" keys are not accepted']]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectInvalid(parsePolicy('version: .inf\nroles: {}\nkinds: {}\n'), [['policy.version', 'finite number']]);
  });

  it('an alias bomb ("billion laughs") is refused, not expanded', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const started = Date.now();
    await expectInvalid(parsePolicy(`${lines.join('\n')}\nversion: 1\n`), [['policy', 'YAML']]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('JSON: duplicate keys and syntax (for .json files)', async () => {
    await expectInvalid(loadPolicy(await write('dup.json', '{"version":1,"version":1}')), [['policy', 'duplicate key "version"']]);
    await expectInvalid(loadPolicy(await write('bad.json', '{"version":1,')), [['policy', 'not valid JSON']]);
    await expectInvalid(parsePolicy(new Uint8Array([0xff, 0xfe, 0x00])), [['policy', 'UTF-8']]);
  });

  it('too large', async () => {
    await expectInvalid(parsePolicy(`# ${'x'.repeat(1024 * 1024)}\n`), [['policy', 'above the limit']]);
  });

  it('schema violations, all at once: version, unknown fields, types, thresholds, names, durations', async () => {
    const text = [
      'version: 2',
      'extra: true',
      'roles:',
      '  Publisher: { keys: [keys/a.pub] }',
      '  empty: { keys: [] }',
      '  zero: { keys: [keys/a.pub], threshold: 0 }',
      '  typo: { key: [keys/a.pub] }',
      'kinds:',
      '  model: { signedBy: 7, approval: "Adopt Model" }',
      '  dataset: { signedBy: zero, maxAge: 2y }',
      'algorithms: [ed25519, rsa]',
      'maxAge: forever',
      'governance: { genesis: not-an-id }',
    ].join('\n');
    const err = await expectInvalid(parsePolicy(text, { baseDir: dir }), [
      ['policy.version', 'expected 1'],
      ['policy.extra', 'is not an allowed field'],
      ['policy.roles.Publisher', 'is not an allowed name'],
      ['policy.roles.empty.keys', 'at least one item'],
      ['policy.roles.zero.threshold', 'at least 1'],
      ['policy.roles.typo.keys', 'is required'],
      ['policy.roles.typo.key', 'is not an allowed field'],
      ['policy.kinds.model.signedBy', 'expected a string'],
      ['policy.kinds.model.approval', 'expected a name'],
      ['policy.kinds.dataset.maxAge', 'expected a duration'],
      ['policy.algorithms[1]', 'expected one of'],
      ['policy.maxAge', 'expected a duration'],
      ['policy.governance.genesis', 'record id'],
    ]);
    expect(err.fieldCount).toBeGreaterThanOrEqual(13);
    expect(err.message).toMatch(/^the trust policy \(inline\) is invalid \(\d+ problems\):\n {2}policy\.version: /);
  });

  it('the document is not a map, or misses version, roles and kinds', async () => {
    await expectInvalid(parsePolicy('[1, 2]'), [['policy', 'expected an object']]);
    await expectInvalid(parsePolicy(''), [['policy', 'expected an object']]);
    await expectInvalid(parsePolicy('roles: {}'), [['policy.version', 'is required'], ['policy.kinds', 'is required']]);
  });

  it('an unknown role referenced, an unknown kind, a missing key file, a threshold above the key count', async () => {
    const text = [
      'version: 1',
      'roles:',
      '  publisher: { keys: [keys/a.pub, keys/missing.pub] }',
      '  curator: { keys: [keys/a.pub, keys/b.pub], threshold: 3 }',
      'kinds:',
      '  model: { signedBy: publisher }',
      '  dataset: { signedBy: curators }',
      '  widget: { signedBy: publisher }',
    ].join('\n');
    await expectInvalid(parsePolicy(text, { baseDir: dir }), [
      ['policy.roles.publisher.keys[1]', 'no such file'],
      ['policy.roles.curator.threshold', "is 3, above the role's 2 keys"],
      ['policy.kinds.dataset.signedBy', 'names no role in policy.roles'],
      ['policy.kinds.widget', 'is not a record kind provenant knows'],
    ]);
  });

  it('a private key, the same key twice, a key whose algorithm the policy does not accept, an unreadable inline key', async () => {
    const text = [
      'version: 1',
      'roles:',
      '  a: { keys: [keys/a.pem] }',
      '  b: { keys: [keys/a.pub, keys/a.pub] }',
      '  c: { keys: [keys/c.pub] }',
      '  d: { keys: ["-----BEGIN PUBLIC KEY-----\\nnot base64\\n-----END PUBLIC KEY-----\\n"] }',
      'kinds:',
      '  model: { signedBy: a }',
      'algorithms: [ed25519, p256]',
    ].join('\n');
    await expectInvalid(parsePolicy(text, { baseDir: dir }), [
      ['policy.roles.a.keys[0]', 'is a private key'],
      ['policy.roles.b.keys[1]', 'is the same key as policy.roles.b.keys[0]'],
      ['policy.roles.c.keys[0]', 'is a p384 key; policy.algorithms accepts ed25519, p256'],
      ['policy.roles.d.keys[0]', 'cannot read the public key'],
    ]);
    // p521 is accepted only when named.
    await expectInvalid(parsePolicy('version: 1\nroles:\n  a: { keys: [keys/d.pub] }\nkinds: {}\n', { baseDir: dir }), [['policy.roles.a.keys[0]', 'is a p521 key']]);
    const p521 = await parsePolicy('version: 1\nroles:\n  a: { keys: [keys/d.pub] }\nkinds: {}\nalgorithms: [p521]\n', { baseDir: dir });
    expect(p521.roles.get('a')!.keys[0]!.algorithm).toBe('p521');
  });

  it('an approval needs the electorate genesis', async () => {
    await expectInvalid(parsePolicy('version: 1\nroles:\n  a: { keys: [keys/a.pub] }\nkinds:\n  model: { signedBy: a, approval: adopt-model }\n', { baseDir: dir }), [
      ['policy.kinds.model.approval', 'needs policy.governance.genesis'],
    ]);
  });

  it('hostile documents only ever give a policy or a PolicyError', async () => {
    const value = fc.letrec((tie) => ({
      any: fc.oneof({ depthSize: 'small' }, fc.constantFrom(null, true, 1, -1, 1.5, '', 'keys/a.pub', '__proto__', 'publisher', 'model'), fc.array(tie('any'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('version', 'roles', 'kinds', 'keys', 'threshold', 'signedBy', 'publisher', 'model', '__proto__', 'constructor'), tie('any'), { maxKeys: 4 })),
    })).any;
    await fc.assert(
      fc.asyncProperty(value, async (doc) => {
        for (const input of [doc, JSON.stringify(doc) ?? 'null']) {
          try {
            await parsePolicy(input as object, { baseDir: dir });
          } catch (err) {
            if (!(err instanceof PolicyError)) throw err;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('policyFromKeys', () => {
  it('one role, `trusted`, for every kind except the governance kinds; no keys: nothing trusted', () => {
    const policy = policyFromKeys([pems.a!.key, pems.b!.key, pems.a!.key]);
    expect(policy.roles.get('trusted')!.keys).toHaveLength(2);
    const expected = RECORD_KINDS.filter((k) => !(GOVERNANCE_KINDS as readonly string[]).includes(k));
    expect([...policy.kinds.keys()]).toEqual(expected);
    expect(expected).toContain('model');
    expect(policyFromKeys([]).kinds.size).toBe(0);
    expect(() => policyFromKeys([pems.a!.key], { threshold: 2 })).toThrow(PolicyError);
    expect(() => policyFromKeys([pems.c!.key], { algorithms: ['ed25519'] })).toThrow(PolicyError);
  });
});

describe('docs/schema/policy.v1.schema.json', () => {
  it('is generated from the validator schema (run `node scripts/write-schemas.mjs` after changing it)', async () => {
    const onDisk = await readFile(join(REPO, 'docs/schema', POLICY_SCHEMA_FILE), 'utf8');
    expect(onDisk).toBe(policyJsonSchemaText());
    const doc = policyJsonSchema();
    expect(doc.$id).toBe(POLICY_SCHEMA_ID);
    expect(JSON.stringify(doc)).not.toContain('patternHint');
  });

  it('compiles in ajv (draft 2020-12, strict) and agrees with the validator on the documented example and on bad documents', async () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validate = ajv.compile(policyJsonSchema());
    const { parse } = await import('yaml');
    const good = parse(GOOD) as unknown;
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
    const guide = await readFile(join(REPO, 'docs/guides/trust-policy.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(guide)![1]!;
    expect(validate(parse(example)), JSON.stringify(validate.errors)).toBe(true);
    for (const bad of [
      { version: 1, roles: { Bad: { keys: ['k'] } }, kinds: {} },
      { version: 1, roles: { a: { keys: ['k'], threshold: 0 } }, kinds: {} },
      { version: 1, roles: {}, kinds: { model: { signedBy: 'a', extra: 1 } } },
      { version: 1, roles: {}, kinds: {}, maxAge: '1y' },
    ]) {
      expect(validate(bad)).toBe(false);
      await expect(parsePolicy(bad, { baseDir: dir })).rejects.toThrow(PolicyError);
    }
  });
});

/**
 * Predicate schemas: the published JSON Schemas must match the source the
 * validator reads, and our validator must agree with ajv (an independent
 * JSON Schema 2020-12 implementation) on what is valid and on which fields
 * are bad, for hand-written samples and for fast-check's hostile values.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/lib/bytes.js';
import { dateTime, uri } from '../src/records/schema/fragments.js';
import { isDateTime, isUri } from '../src/records/schema/formats.js';
import {
  JSON_SCHEMA_DIALECT,
  predicateJsonSchema,
  predicateSchemaFileName,
  predicateJsonSchemaText,
  predicateSchemaId,
  SCHEMA_KINDS,
} from '../src/records/schema/json-schema.js';
import { GOVERNANCE_METHODS, PROPOSAL_ACTIONS, REJECTION_REASONS } from '../src/records/schema/governance.js';
import { PREDICATE_SCHEMAS, type SchemaKind } from '../src/records/schema/registry.js';
import type { Schema } from '../src/records/schema/types.js';
import { checkSchema, FieldErrors, MAX_FIELD_ERRORS, propertyPath, SchemaValidationError, validateSchema } from '../src/records/schema/validate.js';
import { REPO } from './helpers.js';

const DOCS = join(REPO, 'docs/schema');

function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  return ajv;
}

/** Drop our private annotations, as the published documents do. */
function published(schema: Schema): object {
  return JSON.parse(JSON.stringify(schema, (k, v: unknown) => (k === 'patternHint' ? undefined : v))) as object;
}

function ours(schema: Schema, value: unknown): string[] {
  const errors = new FieldErrors();
  checkSchema(schema, value, 'predicate', errors);
  expect(errors.count).toBeLessThanOrEqual(MAX_FIELD_ERRORS);
  return [...new Set(errors.list.map((e) => e.path))].sort();
}

/** ajv's errors as our paths: walk the data along the JSON pointer so array indexes and keys are told apart. */
function ajvPaths(errors: readonly ErrorObject[] | null | undefined, data: unknown): string[] {
  const out = new Set<string>();
  for (const e of errors ?? []) {
    const segments = e.instancePath === '' ? [] : e.instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'required') segments.push((e.params as { missingProperty: string }).missingProperty);
    if (e.keyword === 'additionalProperties') segments.push((e.params as { additionalProperty: string }).additionalProperty);
    let path = 'predicate';
    let at: unknown = data;
    for (const seg of segments) {
      if (Array.isArray(at)) {
        path += `[${seg}]`;
        at = at[Number(seg)];
      } else {
        path = propertyPath(path, seg);
        at = at !== null && typeof at === 'object' && Object.hasOwn(at, seg) ? (at as Record<string, unknown>)[seg] : undefined;
      }
    }
    out.add(path);
  }
  return [...out].sort();
}

function agree(schema: Schema, validate: ValidateFunction, value: unknown): { valid: boolean; paths: string[] } {
  const mine = ours(schema, value);
  const valid = validate(value);
  const theirs = ajvPaths(validate.errors, value);
  expect({ valid: mine.length === 0, paths: mine }).toEqual({ valid, paths: theirs });
  return { valid, paths: mine };
}

// ---------------------------------------------------------------- samples

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const hex64 = bytes32.map(toHex);
const recordIdText = bytes32.map((d) => CID.createV1(0x0200, Digest.create(0x12, d)).toString());
const text = (max: number) =>
  fc.string({ minLength: 1, maxLength: max, unit: 'binary' }).filter((s) => !/[\u0000-\u001f\u007f]/u.test(s));
const tokenText = fc.stringMatching(/^[A-Za-z0-9._+-]{1,20}$/);
const pathSegment = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._ -]{0,11}$/).filter((s) => s !== '.' && s !== '..');
const relPath = fc.array(pathSegment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
const sourceUri = fc.constantFrom('https://example.com/data', 'hf://datasets/org/name', 'urn:isbn:0451450523', 's3://bucket/key?versionId=1#x');
const size = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

const validDataset = fc.record(
  {
    name: text(40),
    version: tokenText,
    license: text(20),
    source: sourceUri,
    recordCount: size,
    files: fc.array(fc.record({ name: relPath, sha256: hex64, size }), { minLength: 1, maxLength: 5 }),
    rootDigest: hex64,
    approvals: fc.uniqueArray(recordIdText, { maxLength: 3 }),
  },
  { requiredKeys: ['name', 'version', 'files', 'rootDigest'] },
);

const digested = fc.record({ name: text(20), sha256: hex64, size }, { requiredKeys: ['name', 'sha256'] });
const validModel = fc.record(
  {
    name: text(40),
    version: tokenText,
    format: tokenText,
    license: text(20),
    weights: fc.record({ id: recordIdText, rootDigest: hex64 }),
    datasets: fc.uniqueArray(recordIdText, { maxLength: 3 }),
    parents: fc.uniqueArray(recordIdText, { maxLength: 2 }),
    card: digested,
    trainingConfig: digested,
    approvals: fc.uniqueArray(recordIdText, { maxLength: 2 }),
  },
  { requiredKeys: ['name', 'version', 'weights'] },
);

const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const time = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/);
const method = fc.constantFrom(...GOVERNANCE_METHODS);
const validElectorate = fc.record(
  {
    name: tokenText,
    version: fc.integer({ min: 1, max: 1_000_000 }),
    previous: recordIdText,
    members: fc.array(
      fc.record(
        {
          id: tokenText,
          name: text(20),
          keys: fc.array(fc.record({ kty: fc.constantFrom('OKP', 'EC'), crv: fc.constantFrom('Ed25519', 'P-256', 'P-384', 'P-521'), x: b64url, y: b64url }, { requiredKeys: ['kty', 'crv', 'x'] }), { minLength: 1, maxLength: 2 }),
          weight: fc.double({ min: 0, max: 1e12, noNaN: true }),
          roles: fc.uniqueArray(tokenText, { maxLength: 3 }),
        },
        { requiredKeys: ['id', 'keys', 'weight', 'roles'] },
      ),
      { minLength: 1, maxLength: 3 },
    ),
    threshold: fc.integer({ min: 1, max: 1000 }),
    rules: fc.record({ method, quorum: fraction, threshold: fraction, proposers: fc.uniqueArray(tokenText, { maxLength: 3 }) }, { requiredKeys: ['method', 'quorum', 'threshold'] }),
    created: time,
  },
  { requiredKeys: ['name', 'version', 'members', 'threshold', 'rules'] },
);
const validProposal = fc.record(
  {
    electorate: recordIdText,
    proposer: tokenText,
    action: fc.constantFrom(...PROPOSAL_ACTIONS),
    title: text(40),
    rationale: fc.string({ minLength: 1, maxLength: 80 }),
    targets: fc.uniqueArray(recordIdText, { minLength: 1, maxLength: 3 }),
    parameter: fc.record({ name: tokenText, max: fc.double({ noNaN: true, noDefaultInfinity: true }), min: fc.double({ noNaN: true, noDefaultInfinity: true }), equals: text(20) }, { requiredKeys: ['name'] }),
    measure: text(40),
    method,
    choices: fc.uniqueArray(text(10), { minLength: 2, maxLength: 5 }),
    approve: fc.integer({ min: 1, max: 32 }),
    abstain: fc.integer({ min: 1, max: 32 }),
    quorum: fraction,
    threshold: fraction,
    opens: time,
    closes: time,
  },
  { requiredKeys: ['electorate', 'proposer', 'action', 'title', 'rationale', 'method', 'choices', 'approve', 'quorum', 'threshold', 'opens', 'closes'] },
);
const validBallot = fc.record(
  { proposal: recordIdText, electorate: recordIdText, voter: tokenText, choice: fc.jsonValue({ maxDepth: 2 }), cast: time, reason: text(30) },
  { requiredKeys: ['proposal', 'electorate', 'voter', 'choice', 'cast'] },
);
const validDecision = fc.record(
  {
    proposal: recordIdText,
    electorate: recordIdText,
    ballots: fc.uniqueArray(recordIdText, { maxLength: 4 }),
    tally: fc.record({
      method,
      scores: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 5 }),
      scoresTotal: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
      totalWeight: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
      voters: fc.integer({ min: 0, max: 10_000 }),
    }),
    quorumMet: fc.boolean(),
    outcome: fc.constantFrom('approved', 'rejected'),
    reason: fc.constantFrom(...REJECTION_REASONS),
    decided: time,
  },
  { requiredKeys: ['proposal', 'electorate', 'ballots', 'tally', 'quorumMet', 'outcome', 'decided'] },
);

const mediaType = fc.constantFrom('text/plain', 'text/plain; charset=utf-8', 'image/png', 'application/vnd.example+json;v="1 2"');
const parameterValue = fc.oneof(text(20), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());
const validOutput = fc.record(
  {
    model: recordIdText,
    created: time,
    mediaType,
    size,
    parameters: fc.dictionary(tokenText, parameterValue, { maxKeys: 4 }),
    promptDigest: fc.record({ alg: fc.constant('hmac-sha256'), keyId: fc.stringMatching(/^[0-9a-f]{16}$/), digest: hex64 }),
  },
  { requiredKeys: ['model', 'created', 'mediaType', 'size', 'parameters'] },
);
const validOutputBatch = fc.record({
  model: recordIdText,
  created: time,
  count: fc.integer({ min: 1, max: 2 ** 24 }),
  treeAlg: fc.constant('rfc6962-sha256'),
  leafType: fc.constant('https://provenant.dev/output-leaf/v1'),
  window: fc.record({ start: time, end: time }),
});
const OUTPUT_VALID = { output: validOutput, 'output-batch': validOutputBatch };
const GOVERNANCE_VALID = { electorate: validElectorate, proposal: validProposal, ballot: validBallot, decision: validDecision };
const VALID: Record<SchemaKind, fc.Arbitrary<Record<string, unknown>>> = { dataset: validDataset, model: validModel, ...GOVERNANCE_VALID, ...OUTPUT_VALID };

/** Values chosen to break things: wrong types, edge numbers, hostile strings. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    '',
    ' ',
    'a\u0000b',
    'line\nbreak',
    '\u001b[31mred',
    '../etc/passwd',
    '/abs',
    'a//b',
    'a/./b',
    'C:/x',
    'a\\b',
    'A'.repeat(64),
    '0'.repeat(63),
    'g'.repeat(64),
    'bagaaiera' + 'a'.repeat(52),
    'bagaaiera' + 'a'.repeat(51) + 'b',
    'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
    'https://[::1]/x',
    'http:/[::1]',
    'mailto:',
    'x:?q',
    'not a uri',
    '\ud800',
    '😀'.repeat(257),
    -1,
    0.5,
    1e21,
    -0,
    Number.MAX_SAFE_INTEGER + 2,
    [],
    {},
    null,
    true,
  ),
);

type Json = Record<string, unknown> | unknown[];

/** Every path (as key lists) inside a JSON value. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

type Mutation = { at: number; op: 'set' | 'delete' | 'add'; value: unknown; key: string };

function mutate(start: Record<string, unknown>, mutations: readonly Mutation[]): unknown {
  let root: unknown = structuredClone(start);
  for (const original of mutations) {
    // A fresh copy of the inserted value each time: fast-check may hand the
    // same object to two mutations, and inserting it into itself would make
    // a cycle (regression: a cyclic value overflowed pathsOf's stack).
    const m = { ...original, value: structuredClone(original.value) };
    const paths = pathsOf(root);
    const path = paths[m.at % paths.length]!;
    if (path.length === 0) {
      if (m.op === 'set') root = m.value;
      else if (m.op === 'add' && root !== null && typeof root === 'object' && !Array.isArray(root)) {
        Object.defineProperty(root, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
      }
      continue;
    }
    const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root) as Json;
    const last = path[path.length - 1]!;
    if (m.op === 'set') (parent as Record<string | number, unknown>)[last] = m.value;
    else if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last as string];
    } else {
      const target = (parent as Record<string | number, unknown>)[last];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
        // defineProperty, so a "__proto__" key becomes a real own key as JSON.parse would make it.
        Object.defineProperty(target, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
      } else if (Array.isArray(target)) target.push(m.value);
    }
  }
  return root;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('set', 'delete', 'add'),
  value: hostileValue,
  key: fc.constantFrom('__proto__', 'constructor', 'extra', 'a b', 'name', 'size', 'toString'),
});

// ---------------------------------------------------------------- tests

describe('published JSON Schemas', () => {
  it('docs/schema matches the schema source exactly (run `node scripts/write-schemas.mjs` after changing a schema)', async () => {
    // Besides the predicates, docs/schema holds the trust policy's schema (checked by test/policy.test.ts).
    const names = (await readdir(DOCS)).filter((n) => n.endsWith('.schema.json') && n !== 'policy.v1.schema.json').sort();
    expect(names).toEqual(SCHEMA_KINDS.map(predicateSchemaFileName).sort());
    for (const kind of SCHEMA_KINDS) {
      const onDisk = await readFile(join(DOCS, predicateSchemaFileName(kind)), 'utf8');
      expect(onDisk, `docs/schema/${predicateSchemaFileName(kind)} is stale`).toBe(predicateJsonSchemaText(kind));
    }
  });

  it('every kind with rules has a published schema and the other way round', () => {
    expect([...SCHEMA_KINDS].sort()).toEqual(Object.keys(PREDICATE_SCHEMAS).sort());
  });

  it.each(SCHEMA_KINDS)('%s: is draft 2020-12 with its $id, compiles in ajv strict mode, and has no private keywords', (kind) => {
    const doc = predicateJsonSchema(kind);
    expect(doc.$schema).toBe(JSON_SCHEMA_DIALECT);
    expect(doc.$id).toBe(predicateSchemaId(kind));
    expect(predicateSchemaId(kind)).toBe(`https://provenant.dev/schema/${kind}/v1.json`);
    expect(JSON.stringify(doc)).not.toContain('patternHint');
    expect(() => newAjv().compile(doc)).not.toThrow();
  });
});

describe('validator vs ajv', () => {
  const validators = Object.fromEntries(SCHEMA_KINDS.map((k) => [k, newAjv().compile(predicateJsonSchema(k))])) as Record<SchemaKind, ValidateFunction>;

  it.each(SCHEMA_KINDS)('%s: both accept generated valid predicates', (kind) => {
    fc.assert(
      fc.property(VALID[kind], (p) => {
        expect(agree(PREDICATE_SCHEMAS[kind], validators[kind], p).valid).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it.each(SCHEMA_KINDS)('%s: both give the same verdict and the same bad paths for mutated predicates', (kind) => {
    const verdicts = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(VALID[kind], fc.array(mutation, { minLength: 1, maxLength: 4 }), (p, ms) => {
        verdicts[agree(PREDICATE_SCHEMAS[kind], validators[kind], mutate(p, ms)).valid ? 'valid' : 'invalid']++;
      }),
      { numRuns: 1500 },
    );
    // Both outcomes must be well represented, or the comparison proves little.
    expect(verdicts.valid).toBeGreaterThan(50);
    expect(verdicts.invalid).toBeGreaterThan(500);
  });

  it.each(SCHEMA_KINDS)('%s: both reject arbitrary JSON values and agree on the paths', (kind) => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.constantFrom('name', 'version', 'files', 'weights', '__proto__', 'x'), hostileValue)), (v) => {
        agree(PREDICATE_SCHEMAS[kind], validators[kind], v);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees on date-time and URI fields, including near misses', () => {
    const schema: Schema = { type: 'object', properties: { at: dateTime('a time'), source: uri('a uri') } };
    const validate = newAjv().compile(published(schema));
    const two = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => String(n).padStart(2, '0'));
    const dateTimeLike = fc
      .tuple(
        fc.constantFrom('2024', '2023', '1900', '2000', '0000', '9999', '123'),
        two(0, 13),
        two(0, 32),
        fc.constantFrom('T', 'T', 'T', 't', ' ', 'X'),
        two(0, 25),
        two(0, 61),
        two(0, 61),
        fc.constantFrom('', '.5', '.123456789', '.1234567890', '.'),
        fc.constantFrom('Z', 'z', '', '+00:00', '-08:00', '+23:59', '+24:00', '+0100', '+01', '-00:60', '+05:30'),
      )
      .map((p) => `${p[0]}-${p[1]}-${p[2]}${p[3]}${p[4]}:${p[5]}:${p[6]}${p[7]}${p[8]}`);
    const chars = fc.constantFrom(...'aZ09-._~!$&\'()*+,;=:@/?#%[]<>"\\^`{|} é'.split(''), '%41', '%zz', '%4');
    const segment = fc.array(chars, { maxLength: 6 }).map((a) => a.join(''));
    const host = fc.constantFrom(
      'example.com',
      '',
      '1.2.3.4',
      '256.1.1.1',
      '[::1]',
      '[::]',
      '[1:2:3:4:5:6:7:8]',
      '[1:2:3:4:5:6:7:8:9]',
      '[1::2::3]',
      '[::ffff:1.2.3.4]',
      '[::ffff:01.2.3.4]',
      '[fe80::1%25eth0]',
      '[v1.x]',
      '[v.x]',
      '[::1',
      'user@host',
      'a@b@c',
      'host:8080',
      'host:80a',
      'ex ample',
    );
    const uriLike = fc
      .tuple(
        fc.constantFrom('http', 'https', 'a', 'A+b.c-d', '1a', '', 'hf'),
        fc.constantFrom(':', '', '://'),
        fc.oneof(
          fc.tuple(fc.constant('//'), host, fc.array(segment, { maxLength: 3 })).map(([s, h, p]) => `${s}${h}${p.map((x) => `/${x}`).join('')}`),
          fc.array(segment, { maxLength: 3 }).map((p) => p.join('/')),
        ),
        fc.constantFrom('', '?q=1', '?a b', '#frag', '#a#b', '?%', '#%41'),
      )
      .map((p) => p.join(''));
    const verdicts = { at: [0, 0], source: [0, 0] };
    fc.assert(
      fc.property(dateTimeLike, uriLike, (at, source) => {
        verdicts.at[agree(schema, validate, { at }).valid ? 0 : 1]!++;
        verdicts.source[agree(schema, validate, { source }).valid ? 0 : 1]!++;
      }),
      { numRuns: 3000 },
    );
    for (const [valid, invalid] of Object.values(verdicts)) {
      expect(valid).toBeGreaterThan(30);
      expect(invalid).toBeGreaterThan(30);
    }
  });
});

describe('field errors', () => {
  it('lists every bad field path at once, with readable messages', () => {
    const predicate = {
      name: '',
      version: 'has space',
      files: [
        { name: 'a', sha256: 'a'.repeat(64), size: 1 },
        { name: 'b', sha256: 'a'.repeat(64), size: 1 },
        { name: '../c', sha256: 'a'.repeat(64), size: -1 },
        { name: 'd', sha256: 'XYZ', size: 1 },
      ],
      rootDigest: 'a'.repeat(64),
      approvals: ['not-a-cid', 'not-a-cid'],
      extra: true,
    };
    let err: unknown;
    try {
      validateSchema(PREDICATE_SCHEMAS.dataset, predicate, 'predicate', 'dataset predicate');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SchemaValidationError);
    const e = err as SchemaValidationError;
    expect(e.code).toBe('ERR_SCHEMA');
    expect(e.exitCode).toBe(1);
    expect(e.fields.map((f) => `${f.path}: ${f.message}`)).toEqual([
      'predicate.name: expected a non-empty string',
      'predicate.version: expected text without spaces or control characters',
      'predicate.files[2].name: expected a relative path inside the dataset (no "..", ".", empty component, leading "/" or backslash)',
      'predicate.files[2].size: expected at least 0, got -1',
      'predicate.files[3].sha256: expected 64 lower-case hex digits',
      'predicate.approvals: items 0 and 1 are equal; expected unique items',
      'predicate.approvals[0]: expected a provenant record id (CIDv1 json sha2-256, base32 "bagaaiera...")',
      'predicate.approvals[1]: expected a provenant record id (CIDv1 json sha2-256, base32 "bagaaiera...")',
      'predicate.extra: is not an allowed field',
    ]);
    expect(e.details).toEqual(e.fields.map((f) => `${f.path}: ${f.message}`));
    expect(e.message).toContain('9 problems');
  });

  it('names missing required fields and quotes keys that are not identifiers', () => {
    const errors = new FieldErrors();
    checkSchema(PREDICATE_SCHEMAS.model, Object.fromEntries([['__proto__', 1], ['a b', 2], ['weights', {}]]), 'predicate', errors);
    expect(errors.list.map((f) => f.path).sort()).toEqual(
      ['predicate.name', 'predicate.version', 'predicate["__proto__"]', 'predicate["a b"]', 'predicate.weights.id', 'predicate.weights.rootDigest'].sort(),
    );
  });

  it('keeps at most MAX_FIELD_ERRORS fields but counts them all', () => {
    const files = Array.from({ length: 150 }, (_, i) => ({ name: `f${i}`, sha256: 'bad', size: 0 }));
    let err: SchemaValidationError | undefined;
    try {
      validateSchema(PREDICATE_SCHEMAS.dataset, { name: 'x', version: '1', files, rootDigest: 'a'.repeat(64) }, 'predicate', 'dataset');
    } catch (e) {
      err = e as SchemaValidationError;
    }
    expect(err?.fields).toHaveLength(MAX_FIELD_ERRORS);
    expect(err?.fieldCount).toBe(150);
    expect(err?.details.at(-1)).toBe('...and 50 more');
  });

  it('counts string length in code points, as JSON Schema does', () => {
    const schema: Schema = { type: 'string', maxLength: 2, minLength: 2 };
    const errors = new FieldErrors();
    checkSchema(schema, '😀😀', 'v', errors);
    expect(errors.count).toBe(0);
    checkSchema(schema, '😀', 'v', errors);
    expect(errors.list).toEqual([{ path: 'v', message: 'expected at least 2 characters, got 1' }]);
  });
});

describe('formats', () => {
  it.each([
    ['1963-06-19T08:30:06.283185Z', true],
    ['1963-06-19t08:30:06z', true],
    ['1937-01-01T12:00:27.87+00:20', true],
    ['1990-12-31T15:59:50.123-08:00', true],
    ['1998-12-31T23:59:60Z', true],
    ['1998-12-31T15:59:60.123-08:00', true],
    ['1998-12-31T22:59:60Z', false],
    ['1998-12-31T23:58:60Z', false],
    ['2024-02-29T00:00:00Z', true],
    ['2023-02-29T00:00:00Z', false],
    ['1900-02-29T00:00:00Z', false],
    ['2000-02-29T00:00:00Z', true],
    ['2024-04-31T00:00:00Z', false],
    ['1990-12-31T15:59:59-24:00', false],
    ['1963-06-19T08:30:06.28123+01:00Z', false],
    ['06/19/1963 08:30:06 PST', false],
    ['2013-350T01:01:01', false],
    ['1963-06-1T08:30:06.283185Z', false],
    ['1963-06-19 08:30:06Z', false],
    ['1963-06-19T08:30:06', false],
    ['1963-06-19T08:30:06+0100', false],
    ['1963-06-১৪T00:00:00Z', false],
  ])('date-time %s -> %s', (value, expected) => {
    expect(isDateTime(value)).toBe(expected);
  });

  it.each([
    ['http://foo.bar/?baz=qux#quux', true],
    ['http://foo.com/blah_(wikipedia)_blah#cite-1', true],
    ['http://foo.bar/?q=Test%20URL-encoded%20stuff', true],
    ['http://xn--nw2a.xn--j6w193g/', true],
    ['http://-.~_!$&\'()*+,;=:%40:80%2f::::::@example.com', true],
    ['http://223.255.255.254', true],
    ['ftp://ftp.is.co.za/rfc/rfc1808.txt', true],
    ['http://www.ietf.org/rfc/rfc2396.txt', true],
    ['ldap://[2001:db8::7]/c=GB?objectClass?one', true],
    ['mailto:John.Doe@example.com', true],
    ['news:comp.infosystems.www.servers.unix', true],
    ['tel:+1-816-555-1212', true],
    ['urn:oasis:names:specification:docbook:dtd:xml:4.1.2', true],
    ['http://[::ffff:1.2.3.4]/', true],
    ['http://[v7.abc]/', true],
    ['a:', true],
    ['//foo.bar/?baz=qux#quux', false],
    ['/abc', false],
    ['\\\\WINDOWS\\fileshare', false],
    ['abc', false],
    ['http:// shouldfail.com', false],
    [':// should fail', false],
    ['bar,baz:foo', false],
    ['http://example.com/%zz', false],
    ['http://[::1', false],
    ['http://[1::2::3]/', false],
    ['http://[::ffff:01.2.3.4]/', false],
    ['http://host:80a/', false],
    ['http://a@b@c/', false],
    ['http://example.com/ä', false],
    ['http://example.com/a b', false],
  ])('uri %s -> %s', (value, expected) => {
    expect(isUri(value)).toBe(expected);
  });
});

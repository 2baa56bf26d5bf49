/**
 * Records: in-toto statements of our kinds in DSSE envelopes, content
 * addressed by the CID of the exact payload bytes; opening one parses,
 * verifies against trusted keys, then validates (schema, kind, digests).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBase64, toHex, utf8 } from '../src/lib/bytes.js';
import { canonicalJson, canonicalJsonBytes } from '../src/lib/json.js';
import { generateKeyPair, importPublicKey, importSigner, type PublicKey, type Signer } from '../src/envelope/keys.js';
import { parseEnvelope } from '../src/envelope/parse.js';
import { signEnvelope } from '../src/envelope/sign.js';
import { createRecord } from '../src/records/create-record.js';
import { recordId } from '../src/records/id.js';
import { kindOfPredicateType, PREDICATE_TYPES, RECORD_KINDS } from '../src/records/kinds.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../src/records/oms/bundle.js';
import { OMS_PREDICATE_TYPE, STATEMENT_TYPE } from '../src/records/oms/statement.js';
import { openRecord } from '../src/records/open-record.js';
import type { DatasetPredicate } from '../src/records/schema/dataset.js';
import { FieldErrors, SchemaValidationError } from '../src/records/schema/validate.js';
import { checkStatementFields, MAX_SUBJECTS, sha256Subject, validateStatement } from '../src/records/statement.js';
import { expectThrowCode, HAVE_VECTORS, OMS, P384_PUB, VECTORS } from './helpers.js';

async function newSigner(alg: 'ed25519' | 'p256' | 'p384' = 'ed25519'): Promise<Signer> {
  return importSigner(generateKeyPair(alg).privateKeyPem);
}

const [alice, bob, carol] = await Promise.all([newSigner(), newSigner('p256'), newSigner('p384')]);
const keys: PublicKey[] = [alice!.publicKey, bob!.publicKey, carol!.publicKey];

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
/** The OMS files root: SHA-256 over the raw digests, in order. */
const rootOf = (digests: string[]) => {
  const h = createHash('sha256');
  for (const d of digests) h.update(Buffer.from(d, 'hex'));
  return h.digest('hex');
};

function datasetPredicate(overrides: Partial<DatasetPredicate> = {}): DatasetPredicate {
  const files = [
    { name: 'a.jsonl', sha256: hex('a'), size: 1 },
    { name: 'sub/b.jsonl', sha256: hex('b'), size: 1 },
  ];
  return { name: 'tiny', version: '1.0', files, rootDigest: rootOf(files.map((f) => f.sha256)), ...overrides };
}

function datasetStatement(predicate: unknown = datasetPredicate(), subject?: unknown): Record<string, unknown> {
  const p = predicate as DatasetPredicate;
  return {
    _type: STATEMENT_TYPE,
    subject: subject ?? [{ name: 'tiny', digest: { sha256: p.rootDigest } }],
    predicateType: PREDICATE_TYPES.dataset,
    predicate,
  };
}

/** Sign arbitrary payload bytes, bypassing createRecord's checks (what an attacker or a buggy producer could do). */
async function signRaw(payload: string | Uint8Array | object, signers: Signer[] = [alice!], payloadType = IN_TOTO_PAYLOAD_TYPE): Promise<Uint8Array> {
  const bytes = typeof payload === 'string' ? utf8(payload) : payload instanceof Uint8Array ? payload : canonicalJsonBytes(payload);
  return utf8(JSON.stringify(await signEnvelope(payloadType, bytes, signers)));
}

/** Expect opening the envelope that `envelope` resolves to to fail with `code`. */
async function openCode(envelope: Promise<Uint8Array>, options: Parameters<typeof openRecord>[1], code: string): Promise<Error & { code?: string }> {
  const bytes = await envelope;
  return expectThrowCode(() => openRecord(bytes, options), code);
}

function openError(input: Uint8Array, options: Parameters<typeof openRecord>[1]): Error & { code?: string } {
  try {
    openRecord(input, options);
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected openRecord to throw');
}

describe('kinds', () => {
  it('maps each kind to its predicate type and back; unknown types map to nothing', () => {
    expect(PREDICATE_TYPES).toEqual({
      weights: OMS_PREDICATE_TYPE,
      dataset: 'https://provenant.dev/dataset/v1',
      model: 'https://provenant.dev/model/v1',
      electorate: 'https://provenant.dev/electorate/v1',
      proposal: 'https://provenant.dev/proposal/v1',
      ballot: 'https://provenant.dev/ballot/v1',
      decision: 'https://provenant.dev/decision/v1',
      output: 'https://provenant.dev/output/v1',
      'output-batch': 'https://provenant.dev/output-batch/v1',
    });
    for (const kind of RECORD_KINDS) expect(kindOfPredicateType(PREDICATE_TYPES[kind])).toBe(kind);
    expect(kindOfPredicateType('https://provenant.dev/dataset/v2')).toBeUndefined();
    expect(kindOfPredicateType('toString')).toBeUndefined();
  });
});

describe('createRecord', () => {
  it('writes a canonical in-toto statement, signs it as DSSE, and names it by the CID of the payload', async () => {
    const record = await createRecord({ kind: 'dataset', subject: [sha256Subject('tiny', datasetPredicate().rootDigest)], predicate: datasetPredicate(), signers: [alice!] });
    const text = new TextDecoder().decode(record.payload);
    expect(text).toBe(canonicalJson(JSON.parse(text)));
    expect(JSON.parse(text)).toEqual(datasetStatement());
    expect(record.id.equals(recordId(record.payload))).toBe(true);
    expect(record.id.toString()).toMatch(/^bagaaiera[a-z2-7]{51}[aq]$/);
    expect(record.envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(record.envelope.signatures).toHaveLength(1);
    expect(record.envelope.signatures[0]!.keyid).toBe(alice!.publicKey.keyId);
    expect(new TextDecoder().decode(record.envelopeBytes)).toBe(JSON.stringify(record.envelope));
    expect(parseEnvelope(record.envelopeBytes).payload).toEqual(record.payload);
    expect(record.statement.predicate.files[1]!.name).toBe('sub/b.jsonl');
  });

  it('gives the same id (and, with Ed25519, the same envelope) for the same inputs, whatever the key order', async () => {
    const p = datasetPredicate({ license: 'MIT', recordCount: 2 });
    const shuffled = Object.fromEntries(Object.entries(p).reverse()) as unknown as DatasetPredicate;
    const a = await createRecord({ kind: 'dataset', subject: [sha256Subject('tiny', p.rootDigest)], predicate: p, signers: [alice!] });
    const b = await createRecord({ kind: 'dataset', subject: [sha256Subject('tiny', p.rootDigest)], predicate: shuffled, signers: [alice!] });
    expect(b.id.toString()).toBe(a.id.toString());
    expect(b.envelopeBytes).toEqual(a.envelopeBytes);
    // A different signer (ECDSA, randomized) still gives the same id: the id names the statement.
    const c = await createRecord({ kind: 'dataset', subject: [sha256Subject('tiny', p.rootDigest)], predicate: p, signers: [bob!] });
    expect(c.id.toString()).toBe(a.id.toString());
    const d = await createRecord({ kind: 'dataset', subject: [sha256Subject('tiny', p.rootDigest)], predicate: { ...p, version: '1.1' }, signers: [alice!] });
    expect(d.id.toString()).not.toBe(a.id.toString());
  });

  it('refuses to sign an invalid predicate, listing every bad field, before calling the signer', async () => {
    let calls = 0;
    const spy: Signer = { publicKey: alice!.publicKey, sign: async (d) => (calls++, alice!.sign(d)) };
    const bad = { ...datasetPredicate(), name: '', source: 'not a uri', recordCount: -1 } as DatasetPredicate;
    let err: unknown;
    try {
      await createRecord({ kind: 'dataset', subject: [sha256Subject('tiny', bad.rootDigest)], predicate: bad, signers: [spy] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SchemaValidationError);
    expect((err as SchemaValidationError).fields.map((f) => f.path)).toEqual(['predicate.name', 'predicate.recordCount', 'predicate.source']);
    expect(calls).toBe(0);
  });

  it('refuses a root digest that does not match the files, and a subject that does not match the root', async () => {
    const p = datasetPredicate();
    await expect(
      createRecord({ kind: 'dataset', subject: [sha256Subject('tiny', p.rootDigest)], predicate: { ...p, rootDigest: hex('x') }, signers: [alice!] }),
    ).rejects.toMatchObject({ code: 'ERR_ROOT_DIGEST_MISMATCH' });
    await expect(createRecord({ kind: 'dataset', subject: [sha256Subject('tiny', hex('x'))], predicate: p, signers: [alice!] })).rejects.toMatchObject({
      code: 'ERR_ROOT_DIGEST_MISMATCH',
    });
  });

  it('refuses to make an envelope larger than readers accept', async () => {
    const p = datasetPredicate();
    const input = { kind: 'dataset' as const, subject: [sha256Subject('tiny', p.rootDigest)], predicate: p, signers: [alice!] };
    const record = await createRecord(input);
    await expect(createRecord({ ...input, maxEnvelopeBytes: record.envelopeBytes.length - 1 })).rejects.toMatchObject({ code: 'ERR_LIMIT_EXCEEDED' });
    await expect(createRecord({ ...input, maxEnvelopeBytes: record.payload.length })).rejects.toMatchObject({ code: 'ERR_LIMIT_EXCEEDED' });
    expect((await createRecord({ ...input, maxEnvelopeBytes: record.envelopeBytes.length })).id.equals(record.id)).toBe(true);
  });

  it('needs a signer', async () => {
    await expect(createRecord({ kind: 'dataset', subject: [sha256Subject('t', hex('x'))], predicate: datasetPredicate(), signers: [] })).rejects.toThrow(TypeError);
  });
});

describe('openRecord', () => {
  it('round-trips: kind, predicate, statement, signers, id', async () => {
    const created = await createRecord({ kind: 'dataset', subject: [sha256Subject('tiny', datasetPredicate().rootDigest)], predicate: datasetPredicate(), signers: [alice!, bob!] });
    const opened = openRecord(created.envelopeBytes, { keys, threshold: 2 });
    expect(opened.kind).toBe('dataset');
    if (opened.kind !== 'dataset') throw new Error('unreachable');
    expect(opened.predicate.files.map((f) => f.name)).toEqual(['a.jsonl', 'sub/b.jsonl']);
    expect(opened.id.equals(created.id)).toBe(true);
    expect(opened.signedBy.sort()).toEqual([alice!.publicKey.keyId, bob!.publicKey.keyId].sort());
    expect(opened.payload).toEqual(created.payload);
    // Every input form opens the same record.
    for (const input of [new TextDecoder().decode(created.envelopeBytes), created.envelope, parseEnvelope(created.envelopeBytes)]) {
      expect(openRecord(input, { keys }).id.toString()).toBe(created.id.toString());
    }
    expect(openRecord(created.envelopeBytes, { keys, id: created.id.toString() }).kind).toBe('dataset');
  });

  it('accepts a payload that is valid but not canonical: it parses the signed bytes, it never re-serializes', async () => {
    const pretty = JSON.stringify(datasetStatement(), null, 2);
    const opened = openRecord(await signRaw(pretty), { keys });
    expect(new TextDecoder().decode(opened.payload)).toBe(pretty);
    expect(opened.id.equals(recordId(utf8(pretty)))).toBe(true);
  });

  it('rejects a tampered payload', async () => {
    const created = await createRecord({ kind: 'dataset', subject: [sha256Subject('tiny', datasetPredicate().rootDigest)], predicate: datasetPredicate(), signers: [alice!] });
    const tampered = new TextDecoder().decode(created.payload).replace('"version":"1.0"', '"version":"6.6"');
    expect(tampered).not.toBe(new TextDecoder().decode(created.payload));
    const envelope = { ...created.envelope, payload: encodeBase64(utf8(tampered)) };
    expectThrowCode(() => openRecord(utf8(JSON.stringify(envelope)), { keys }), 'ERR_SIGNATURE_INVALID');
  });

  it('rejects signatures by keys that are not trusted', async () => {
    const bytes = await signRaw(datasetStatement(), [alice!]);
    expectThrowCode(() => openRecord(bytes, { keys: [bob!.publicKey, carol!.publicKey] }), 'ERR_SIGNATURE_INVALID');
  });

  it('enforces the threshold with distinct trusted keys: a key signing twice counts once', async () => {
    const twoOfThree = await signRaw(datasetStatement(), [alice!, carol!]);
    expect(openRecord(twoOfThree, { keys, threshold: 2 }).signedBy).toHaveLength(2);
    expectThrowCode(() => openRecord(twoOfThree, { keys, threshold: 3 }), 'ERR_THRESHOLD_NOT_MET');
    const twice = await signRaw(datasetStatement(), [alice!, alice!]);
    expectThrowCode(() => openRecord(twice, { keys, threshold: 2 }), 'ERR_THRESHOLD_NOT_MET');
    expect(() => openRecord(twice, { keys, threshold: 0 })).toThrow(RangeError);
  });

  it('rejects another payloadType', async () => {
    expectThrowCode(() => openRecord(Buffer.from(''), { keys }), 'ERR_MALFORMED');
    const bytes = await signRaw(datasetStatement(), [alice!], 'application/json');
    expectThrowCode(() => openRecord(bytes, { keys }), 'ERR_PAYLOAD_TYPE');
  });

  it('rejects an unknown predicate type (fail closed), and kinds the caller did not ask for', async () => {
    const unknown = await signRaw({ ...datasetStatement(), predicateType: 'https://provenant.dev/dataset/v2' });
    const err = expectThrowCode(() => openRecord(unknown, { keys }), 'ERR_PREDICATE_TYPE');
    expect(err.message).toContain('unknown');
    const dataset = await signRaw(datasetStatement());
    expectThrowCode(() => openRecord(dataset, { keys, kinds: ['model'] }), 'ERR_PREDICATE_TYPE');
    expect(openRecord(dataset, { keys, kinds: ['model', 'dataset'] }).kind).toBe('dataset');
  });

  it('rejects a statement that is not in-toto v1', async () => {
    await openCode(signRaw({ ...datasetStatement(), _type: 'https://in-toto.io/Statement/v0.1' }), { keys }, 'ERR_STATEMENT_INVALID');
  });

  it('lists every bad field of a signed record, statement and predicate together', async () => {
    const predicate = {
      ...datasetPredicate(),
      version: '',
      files: [
        { name: 'a', sha256: hex('a'), size: 1 },
        { name: 'b', sha256: hex('b'), size: 1 },
        { name: 'c', sha256: hex('c'), size: 1 },
        { name: 'd', sha256: 'ABC', size: 1 },
      ],
      unknown: 1,
    };
    const bytes = await signRaw(datasetStatement(predicate, [{ name: 'tiny', digest: { sha256: 'short' }, colour: 'red' }]));
    const err = openError(bytes, { keys });
    expect(err).toBeInstanceOf(SchemaValidationError);
    expect(err.code).toBe('ERR_SCHEMA');
    expect((err as SchemaValidationError).fields.map((f) => `${f.path}: ${f.message}`)).toEqual([
      'subject[0].colour: is not an allowed field',
      'subject[0].digest.sha256: expected 64 lower-case hex digits',
      // Predicate fields come in the order of the signed (canonical, sorted) payload.
      'predicate.files[3].sha256: expected 64 lower-case hex digits',
      'predicate.unknown: is not an allowed field',
      'predicate.version: expected a non-empty string',
    ]);
  });

  it('rejects duplicate and unsorted file names', async () => {
    const files = [
      { name: 'b', sha256: hex('b'), size: 1 },
      { name: 'a', sha256: hex('a'), size: 1 },
      { name: 'a', sha256: hex('c'), size: 1 },
    ];
    const predicate = datasetPredicate({ files, rootDigest: rootOf(files.map((f) => f.sha256)) });
    const err = openError(await signRaw(datasetStatement(predicate)), { keys }) as SchemaValidationError;
    expect(err.code).toBe('ERR_SCHEMA');
    expect(err.fields.map((f) => f.path)).toEqual(['predicate.files[1].name', 'predicate.files[2].name']);
  });

  it('rejects a dataset whose rootDigest is not the digest of its files', async () => {
    const predicate = datasetPredicate({ rootDigest: hex('other') });
    await openCode(signRaw(datasetStatement(predicate)), { keys }, 'ERR_ROOT_DIGEST_MISMATCH');
  });

  it('rejects a dataset record with two subjects', async () => {
    const p = datasetPredicate();
    const s = [{ name: 'a', digest: { sha256: p.rootDigest } }, { name: 'b', digest: { sha256: p.rootDigest } }];
    const err = openError(await signRaw(datasetStatement(p, s)), { keys }) as SchemaValidationError;
    expect(err.fields).toEqual([{ path: 'subject', message: 'expected exactly one subject, got 2' }]);
  });

  it('rejects __proto__ and duplicate keys in the signed payload', async () => {
    const text = canonicalJson(datasetStatement());
    const proto = text.replace('"predicate":{', '"predicate":{"__proto__":{"polluted":true},');
    const duplicate = text.replace('"predicate":{', '"predicate":{"name":"evil",');
    for (const payload of [proto, duplicate]) {
      const err = openError(await signRaw(payload), { keys });
      expect(err.code).toBe('ERR_STATEMENT_INVALID');
      expect(((err.cause as { code?: string } | undefined)?.code)).toBe('ERR_MALFORMED');
    }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('rejects a payload that is not JSON, or nests too deep', async () => {
    await openCode(signRaw('not json'), { keys }, 'ERR_STATEMENT_INVALID');
    const deep = canonicalJson(datasetStatement()).replace('"predicate":{', `"x":${'['.repeat(100)}${']'.repeat(100)},"predicate":{`);
    await openCode(signRaw(deep), { keys }, 'ERR_LIMIT_EXCEEDED');
  });

  it('refuses oversized envelopes and too many signatures', async () => {
    const bytes = await signRaw(datasetStatement());
    expectThrowCode(() => openRecord(bytes, { keys, maxEnvelopeBytes: bytes.length - 1 }), 'ERR_LIMIT_EXCEEDED');
    expect(openRecord(bytes, { keys, maxEnvelopeBytes: bytes.length }).kind).toBe('dataset');
    const huge = new Uint8Array(16 * 1024 * 1024 + 1).fill(0x20);
    expectThrowCode(() => openRecord(huge, { keys }), 'ERR_LIMIT_EXCEEDED');
    const three = await signRaw(datasetStatement(), [alice!, bob!, carol!]);
    expectThrowCode(() => openRecord(three, { keys, maxSignatures: 2 }), 'ERR_LIMIT_EXCEEDED');
  });

  it('refuses too many subjects before looking at them', async () => {
    const p = datasetPredicate();
    const many = Array.from({ length: MAX_SUBJECTS + 1 }, (_, i) => ({ name: `s${i}`, digest: { sha256: p.rootDigest } }));
    await openCode(signRaw(datasetStatement(p, many)), { keys }, 'ERR_LIMIT_EXCEEDED');
    const three = Array.from({ length: 3 }, (_, i) => ({ name: `s${i}`, digest: { sha256: p.rootDigest } }));
    await openCode(signRaw(datasetStatement(p, three)), { keys, maxSubjects: 2 }, 'ERR_LIMIT_EXCEEDED');
  });

  it('checks the id it is asked for', async () => {
    const bytes = await signRaw(datasetStatement());
    const other = recordId(utf8('other'));
    expectThrowCode(() => openRecord(bytes, { keys, id: other }), 'ERR_RECORD_ID_MISMATCH');
    expectThrowCode(() => openRecord(bytes, { keys, id: 'not-a-cid' }), 'ERR_MALFORMED');
  });

  it('opens a model record and checks its subject against the weights root digest', async () => {
    const weights = { id: recordId(utf8('weights')).toString(), rootDigest: hex('w') };
    const predicate = { name: 'm', version: '1', weights };
    const ok = await createRecord({ kind: 'model', subject: [sha256Subject('m', weights.rootDigest)], predicate, signers: [alice!] });
    const opened = openRecord(ok.envelopeBytes, { keys, kinds: ['model'] });
    expect(opened.predicate.weights).toEqual(weights);
    const wrong = await signRaw({ _type: STATEMENT_TYPE, subject: [{ name: 'm', digest: { sha256: hex('x') } }], predicateType: PREDICATE_TYPES.model, predicate });
    expectThrowCode(() => openRecord(wrong, { keys }), 'ERR_ROOT_DIGEST_MISMATCH');
    const self = await signRaw({
      _type: STATEMENT_TYPE,
      subject: [{ name: 'm', digest: { sha256: weights.rootDigest } }],
      predicateType: PREDICATE_TYPES.model,
      predicate: { ...predicate, parents: [weights.id] },
    });
    expect((openError(self, { keys }) as SchemaValidationError).fields).toEqual([
      { path: 'predicate.parents[0]', message: 'is the weights record, not a model record' },
    ]);
  });
});

describe('weights records (OMS)', () => {
  it.runIf(HAVE_VECTORS)('opens the DSSE envelope of a reference model.sig as a weights record', async () => {
    const bundle = JSON.parse(await readFile(join(OMS, 'v1.0.0-elliptic-key/model.sig'), 'utf8')) as { dsseEnvelope: unknown };
    const key = await importPublicKey(await readFile(P384_PUB, 'utf8'));
    const record = openRecord(utf8(JSON.stringify(bundle.dsseEnvelope)), { keys: [key], kinds: ['weights'] });
    expect(record.kind).toBe('weights');
    expect(record.statement.predicateType).toBe(OMS_PREDICATE_TYPE);
    expect(record.statement.subject[0].digest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.id.equals(recordId(parseEnvelope(bundle.dsseEnvelope).payload))).toBe(true);
    expectThrowCode(() => openRecord(utf8(JSON.stringify(bundle.dsseEnvelope)), { keys: [key], kinds: ['dataset', 'model'] }), 'ERR_PREDICATE_TYPE');
  });

  it('rejects a weights statement whose subject is not the digest of its resources', async () => {
    const resources = [{ name: 'w.bin', algorithm: 'sha256', digest: hex('w') }];
    const statement = {
      _type: STATEMENT_TYPE,
      subject: [{ name: 'm', digest: { sha256: hex('not the root') } }],
      predicateType: OMS_PREDICATE_TYPE,
      predicate: { serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false }, resources },
    };
    await openCode(signRaw(statement), { keys }, 'ERR_ROOT_DIGEST_MISMATCH');
    statement.subject[0]!.digest.sha256 = rootOf([hex('w')]);
    expect(openRecord(await signRaw(statement), { keys }).kind).toBe('weights');
  });
});

describe('statement fields (in-toto validation cases)', () => {
  interface Case {
    kind: string;
    name: string;
    input: Record<string, unknown>;
    expect: 'valid' | 'invalid';
  }
  const file = join(VECTORS, 'attestation/in-toto/validation-cases.json');

  it.runIf(HAVE_VECTORS)('agrees with in-toto Go Validate() on statements and resource descriptors', async () => {
    const cases = (JSON.parse(await readFile(file, 'utf8')) as { cases: Case[] }).cases;
    let checked = 0;
    for (const c of cases) {
      let statement: Record<string, unknown>;
      if (c.kind === 'statement') {
        // provenant reads in-toto v1 only; the Go library also accepts v0.1.
        if (c.input._type === 'https://in-toto.io/Statement/v0.1') continue;
        statement = c.input;
      } else if (c.kind === 'resource-descriptor') {
        statement = { _type: STATEMENT_TYPE, subject: [c.input], predicateType: 'p', predicate: {} };
      } else continue;
      const errors = new FieldErrors();
      checkStatementFields(statement, errors);
      expect(errors.count === 0 ? 'valid' : 'invalid', `${c.kind}: ${c.name}: ${JSON.stringify(errors.list)}`).toBe(c.expect);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  it('validateStatement refuses a non-object', () => {
    expectThrowCode(() => validateStatement([]), 'ERR_STATEMENT_INVALID');
    expect(() => sha256Subject('x', 'abc')).toThrow(RangeError);
    expect(sha256Subject('x', new Uint8Array(32))).toEqual({ name: 'x', digest: { sha256: toHex(new Uint8Array(32)) } });
  });
});


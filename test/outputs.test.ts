/**
 * Output signing (issue 5): single `output` records, batched receipts under
 * one `output-batch` signature, parameter limits from governance, salted
 * prompt digests, and verification with every bad input the issue lists.
 */
import { createHash, createHmac, createPrivateKey } from 'node:crypto';
import fc from 'fast-check';
import type { CID } from 'multiformats/cid';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, importSigner, type PublicKey, type Signer } from '../src/envelope/keys.js';
import { parseEnvelope } from '../src/envelope/parse.js';
import { signEnvelope } from '../src/envelope/sign.js';
import { encodeBase64, toHex, utf8 } from '../src/lib/bytes.js';
import { canonicalJson, canonicalJsonBytes } from '../src/lib/json.js';
import { createRecord } from '../src/records/create-record.js';
import { recordId } from '../src/records/id.js';
import { PREDICATE_TYPES } from '../src/records/kinds.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../src/records/oms/bundle.js';
import { STATEMENT_TYPE } from '../src/records/oms/statement.js';
import { openRecord } from '../src/records/open-record.js';
import type { OutputParameters } from '../src/records/schema/output.js';
import { SchemaValidationError } from '../src/records/schema/validate.js';
import { recordLinks, validateStatement } from '../src/records/statement.js';
import { outputLeafJson } from '../src/outputs/leaf.js';
import { checkLimits, checkParameters, ParameterLimitError, type ParameterLimit } from '../src/outputs/parameters.js';
import { matchesPromptDigest, promptDigest, promptKeyId } from '../src/outputs/prompt.js';
import { decodeReceipt, encodeReceipt, type OutputReceipt } from '../src/outputs/receipt.js';
import { disableSimdForTesting } from '../src/outputs/sha256.js';
import { createOutputSigner } from '../src/outputs/signer.js';
import { outputOrigin, verifyOutputReceipt, verifyOutputRecord } from '../src/outputs/verify.js';
import { expectCode, expectThrowCode, rejection } from './helpers.js';

const newSigner = async (alg: 'ed25519' | 'p256' = 'ed25519'): Promise<Signer> => importSigner(generateKeyPair(alg).privateKeyPem);
const [alice, bob, mallory] = await Promise.all([newSigner(), newSigner('p256'), newSigner()]);
const keys: PublicKey[] = [alice!.publicKey];
const MODEL = recordId(utf8('a model record')).toString();
const OTHER_MODEL = recordId(utf8('another model record')).toString();
const SECRET = 'per-deployment secret, 32 bytes!';
const T0 = Date.parse('2026-11-22T05:00:00.000Z');
const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A record store in memory that can also be made to fail. */
function memoryStore() {
  const map = new Map<string, Uint8Array>();
  let fail: Error | undefined;
  return {
    map,
    failWith(err: Error | undefined) {
      fail = err;
    },
    async put(envelope: Uint8Array | string | object): Promise<CID> {
      if (fail) throw fail;
      const bytes = envelope instanceof Uint8Array ? envelope : utf8(typeof envelope === 'string' ? envelope : JSON.stringify(envelope));
      const id = recordId(parseEnvelope(bytes).payload);
      map.set(id.toString(), bytes);
      return id;
    },
    async get(id: CID) {
      const bytes = map.get(id.toString());
      return bytes && { envelopeBytes: bytes };
    },
  };
}

function countingSigner(inner: Signer): Signer & { calls: number } {
  const s: Signer & { calls: number } = {
    publicKey: inner.publicKey,
    calls: 0,
    sign: async (d: Uint8Array) => {
      s.calls++;
      return inner.sign(d);
    },
  };
  return s;
}

const text = (i: number) => `output number ${i}: ${'x'.repeat(i % 50)}`;

describe('output and output-batch kinds', () => {
  it('are registered with their predicate types and link the model record', async () => {
    expect(PREDICATE_TYPES.output).toBe('https://provenant.dev/output/v1');
    expect(PREDICATE_TYPES['output-batch']).toBe('https://provenant.dev/output-batch/v1');
    const signer = await createOutputSigner({ model: MODEL, signer: alice!, clock: () => T0 });
    const record = await signer.sign({ content: 'hi', mediaType: 'text/plain' });
    const validated = validateStatement(JSON.parse(new TextDecoder().decode(record.payload)));
    expect(validated.kind).toBe('output');
    expect(recordLinks(validated)).toEqual([MODEL]);
  });

  it('refuse bad parameters, a batch subject not named merkle-root, and a window that ends before it starts', async () => {
    const base = {
      _type: STATEMENT_TYPE,
      subject: [{ name: 'output', digest: { sha256: sha('x') } }],
      predicateType: PREDICATE_TYPES.output,
      predicate: { model: MODEL, created: '2026-01-01T00:00:00Z', mediaType: 'text/plain', size: 1, parameters: { 'top p': 1, n: null, ok: true } },
    };
    const open = async (statement: object) => openRecord(utf8(JSON.stringify(await signEnvelope(IN_TOTO_PAYLOAD_TYPE, canonicalJsonBytes(statement), [alice!]))), { keys });
    const err = await rejection(open(base));
    expect(err).toBeInstanceOf(SchemaValidationError);
    expect((err as SchemaValidationError).fields.map((f) => f.path)).toEqual(['predicate.parameters.n', 'predicate.parameters["top p"]']);

    const batch = {
      _type: STATEMENT_TYPE,
      subject: [{ name: 'root', digest: { sha256: sha('x') } }],
      predicateType: PREDICATE_TYPES['output-batch'],
      predicate: {
        model: MODEL,
        created: '2026-01-01T00:00:00Z',
        count: 2,
        treeAlg: 'rfc6962-sha256',
        leafType: 'https://provenant.dev/output-leaf/v1',
        window: { start: '2026-01-01T00:00:01Z', end: '2026-01-01T00:00:00Z' },
      },
    };
    const err2 = await rejection(open(batch));
    expect((err2 as SchemaValidationError).fields.map((f) => f.path)).toEqual(['subject[0].name', 'predicate.window.end']);
    await expectCode(open({ ...batch, predicate: { ...batch.predicate, treeAlg: 'sha256' } }), 'ERR_SCHEMA');
  });
});

describe('single mode: one output record per output', () => {
  it('signs an output record that openRecord accepts, byte for byte what createRecord writes', async () => {
    const store = memoryStore();
    const signer = await createOutputSigner({ model: MODEL, signer: alice!, secret: SECRET, store, clock: () => new Date(T0) });
    expect(signer.mode).toBe('single');
    const parameters = { temperature: 0.7, top_p: 0.95, max_tokens: 256, seed: 42, stop: '###', stream: false };
    const record = await signer.sign({ content: 'Rain on the window', mediaType: 'text/plain; charset=utf-8', parameters, prompt: 'Write a haiku about rain.' });
    expect(record.contentSha256).toBe(sha('Rain on the window'));
    const statement = JSON.parse(new TextDecoder().decode(record.payload));
    expect(new TextDecoder().decode(record.payload)).toBe(canonicalJson(statement));
    expect(statement.predicate).toEqual({
      created: '2026-11-22T05:00:00.000Z',
      mediaType: 'text/plain; charset=utf-8',
      model: MODEL,
      parameters,
      promptDigest: { alg: 'hmac-sha256', keyId: promptKeyId(SECRET), digest: createHmac('sha256', SECRET).update('Write a haiku about rain.').digest('hex') },
      size: 18,
    });
    expect(record.statement).toEqual(statement);
    expect(record.id.equals(recordId(record.payload))).toBe(true);
    expect(new TextDecoder().decode(record.envelopeBytes)).toBe(JSON.stringify(record.envelope));

    const opened = openRecord(record.envelopeBytes, { keys, kinds: ['output'] });
    expect(opened.id.equals(record.id)).toBe(true);
    const viaCreateRecord = await createRecord({ kind: 'output', subject: statement.subject, predicate: statement.predicate, signers: [alice!] });
    expect(viaCreateRecord.envelopeBytes).toEqual(record.envelopeBytes);
    expect(store.map.get(record.id.toString())).toEqual(record.envelopeBytes);
  });

  it('property: the hand-written record equals createRecord\'s for any parameters, media type, content and prompt', async () => {
    const name = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/[\s\u0000-\u001f\u007f]/.test(s) && s !== '__proto__');
    const value = fc.oneof(fc.string({ maxLength: 20 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.integer());
    const params = fc.dictionary(name, value, { maxKeys: 8 });
    const mediaType = fc.constantFrom('text/plain', 'text/plain; charset=utf-8', 'image/png', 'application/vnd.example+json;v="1 2"', 'audio/L16; rate=16000');
    const signer = await createOutputSigner({ model: MODEL, signers: [alice!], secret: SECRET });
    await fc.assert(
      fc.asyncProperty(params, mediaType, fc.oneof(fc.string(), fc.uint8Array({ maxLength: 64 })), fc.option(fc.string(), { nil: undefined }), async (p, m, content, prompt) => {
        const record = await signer.sign({ content, mediaType: m, parameters: p as OutputParameters, ...(prompt !== undefined ? { prompt } : {}) });
        const statement = JSON.parse(new TextDecoder().decode(record.payload));
        const again = await createRecord({ kind: 'output', subject: statement.subject, predicate: statement.predicate, signers: [alice!] });
        expect(new TextDecoder().decode(record.envelopeBytes)).toBe(new TextDecoder().decode(again.envelopeBytes));
        expect(record.id.toString()).toBe(again.id.toString());
        expect(verifyOutputRecord(content, record.envelopeBytes, { keys }).sha256).toBe(sha(typeof content === 'string' ? utf8(content) : content));
      }),
      { numRuns: 60 },
    );
  });

  it('property: a key held in this process (the reused-buffer path) signs what createRecord writes, and earlier records stay intact', async () => {
    const pair = generateKeyPair('ed25519');
    const local = await importSigner(pair.privateKeyPem);
    const signer = await createOutputSigner({ model: MODEL, key: pair.privateKeyPem, secret: SECRET });
    // Text, media types and parameters with characters beyond ASCII take the UTF-8 path.
    const text = fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom('Ünïcödé ✓', '雨の窓', 'x'.repeat(5000)));
    const mediaType = fc.constantFrom('text/plain', 'text/plain; charset=utf-8', 'text/plain; title="Grüße"', 'image/png');
    const earlier: { bytes: string; record: Awaited<ReturnType<typeof signer.sign>> }[] = [];
    await fc.assert(
      fc.asyncProperty(text, mediaType, fc.option(text, { nil: undefined }), fc.option(fc.string({ maxLength: 40 }), { nil: undefined }), async (content, m, prompt, stop) => {
        const parameters: OutputParameters = stop === undefined ? { temperature: 0.5 } : { temperature: 0.5, stop };
        const record = await signer.sign({ content, mediaType: m, parameters, ...(prompt !== undefined ? { prompt } : {}) });
        earlier.push({ bytes: new TextDecoder().decode(record.envelopeBytes), record });
        const statement = JSON.parse(new TextDecoder().decode(record.payload));
        expect(record.statement).toEqual(statement);
        const again = await createRecord({ kind: 'output', subject: statement.subject, predicate: statement.predicate, signers: [local] });
        expect(new TextDecoder().decode(record.envelopeBytes)).toBe(new TextDecoder().decode(again.envelopeBytes));
        expect(record.id.toString()).toBe(again.id.toString());
        expect(record.id.equals(recordId(record.payload))).toBe(true);
        expect(openRecord(record.envelopeBytes, { keys: [local.publicKey], kinds: ['output'] }).id.equals(record.id)).toBe(true);
      }),
      { numRuns: 80 },
    );
    // Later signatures reused the buffer; no earlier record changed.
    for (const { bytes, record } of earlier) {
      expect(new TextDecoder().decode(record.envelopeBytes)).toBe(bytes);
      expect(openRecord(record.envelopeBytes, { keys: [local.publicKey] }).id.equals(record.id)).toBe(true);
    }
  });

  it('writes envelopes larger than a shared block (long parameters), and earlier ones stay intact', async () => {
    const pair = generateKeyPair('ed25519');
    const local = await importSigner(pair.privateKeyPem);
    const signer = await createOutputSigner({ model: MODEL, key: pair.privateKeyPem });
    const records = [];
    for (const [count, char] of [[40, 'a'], [1, 'b'], [64, 'ü'], [2, 'c']] as const) {
      const parameters: OutputParameters = Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, char.repeat(1024)]));
      const record = await signer.sign({ content: `output ${count}`, mediaType: 'text/plain', parameters });
      const statement = JSON.parse(new TextDecoder().decode(record.payload));
      const again = await createRecord({ kind: 'output', subject: statement.subject, predicate: statement.predicate, signers: [local] });
      expect(record.envelopeBytes).toEqual(again.envelopeBytes);
      records.push({ record, bytes: again.envelopeBytes });
    }
    expect(records[2]!.record.envelopeBytes.length).toBeGreaterThan(64 * 1024);
    for (const { record, bytes } of records) {
      expect(record.envelopeBytes).toEqual(bytes);
      expect(JSON.stringify(record.envelope)).toBe(new TextDecoder().decode(bytes));
    }
  });

  it('signs with several signers (M-of-N) and with a private key given as PEM', async () => {
    const two = await createOutputSigner({ model: MODEL, signers: [alice!, bob!] });
    const record = await two.sign({ content: 'x', mediaType: 'text/plain' });
    expect(record.envelope.signatures).toHaveLength(2);
    expect(openRecord(record.envelopeBytes, { keys: [alice!.publicKey, bob!.publicKey], threshold: 2 }).kind).toBe('output');
    expect(new TextDecoder().decode(record.envelopeBytes)).toBe(JSON.stringify(record.envelope));

    // A key held in this process (PEM, JWK or KeyObject; Ed25519 or ECDSA) signs synchronously.
    for (const alg of ['ed25519', 'p256', 'p384'] as const) {
      const pair = generateKeyPair(alg);
      const pub = (await importSigner(pair.privateKeyPem)).publicKey;
      const jwk = createPrivateKey(pair.privateKeyPem).export({ format: 'jwk' });
      for (const key of [pair.privateKeyPem, utf8(pair.privateKeyPem), jwk, JSON.stringify(jwk), createPrivateKey(pair.privateKeyPem)]) {
        const store = memoryStore();
        const fromKey = await createOutputSigner({ model: MODEL, key, store });
        const r2 = await fromKey.sign({ content: 'x', mediaType: 'text/plain' });
        expect(verifyOutputRecord('x', r2.envelope, { keys: [pub] }).model).toBe(MODEL);
        expect(r2.envelope.signatures[0]!.keyid).toBe(pub.keyId);
        expect(store.map.has(r2.id.toString())).toBe(true);
      }
    }
    await expectCode(createOutputSigner({ model: MODEL, key: 'not a key' }), 'ERR_KEY_INVALID');
    await expectCode(createOutputSigner({ model: MODEL, key: generateKeyPair().publicKeyPem }), 'ERR_KEY_INVALID');
    // A key and a signer together: both sign.
    const both = await createOutputSigner({ model: MODEL, key: generateKeyPair().privateKeyPem, signer: alice! });
    expect((await both.sign({ content: 'x', mediaType: 'text/plain' })).envelope.signatures).toHaveLength(2);
  });

  it('verifies the record and rejects other content, an untrusted key, another model and a batch envelope', async () => {
    const signer = await createOutputSigner({ model: MODEL, signer: alice! });
    const record = await signer.sign({ content: utf8('the content'), mediaType: 'text/plain', parameters: { temperature: 1 } });
    const verified = verifyOutputRecord('the content', record.envelopeBytes, { keys, model: MODEL });
    expect(verified).toMatchObject({ kind: 'output', model: MODEL, sha256: sha('the content'), size: 11, parameters: { temperature: 1 }, signedBy: [alice!.publicKey.keyId] });
    expectThrowCode(() => verifyOutputRecord('other content', record.envelopeBytes, { keys }), 'ERR_DIGEST_MISMATCH');
    expectThrowCode(() => verifyOutputRecord('the content', record.envelopeBytes, { keys: [mallory!.publicKey] }), 'ERR_SIGNATURE_INVALID');
    expectThrowCode(() => verifyOutputRecord('the content', record.envelopeBytes, { keys: [alice!.publicKey, bob!.publicKey], threshold: 2 }), 'ERR_THRESHOLD_NOT_MET');
    expectThrowCode(() => verifyOutputRecord('the content', record.envelopeBytes, { keys, model: OTHER_MODEL }), 'ERR_WRONG_MODEL');
    const batch = await createOutputSigner({ model: MODEL, signer: alice!, batch: { maxItems: 1 } });
    const receipt = await batch.sign({ content: 'the content', mediaType: 'text/plain' });
    expectThrowCode(() => verifyOutputRecord('the content', receipt.envelope!, { keys }), 'ERR_PREDICATE_TYPE');
    expect(outputOrigin(record)).toEqual({ model: MODEL, created: record.statement.predicate.created, sha256: sha('the content') });
    expect(outputOrigin(verified)).toEqual({ model: MODEL, created: verified.created, sha256: sha('the content') });
  });

  it('refuses bad media types and parameters (every bad field), a prompt without a secret, and signing after close', async () => {
    const spy = countingSigner(alice!);
    const signer = await createOutputSigner({ model: MODEL, signer: spy });
    await expectCode(signer.sign({ content: 'x', mediaType: 'text' }), 'ERR_SCHEMA');
    await expectCode(signer.sign({ content: 'x', mediaType: 'text/plain\n' }), 'ERR_SCHEMA');
    const err = await rejection(signer.sign({ content: 'x', mediaType: 'text/plain', parameters: { ok: 1, 'bad name': 1, n: null, inf: Infinity, o: {} } as never }));
    expect((err as SchemaValidationError).fields.map((f) => f.path)).toEqual(['parameters["bad name"]', 'parameters.n', 'parameters.inf', 'parameters.o']);
    await expectCode(signer.sign({ content: 'x', mediaType: 'text/plain', parameters: JSON.parse('{"__proto__": 1}') }), 'ERR_SCHEMA');
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, i]));
    await expectCode(signer.sign({ content: 'x', mediaType: 'text/plain', parameters: many }), 'ERR_SCHEMA');
    await expect(signer.sign({ content: 'x', mediaType: 'text/plain', prompt: 'secret prompt' })).rejects.toThrow(TypeError);
    await expect(signer.sign({ content: 42 as never, mediaType: 'text/plain' })).rejects.toThrow(TypeError);
    expect(spy.calls).toBe(0);
    await signer.close();
    await expectCode(signer.sign({ content: 'x', mediaType: 'text/plain' }), 'ERR_CLOSED');
  });

  it('refuses bad options: a model that is not a record id, no signer, a short secret, bad batch sizes', async () => {
    await expectCode(createOutputSigner({ model: 'not-an-id', signer: alice! }), 'ERR_MALFORMED');
    await expect(createOutputSigner({ model: MODEL })).rejects.toThrow(TypeError);
    await expect(createOutputSigner({ model: MODEL, signer: alice!, secret: 'short' })).rejects.toThrow(RangeError);
    await expect(createOutputSigner({ model: MODEL, signer: alice!, batch: { maxItems: 0 } })).rejects.toThrow(RangeError);
    await expect(createOutputSigner({ model: MODEL, signer: alice!, batch: { maxDelayMs: -1 } })).rejects.toThrow(RangeError);
    await expect(createOutputSigner({ model: MODEL, signer: alice!, limits: [{ name: 'temperature' }] })).rejects.toThrow(TypeError);
  });
});

describe('prompt digests', () => {
  it('are HMAC-SHA256 under the secret, named by a key id that does not reveal it', () => {
    const d = promptDigest('hello', SECRET);
    expect(d.digest).toBe(createHmac('sha256', SECRET).update('hello').digest('hex'));
    expect(d.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(d.keyId).toBe(createHash('sha256').update('provenant/prompt-hmac-key/v1\u0000').update(SECRET).digest('hex').slice(0, 16));
    expect(d.keyId).not.toBe(sha(SECRET).slice(0, 16));
    expect(matchesPromptDigest('hello', d, SECRET)).toBe(true);
    expect(matchesPromptDigest('hello!', d, SECRET)).toBe(false);
    expect(matchesPromptDigest('hello', d, 'another secret of enough length')).toBe(false);
    expect(promptDigest(utf8('hello'), utf8(SECRET))).toEqual(d);
    expect(() => promptDigest('x', 'fifteen bytes!!')).toThrow(RangeError);
  });
});

describe('parameter limits from governance', () => {
  const decision = recordId(utf8('a set-parameter decision')).toString();
  const limits: ParameterLimit[] = [
    { name: 'temperature', max: 1, min: 0, decision },
    { name: 'max_tokens', max: 1024, decision },
    { name: 'safety_filter', equals: 'true', decision },
    { name: 'system_prompt', equals: 'v3', decision },
  ];
  const good = { temperature: 0.7, max_tokens: 512, safety_filter: true, system_prompt: 'v3' };

  it('accepts parameters within every limit', () => {
    checkParameters(good, limits);
    checkParameters({ ...good, temperature: 1, max_tokens: 1024 }, limits);
  });

  it('names the parameter, the value, the limit and the decision of every breach', () => {
    const err = expectThrowCode(
      () => checkParameters({ temperature: 1.4, max_tokens: 'lots', safety_filter: false } as OutputParameters, limits),
      'ERR_PARAMETER_LIMIT',
    ) as ParameterLimitError;
    expect(err).toBeInstanceOf(ParameterLimitError);
    expect(err.exitCode).toBe(1);
    expect(err.breaches.map((b) => [b.name, b.value])).toEqual([
      ['temperature', 1.4],
      ['max_tokens', 'lots'],
      ['safety_filter', false],
      ['system_prompt', undefined],
    ]);
    expect(err.details[0]).toBe(`temperature: 1.4 is above the maximum 1 (decision ${decision})`);
    expect(err.details[1]).toContain('"lots" is not a number');
    expect(err.details[2]).toContain('false is not the required value "true"');
    expect(err.details[3]).toContain('is not given');
    expectThrowCode(() => checkParameters({ ...good, temperature: -0.1 }, limits), 'ERR_PARAMETER_LIMIT');
    expectThrowCode(() => checkParameters({ ...good, system_prompt: 'v2' }, limits), 'ERR_PARAMETER_LIMIT');
  });

  it('refuses malformed limits', () => {
    expect(() => checkLimits([{ name: '', max: 1 }])).toThrow(TypeError);
    expect(() => checkLimits([{ name: 'x', max: Number.NaN }])).toThrow(TypeError);
    expect(() => checkLimits([{ name: 'x', min: 2, max: 1 }])).toThrow(RangeError);
    expect(() => checkLimits([{ name: 'x', equals: null as never }])).toThrow(TypeError);
  });

  it('refuses to sign, in either mode, before anything is signed', async () => {
    const spy = countingSigner(alice!);
    const single = await createOutputSigner({ model: MODEL, signer: spy, limits });
    await expectCode(single.sign({ content: 'x', mediaType: 'text/plain', parameters: { ...good, temperature: 2 } }), 'ERR_PARAMETER_LIMIT');
    const batch = await createOutputSigner({ model: MODEL, signer: spy, limits, batch: { maxItems: 2 } });
    await expectCode(batch.sign({ content: 'x', mediaType: 'text/plain', parameters: { ...good, max_tokens: 4096 } }), 'ERR_PARAMETER_LIMIT');
    expect(batch.pending).toBe(0);
    expect(spy.calls).toBe(0);
    const ok = await single.sign({ content: 'x', mediaType: 'text/plain', parameters: good });
    expect(ok.statement.predicate.parameters).toEqual(good);
  });
});

describe('batch mode: one signature per batch, a receipt per output', () => {
  it('hashes in SIMD groups exactly as one output at a time: any sizes, text or bytes, groups cut by batches', async () => {
    // Contents on both sides of the 16 KiB staging limit, leaves on both sides of 4 KiB, text beyond ASCII;
    // 75 outputs in batches of 50 cut the second group of 32 in the middle.
    const long = (i: number) => Object.fromEntries(Array.from({ length: 5 }, (_, k) => [`p${k}`, String(i % 10).repeat(1000)]));
    const inputs = Array.from({ length: 75 }, (_, i) => {
      const content =
        i % 5 === 0 ? new Uint8Array(20_000).fill(i) : i % 5 === 1 ? `Grüße ${i} – 雨`.repeat(i) : i % 5 === 2 ? 'ß'.repeat(8192 + i) : new Uint8Array(i * 37).fill(255 - i);
      const mediaType = i % 4 === 0 ? 'text/plain' : i % 4 === 1 ? 'text/plain; charset=utf-8' : 'text/plain; title="Grüße"';
      return { content, mediaType, parameters: i % 7 === 0 ? long(i) : i % 2 ? { temperature: 0.5, i } : { stop: `ende – ${i}` }, ...(i % 3 === 0 ? { prompt: `prompt ${i}` } : {}) };
    });
    const run = async (simdOff: boolean) => {
      disableSimdForTesting(simdOff);
      try {
        let now = T0;
        const signer = await createOutputSigner({ model: MODEL, signer: alice!, secret: SECRET, batch: { maxItems: 50, maxDelayMs: 60_000 }, clock: () => (now += 0.4) });
        // The caller's buffer is reused at once: what was signed is what it held at the call.
        const reused = new Uint8Array(1024);
        const promises = inputs.map((input) => {
          if (!(input.content instanceof Uint8Array) || input.content.length !== 37) return signer.sign(input);
          reused.set(input.content);
          const promise = signer.sign({ ...input, content: reused });
          reused.fill(0);
          return promise;
        });
        await signer.close();
        return Promise.all(promises);
      } finally {
        disableSimdForTesting(false);
      }
    };
    const [withSimd, without] = [await run(false), await run(true)];
    expect(withSimd.map((r) => r.size)).toEqual([...Array(50).fill(50), ...Array(25).fill(25)]);
    for (const [i, r] of withSimd.entries()) {
      const c = inputs[i]!.content;
      expect(r.leaf.digest.sha256).toBe(sha(c));
      expect(new TextDecoder().decode(r.leafBytes)).toBe(canonicalJson(r.leaf));
      expect(r.leaf.size).toBe(typeof c === 'string' ? utf8(c).length : c.length);
      expect(encodeReceipt(r, 'cbor')).toEqual(encodeReceipt(without[i]!, 'cbor'));
      await verifyOutputReceipt(c, r, { keys, model: MODEL });
    }
    expect(withSimd.some((r) => r.leafBytes.length > 4096)).toBe(true);
  });

  it('reads each output once: a content that changes between reads is signed as first read, in both modes', async () => {
    for (const batch of [undefined, { maxItems: 10, maxDelayMs: 60_000 }]) {
      let reads = 0;
      const input = {
        get content() {
          reads++;
          return reads === 1 ? 'first' : 'a second, longer content';
        },
        mediaType: 'text/plain',
      };
      const signer = await createOutputSigner({ model: MODEL, signer: alice!, ...(batch ? { batch } : {}) });
      const pending = signer.sign(input);
      await signer.flush();
      const signed = (await pending) as { leaf?: { digest: { sha256: string }; size: number }; statement?: { subject: { digest: { sha256: string } }[]; predicate: { size: number } } };
      const [digest, size] = signed.leaf ? [signed.leaf.digest.sha256, signed.leaf.size] : [signed.statement!.subject[0]!.digest.sha256, signed.statement!.predicate.size];
      expect([digest, size, reads]).toEqual([sha('first'), 5, 1]);
    }
  });

  it('writes leaves from remembered pieces, also after the memory for them fills up and starts again', async () => {
    // 120 distinct parameter sets of ~1 KB each: more than the 64 KiB the pieces are kept in.
    const inputs = Array.from({ length: 120 }, (_, i) => ({ content: `out ${i}`, mediaType: 'text/plain', parameters: { stop: `${'x'.repeat(1000)}${i % 97}` } }));
    const run = async (simdOff: boolean) => {
      disableSimdForTesting(simdOff);
      try {
        const signer = await createOutputSigner({ model: MODEL, signer: alice!, batch: { maxItems: 1000, maxDelayMs: 60_000 }, clock: () => T0 });
        const promises = inputs.map((input) => signer.sign(input));
        await signer.close();
        return (await Promise.all(promises)).map((r) => new TextDecoder().decode(r.leafBytes));
      } finally {
        disableSimdForTesting(false);
      }
    };
    const [withSimd, without] = [await run(false), await run(true)];
    expect(withSimd).toEqual(without);
    expect(withSimd[119]).toContain(`"stop":"${'x'.repeat(1000)}22"`);
  });

  it('closes batches at maxItems; every receipt verifies offline with its batch record', async () => {
    const store = memoryStore();
    let now = T0;
    const signer = await createOutputSigner({ model: MODEL, signer: alice!, secret: SECRET, store, batch: { maxItems: 10, maxDelayMs: 60_000 }, clock: () => now++ });
    expect(signer.mode).toBe('batch');
    const promises = Array.from({ length: 37 }, (_, i) =>
      signer.sign({ content: text(i), mediaType: 'text/plain; charset=utf-8', parameters: { temperature: 0.5, i }, prompt: `prompt ${i}` }),
    );
    expect(signer.pending).toBe(7);
    await signer.flush();
    const receipts = await Promise.all(promises);
    const batches = new Map<string, OutputReceipt[]>();
    for (const r of receipts) batches.set(r.batch.toString(), [...(batches.get(r.batch.toString()) ?? []), r]);
    expect([...batches.values()].map((b) => b.length)).toEqual([10, 10, 10, 7]);
    expect(store.map.size).toBe(4);
    for (const [i, r] of receipts.entries()) {
      expect(r.index).toBe(i % 10);
      expect(r.size).toBe(i < 30 ? 10 : 7);
      expect(r.leaf).toMatchObject({ digest: { sha256: sha(text(i)) }, parameters: { temperature: 0.5, i }, size: utf8(text(i)).length });
      expect(new TextDecoder().decode(r.leafBytes)).toBe(canonicalJson(r.leaf));
      expect(matchesPromptDigest(`prompt ${i}`, r.leaf.promptDigest!, SECRET)).toBe(true);
      const verified = await verifyOutputReceipt(text(i), r, { keys, model: MODEL });
      expect(verified).toMatchObject({ kind: 'output-batch', model: MODEL, created: r.leaf.created, sha256: sha(text(i)) });
      if (i < 10) expect(verified.created).toBe(new Date(T0 + i).toISOString());
      // The batch record can come from the store instead of the receipt.
      await verifyOutputReceipt(utf8(text(i)), r, { keys, batch: store });
    }
    const first = openRecord(store.map.get(receipts[0]!.batch.toString())!, { keys, kinds: ['output-batch'] });
    expect(first.predicate).toMatchObject({
      model: MODEL,
      count: 10,
      treeAlg: 'rfc6962-sha256',
      leafType: 'https://provenant.dev/output-leaf/v1',
      window: { start: new Date(T0).toISOString(), end: new Date(T0 + 9).toISOString() },
    });
    expect(first.statement.subject[0]!.name).toBe('merkle-root');
    expect(outputOrigin(receipts[3]!)).toEqual({ model: MODEL, created: new Date(T0 + 3).toISOString(), sha256: sha(text(3)), batch: receipts[3]!.batch.toString() });
  });

  it('closes a batch after maxDelayMs without a flush', async () => {
    const signer = await createOutputSigner({ model: MODEL, signer: alice!, batch: { maxItems: 1000, maxDelayMs: 20 } });
    const started = Date.now();
    const receipts = await Promise.all([0, 1, 2].map((i) => signer.sign({ content: text(i), mediaType: 'text/plain' })));
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(receipts.map((r) => r.size)).toEqual([3, 3, 3]);
    expect(signer.pending).toBe(0);
  });

  it('learns how late its receipts come and closes later batches early enough to keep the window', async () => {
    // Signing takes 60 ms: the first batch's receipts come ~60 ms after its window; the next batch closes that much sooner.
    const slow: Signer = { publicKey: alice!.publicKey, sign: async (data) => (await new Promise((r) => setTimeout(r, 60)), alice!.sign(data)) };
    const signer = await createOutputSigner({ model: MODEL, signer: slow, batch: { maxItems: 1000, maxDelayMs: 100 } });
    const latency = async () => {
      const started = performance.now();
      await signer.sign({ content: 'x', mediaType: 'text/plain' });
      return performance.now() - started;
    };
    expect(await latency()).toBeGreaterThanOrEqual(155);
    // Timers may fire late on a busy machine; 40 ms of slack still tells 100 from 160.
    expect(await latency()).toBeLessThan(140);
    await signer.close();
  });

  it('loses nothing on close: N outputs signed, close, all N receipts verify; later sign() is refused', async () => {
    const signer = await createOutputSigner({ model: MODEL, signer: alice!, batch: { maxItems: 64, maxDelayMs: 60_000 } });
    const n = 200;
    const settled: (OutputReceipt | undefined)[] = Array.from({ length: n });
    const promises = Array.from({ length: n }, (_, i) => signer.sign({ content: text(i), mediaType: 'text/plain' }).then((r) => (settled[i] = r)));
    await signer.close();
    // close() resolves only once every accepted output has its receipt.
    expect(settled.every((r) => r !== undefined)).toBe(true);
    await Promise.all(promises);
    for (let i = 0; i < n; i++) await verifyOutputReceipt(text(i), settled[i]!, { keys });
    await expectCode(signer.sign({ content: 'late', mediaType: 'text/plain' }), 'ERR_CLOSED');
  });

  it('rejects every pending output when a batch cannot be signed, or its record cannot be stored', async () => {
    const failing: Signer = { publicKey: alice!.publicKey, sign: async () => { throw new Error('KMS unavailable'); } };
    const signer = await createOutputSigner({ model: MODEL, signer: failing, batch: { maxItems: 100, maxDelayMs: 60_000 } });
    const results = Array.from({ length: 25 }, (_, i) => signer.sign({ content: text(i), mediaType: 'text/plain' }).then(() => 'signed', (e: Error) => e.message));
    await signer.flush();
    expect(await Promise.all(results)).toEqual(Array.from({ length: 25 }, () => 'KMS unavailable'));

    const store = memoryStore();
    store.failWith(Object.assign(new Error('disk full'), { code: 'ENOSPC' }));
    const stored = await createOutputSigner({ model: MODEL, signer: alice!, store, batch: { maxItems: 5, maxDelayMs: 60_000 } });
    const more = Array.from({ length: 5 }, (_, i) => stored.sign({ content: text(i), mediaType: 'text/plain' }).then(() => 'signed', (e: Error) => e.message));
    expect(await Promise.all(more)).toEqual(Array.from({ length: 5 }, () => 'disk full'));
    // The next batch, with the store back, signs.
    store.failWith(undefined);
    const next = stored.sign({ content: 'again', mediaType: 'text/plain' });
    await stored.flush();
    await verifyOutputReceipt('again', await next, { keys, batch: store });
  });

  it('keeps batches independent while a slow signer is still signing earlier ones', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: Signer = { publicKey: alice!.publicKey, sign: async (d) => (await gate, alice!.sign(d)) };
    const signer = await createOutputSigner({ model: MODEL, signer: slow, batch: { maxItems: 4, maxDelayMs: 60_000 } });
    const promises = Array.from({ length: 10 }, (_, i) => signer.sign({ content: text(i), mediaType: 'text/plain' }));
    expect(signer.pending).toBe(2);
    const flushed = signer.flush();
    release();
    await flushed;
    const receipts = await Promise.all(promises);
    expect(new Set(receipts.map((r) => r.batch.toString())).size).toBe(3);
    for (const [i, r] of receipts.entries()) await verifyOutputReceipt(text(i), r, { keys });
  });
});

describe('verifying receipts: every bad input has its code', () => {
  let made = 0;
  const make = async (n = 5) => {
    const store = memoryStore();
    // Each batch gets its own clock, so two batches of the same outputs are still two records.
    const clock = T0 + 1000 * made++;
    const signer = await createOutputSigner({ model: MODEL, signer: alice!, store, batch: { maxItems: n, maxDelayMs: 60_000 }, clock: () => clock });
    const receipts = await Promise.all(Array.from({ length: n }, (_, i) => signer.sign({ content: text(i), mediaType: 'text/plain', parameters: { temperature: 0.2 } })));
    return { store, receipts };
  };
  const withChanges = (r: OutputReceipt, changes: Partial<OutputReceipt>): OutputReceipt => ({
    batch: r.batch,
    index: r.index,
    size: r.size,
    leafBytes: r.leafBytes,
    leaf: r.leaf,
    proof: r.proof,
    ...(r.envelope ? { envelope: r.envelope } : {}),
    ...changes,
  });

  it('a proof that does not reach the root: ERR_PROOF_INVALID', async () => {
    const { receipts } = await make();
    const r = receipts[2]!;
    const flipped = r.proof.map((p) => new Uint8Array(p));
    flipped[0]![5]! ^= 1;
    await expectCode(verifyOutputReceipt(text(2), withChanges(r, { proof: flipped }), { keys }), 'ERR_PROOF_INVALID');
    await expectCode(verifyOutputReceipt(text(2), withChanges(r, { index: 3 }), { keys }), 'ERR_PROOF_INVALID');
    await expectCode(verifyOutputReceipt(text(2), withChanges(r, { proof: r.proof.slice(1) }), { keys }), 'ERR_PROOF_INVALID');
    // A tree size that is not the batch's count, even where the path would work out.
    await expectCode(verifyOutputReceipt(text(2), withChanges(r, { size: 6 }), { keys }), 'ERR_PROOF_INVALID');
    // Another output's proof with this output's leaf.
    await expectCode(verifyOutputReceipt(text(2), withChanges(r, { proof: receipts[1]!.proof }), { keys }), 'ERR_PROOF_INVALID');
  });

  it('a leaf whose metadata was changed (same content): ERR_PROOF_INVALID', async () => {
    const { receipts } = await make();
    const r = receipts[0]!;
    const forged = utf8(new TextDecoder().decode(r.leafBytes).replace('"temperature":0.2', '"temperature":0.1'));
    expect(forged).not.toEqual(r.leafBytes);
    await expectCode(verifyOutputReceipt(text(0), withChanges(r, { leafBytes: forged }), { keys }), 'ERR_PROOF_INVALID');
  });

  it('a receipt for other content: ERR_DIGEST_MISMATCH', async () => {
    const { receipts } = await make();
    await expectCode(verifyOutputReceipt(text(1), receipts[0]!, { keys }), 'ERR_DIGEST_MISMATCH');
    await expectCode(verifyOutputReceipt(`${text(0)} `, receipts[0]!, { keys }), 'ERR_DIGEST_MISMATCH');
  });

  it('a batch record that is missing: ERR_LINK_MISSING', async () => {
    const { receipts } = await make();
    const bare = decodeReceipt(encodeReceipt(receipts[0]!, 'cbor', { envelope: false }));
    expect(bare.envelope).toBeUndefined();
    await expectCode(verifyOutputReceipt(text(0), bare, { keys }), 'ERR_LINK_MISSING');
    await expectCode(verifyOutputReceipt(text(0), bare, { keys, batch: memoryStore() }), 'ERR_LINK_MISSING');
    const throwing = { get: async () => { throw Object.assign(new Error('no'), { code: 'ERR_RECORD_NOT_FOUND' }); } };
    // Only provenant's own not-found error counts as missing; anything else surfaces as is.
    await expect(verifyOutputReceipt(text(0), bare, { keys, batch: throwing })).rejects.toThrow('no');
    expectThrowCode(() => outputOrigin(bare), 'ERR_LINK_MISSING');
  });

  it('a batch signed by a key the verifier does not trust: ERR_SIGNATURE_INVALID / ERR_THRESHOLD_NOT_MET', async () => {
    const { receipts } = await make();
    await expectCode(verifyOutputReceipt(text(0), receipts[0]!, { keys: [mallory!.publicKey] }), 'ERR_SIGNATURE_INVALID');
    await expectCode(verifyOutputReceipt(text(0), receipts[0]!, { keys: [alice!.publicKey, bob!.publicKey], threshold: 2 }), 'ERR_THRESHOLD_NOT_MET');
    // An attacker's own batch with a receipt naming it: signed, but not by a trusted key.
    const evil = await createOutputSigner({ model: MODEL, signer: mallory!, batch: { maxItems: 1 } });
    const forged = await evil.sign({ content: text(0), mediaType: 'text/plain' });
    await expectCode(verifyOutputReceipt(text(0), forged, { keys }), 'ERR_SIGNATURE_INVALID');
  });

  it('a batch envelope that is another record, or another model: ERR_RECORD_ID_MISMATCH, ERR_WRONG_MODEL', async () => {
    const a = await make(3);
    const b = await make(3);
    await expectCode(verifyOutputReceipt(text(0), a.receipts[0]!, { keys, batch: b.receipts[0]!.envelope! }), 'ERR_RECORD_ID_MISMATCH');
    await expectCode(verifyOutputReceipt(text(0), a.receipts[0]!, { keys, model: OTHER_MODEL }), 'ERR_WRONG_MODEL');
    await verifyOutputReceipt(text(0), a.receipts[0]!, { keys, model: MODEL });
  });
});

describe('output leaves', () => {
  it('property: the hand-written leaf is RFC 8785 canonical JSON of the leaf object', () => {
    const name = fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !/[\s\u0000-\u001f\u007f]/.test(s) && s !== '__proto__');
    const value = fc.oneof(fc.string({ maxLength: 10 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 6 }), fc.boolean(), fc.nat(), (parameters, withPrompt, size) => {
        const sorted = Object.fromEntries(Object.keys(parameters).sort().map((k) => [k, parameters[k]]));
        const promptDigest = withPrompt ? { alg: 'hmac-sha256' as const, keyId: '0123456789abcdef', digest: sha('p') } : undefined;
        const claims = { created: '2026-11-22T05:00:00.000Z', sha256: sha('c'), mediaType: 'text/x; q="a\\"b"', size, parametersJson: canonicalJson(sorted), ...(promptDigest ? { promptDigest } : {}) };
        const leaf = {
          _type: 'https://provenant.dev/output-leaf/v1',
          created: claims.created,
          digest: { sha256: claims.sha256 },
          mediaType: claims.mediaType,
          parameters,
          ...(promptDigest ? { promptDigest } : {}),
          size,
        };
        expect(outputLeafJson(claims)).toBe(canonicalJson(leaf));
      }),
    );
  });

  it('lets the receipt JSON round-trip through JSON.stringify', async () => {
    const signer = await createOutputSigner({ model: MODEL, signer: alice!, batch: { maxItems: 2 } });
    const [r] = await Promise.all([signer.sign({ content: 'a', mediaType: 'text/plain' }), signer.sign({ content: 'b', mediaType: 'text/plain' })]);
    const json = JSON.stringify(r);
    const back = decodeReceipt(json);
    expect(back.leafBytes).toEqual(r!.leafBytes);
    await verifyOutputReceipt('a', back, { keys });
    expect(JSON.parse(json).proof).toEqual(r!.proof.map((p) => toHex(p)));
    expect(JSON.parse(json).envelope.payload).toBe(encodeBase64(parseEnvelope(r!.envelope).payload));
  });
});

describe('parameters written once and reused', () => {
  it('notices a change to the same object between outputs', async () => {
    const signer = await createOutputSigner({ model: MODEL, signer: alice! });
    const parameters: OutputParameters = { temperature: 0.5, top_p: 1 };
    const a = await signer.sign({ content: 'x', mediaType: 'text/plain', parameters });
    parameters.temperature = 0.9;
    const b = await signer.sign({ content: 'x', mediaType: 'text/plain', parameters });
    parameters.seed = 7;
    const c = await signer.sign({ content: 'x', mediaType: 'text/plain', parameters });
    delete parameters.seed;
    const d = await signer.sign({ content: 'x', mediaType: 'text/plain', parameters: { top_p: 1, temperature: 0.9 } });
    expect([a, b, c, d].map((r) => r.statement.predicate.parameters)).toEqual([
      { temperature: 0.5, top_p: 1 },
      { temperature: 0.9, top_p: 1 },
      { seed: 7, temperature: 0.9, top_p: 1 },
      { temperature: 0.9, top_p: 1 },
    ]);
    expect(new TextDecoder().decode(d.payload)).toContain('"parameters":{"temperature":0.9,"top_p":1}');
    // A bad value after a good one with the same names is still refused.
    await expectCode(signer.sign({ content: 'x', mediaType: 'text/plain', parameters: { temperature: Number.NaN, top_p: 1 } }), 'ERR_SCHEMA');
  });
});

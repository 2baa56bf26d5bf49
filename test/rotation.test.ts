/**
 * The threshold-rotation rule (src/governance/rotation.ts) and its TUF root
 * adapter (src/governance/tuf.ts).
 *
 * - Generic rule, with freshly generated Ed25519 / P-256 keys: a principal
 *   with two keys counts once, unknown keys and bad signatures count for
 *   nobody, old / new thresholds, genesis, malformed signer sets.
 * - OLPC canonical JSON, byte for byte against Python securesystemslib's
 *   `encode_canonical` (Debian's /usr/bin/python3, securesystemslib 0.26).
 * - Real TUF data: sigstore/root-signing roots 13, 14, 15 (README section
 *   "tuf-sigstore-root/"): 13 -> 14 has 4 of 5 old and 4 of 5 new root keys
 *   signing (threshold 3), 14 -> 15 has 5 of 5 both ways; a changed
 *   `expires` gives 0 valid signatures; one signature repeated 3x counts
 *   once; a skipped version fails; 15 expires 2026-11-20T13:58:18Z.
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, importPublicKey, importSigner, type KeyAlgorithm, type Signer } from '../src/envelope/keys.js';
import { toHex, utf8 } from '../src/lib/bytes.js';
import { VerificationError } from '../src/lib/errors.js';
import { canonicalJson } from '../src/lib/json.js';
import {
  assertSignerSet,
  checkRotation,
  signingPrincipals,
  type Principal,
  type RotationSignature,
  type SignerSet,
} from '../src/governance/rotation.js';
import {
  olpcCanonicalJson,
  parseTufRoot,
  tufRootSignerSet,
  verifyTufRootChain,
  verifyTufRootUpdate,
} from '../src/governance/tuf.js';
import { expectCode, HAVE_VECTORS, rejection, VECTORS } from './helpers.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

// ---------------------------------------------------------------------------
// Generic rule

/** A principal holding freshly generated keys, with their signers. */
interface Member {
  principal: Principal;
  signers: Signer[];
}

async function member(id: string, algorithms: readonly KeyAlgorithm[] = ['ed25519']): Promise<Member> {
  const signers = await Promise.all(algorithms.map((a) => importSigner(generateKeyPair(a).privateKeyPem)));
  return { principal: { id, keys: signers.map((s) => s.publicKey) }, signers };
}

function set(members: readonly Member[], threshold: number): SignerSet {
  return { principals: members.map((m) => m.principal), threshold };
}

/** Every key of every member in `by` signs `message` (keyid hint = the key's own id). */
async function sign(message: Uint8Array, by: readonly (Member | Signer)[]): Promise<RotationSignature[]> {
  const signers = by.flatMap((m) => ('signers' in m ? m.signers : [m]));
  return Promise.all(signers.map(async (s) => ({ keyid: s.publicKey.keyId, sig: await s.sign(message) })));
}

const MESSAGE = utf8('{"electorate":"v2","members":["alice","bob","carol"]}');

describe('signingPrincipals / checkRotation (generic rule)', () => {
  it('counts a principal with two keys (Ed25519 and P-256) once, however many of its keys sign', async () => {
    const alice = await member('alice', ['ed25519', 'p256']);
    const bob = await member('bob', ['p256']);
    const s = set([alice, bob], 2);
    const both = await sign(MESSAGE, [alice]);
    expect(both).toHaveLength(2);
    expect(signingPrincipals(s, MESSAGE, both)).toEqual(['alice']);
    // Twice each, still one principal; threshold 2 not met.
    const check = checkRotation(undefined, s, MESSAGE, [...both, ...both]);
    expect(check).toMatchObject({ ok: false, code: 'ERR_ROTATION_NEW_THRESHOLD', oldSigners: [], newSigners: ['alice'] });
    // Either of alice's keys alone is enough for alice.
    expect(signingPrincipals(s, MESSAGE, [both[1]!])).toEqual(['alice']);
    // With bob it is met; signers come back in the set's order.
    expect(checkRotation(undefined, s, MESSAGE, [...(await sign(MESSAGE, [bob])), ...both])).toMatchObject({
      ok: true,
      newSigners: ['alice', 'bob'],
    });
  });

  it('does not count a signature by a key outside the set, even one claiming a member key id', async () => {
    const alice = await member('alice');
    const bob = await member('bob');
    const mallory = await member('mallory', ['ed25519', 'p256']);
    const s = set([alice, bob], 1);
    const forged = (await sign(MESSAGE, [mallory])).map((sig) => ({ ...sig, keyid: 'alice' }));
    expect(signingPrincipals(s, MESSAGE, forged)).toEqual([]);
    expect(checkRotation(undefined, s, MESSAGE, forged)).toMatchObject({ ok: false, code: 'ERR_ROTATION_NEW_THRESHOLD', newSigners: [] });
  });

  it('never throws for a bad signature: empty, garbage, truncated, over other bytes, not bytes at all', async () => {
    const alice = await member('alice', ['p256']);
    const bob = await member('bob');
    const s = set([alice, bob], 1);
    const [good] = await sign(MESSAGE, [alice]);
    const bad: RotationSignature[] = [
      { sig: new Uint8Array(0) },
      { keyid: 'alice', sig: new Uint8Array(64).fill(7) },
      { keyid: 'bob', sig: good!.sig.subarray(0, good!.sig.length - 1) },
      ...(await sign(utf8('other bytes'), [alice, bob])),
      { keyid: 'alice', sig: 'not bytes' as unknown as Uint8Array },
      null as unknown as RotationSignature,
    ];
    expect(signingPrincipals(s, MESSAGE, bad)).toEqual([]);
    expect(signingPrincipals(s, MESSAGE, [...bad, good!])).toEqual(['alice']);
  });

  it('treats the key id as a hint: a wrong, unknown or missing keyid still counts for the true signer, once', async () => {
    const alice = await member('alice');
    const bob = await member('bob', ['p256']);
    const carol = await member('carol');
    const s = set([alice, bob, carol], 3);
    const sigs = await sign(MESSAGE, [alice, bob, carol]);
    const lying = sigs.map((sig) => ({ ...sig, keyid: 'bob' }));
    const unknown = sigs.map((sig) => ({ ...sig, keyid: 'nobody' }));
    const none = sigs.map(({ sig }) => ({ sig }));
    for (const variant of [sigs, lying, unknown, none]) {
      expect(checkRotation(undefined, s, MESSAGE, variant)).toMatchObject({ ok: true, newSigners: ['alice', 'bob', 'carol'] });
    }
  });

  it('genesis: only its own threshold applies', async () => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => member(id)));
    const s = set([a!, b!, c!], 2);
    const ok = checkRotation(undefined, s, MESSAGE, await sign(MESSAGE, [a!, c!]));
    expect(ok).toEqual({ ok: true, oldSigners: [], newSigners: ['a', 'c'], message: 'genesis: signed by 2 of 3 new principals (threshold 2)' });
    const short = checkRotation(undefined, s, MESSAGE, await sign(MESSAGE, [b!]));
    expect(short).toMatchObject({ ok: false, code: 'ERR_ROTATION_NEW_THRESHOLD', newSigners: ['b'] });
    expect(short.message).toContain('1 of 3');
  });

  it('rotation: a threshold of the old set AND of the new set must sign', async () => {
    const [a, b, c, d, e] = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id, i) => member(id, [i % 2 ? 'p256' : 'ed25519'])));
    // v1 = {a, b, c} t=2 rotates to v2 = {b, c, d, e} t=3: a leaves, d and e join.
    const v1 = set([a!, b!, c!], 2);
    const v2 = set([b!, c!, d!, e!], 3);

    const all = checkRotation(v1, v2, MESSAGE, await sign(MESSAGE, [a!, b!, c!, d!, e!]));
    expect(all).toMatchObject({ ok: true, oldSigners: ['a', 'b', 'c'], newSigners: ['b', 'c', 'd', 'e'] });
    expect(all.code).toBeUndefined();
    expect(all.message).toBe('signed by 3 of 3 previous principals (threshold 2) and 4 of 4 new principals (threshold 3)');

    // Old threshold not met: only b of the old set signed (d and e are new members).
    const newcomers = checkRotation(v1, v2, MESSAGE, await sign(MESSAGE, [b!, d!, e!]));
    expect(newcomers).toMatchObject({ ok: false, code: 'ERR_ROTATION_OLD_THRESHOLD', oldSigners: ['b'], newSigners: ['b', 'd', 'e'] });

    // New threshold not met: a and b (old 2 of 3) but only b of the new set.
    const leavers = checkRotation(v1, v2, MESSAGE, await sign(MESSAGE, [a!, b!]));
    expect(leavers).toMatchObject({ ok: false, code: 'ERR_ROTATION_NEW_THRESHOLD', oldSigners: ['a', 'b'], newSigners: ['b'] });

    // Both unmet: the old threshold is reported first, as TUF checks it first.
    expect(checkRotation(v1, v2, MESSAGE, await sign(MESSAGE, [d!]))).toMatchObject({ ok: false, code: 'ERR_ROTATION_OLD_THRESHOLD' });

    // Exactly at both thresholds: b, c (old 2) + d (new 3).
    expect(checkRotation(v1, v2, MESSAGE, await sign(MESSAGE, [b!, c!, d!]))).toMatchObject({ ok: true, oldSigners: ['b', 'c'], newSigners: ['b', 'c', 'd'] });

    // The codes are VerificationError codes.
    expect(new VerificationError(leavers.code!, leavers.message).exitCode).toBe(1);
  });

  it('a member who rotates a key: the old key counts for the old set, the new key for the new set', async () => {
    const a = await member('a');
    const b = await member('b');
    const a2 = await member('a'); // same principal id, new key
    const v1 = set([a, b], 2);
    const v2 = set([a2, b], 2);
    // Signed by a's old key and b: old 2 of 2, new only b.
    expect(checkRotation(v1, v2, MESSAGE, await sign(MESSAGE, [a, b]))).toMatchObject({
      ok: false,
      code: 'ERR_ROTATION_NEW_THRESHOLD',
      oldSigners: ['a', 'b'],
      newSigners: ['b'],
    });
    // Signed by both of a's keys and b: valid; `a` counted once on each side.
    expect(checkRotation(v1, v2, MESSAGE, await sign(MESSAGE, [a, a2, b]))).toMatchObject({ ok: true, oldSigners: ['a', 'b'], newSigners: ['a', 'b'] });
  });

  it('rejects malformed signer sets with RangeError (documented: a programmer or policy error, not a bad signature)', async () => {
    const a = await member('a');
    const b = await member('b');
    const twin: Member = { principal: { id: 'twin', keys: [a.principal.keys[0]!] }, signers: a.signers };
    for (const threshold of [0, -1, 1.5, 3, Number.NaN]) {
      expect(() => checkRotation(undefined, set([a, b], threshold), MESSAGE, []), String(threshold)).toThrow(RangeError);
    }
    expect(() => signingPrincipals(set([a, a], 1), MESSAGE, [])).toThrow(/duplicate principal id "a"/);
    expect(() => signingPrincipals(set([a, twin], 1), MESSAGE, [])).toThrow(/share a key/);
    // The same key imported twice is still the same key (compared by SPKI, not by object).
    const again = await importPublicKey(a.signers[0]!.publicKey.pem);
    expect(() => assertSignerSet({ principals: [a.principal, { id: 'c', keys: [again] }], threshold: 1 })).toThrow(RangeError);
    // A bad previous set is reported as such.
    expect(() => checkRotation(set([a], 2), set([a], 1), MESSAGE, [])).toThrow(/previous signer set/);
    // A principal may list one key twice, or no key at all (it simply cannot sign).
    const fine: SignerSet = { principals: [{ id: 'a', keys: [...a.principal.keys, again] }, { id: 'keyless', keys: [] }], threshold: 2 };
    expect(() => assertSignerSet(fine)).not.toThrow();
    expect(checkRotation(undefined, fine, MESSAGE, await sign(MESSAGE, [a]))).toMatchObject({ ok: false, newSigners: ['a'] });
  });
});

// ---------------------------------------------------------------------------
// OLPC canonical JSON

describe('olpcCanonicalJson', () => {
  it('sorts keys, drops whitespace, escapes only \\ and ", writes newlines raw', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n';
    expect(text(olpcCanonicalJson({ b: [1, true, null], a: { z: pem, y: 'q"\\/\t' } }))).toBe(
      `{"a":{"y":"q\\"\\\\/\t","z":"${pem}"},"b":[1,true,null]}`,
    );
    // Unlike RFC 8785, which escapes the newlines and the tab.
    expect(canonicalJson({ z: pem })).toContain('\\n');
    expect(text(olpcCanonicalJson({ z: pem }))).not.toContain('\\n');
    expect(text(olpcCanonicalJson([]))).toBe('[]');
    expect(text(olpcCanonicalJson({}))).toBe('{}');
    expect(text(olpcCanonicalJson(-0))).toBe('0');
    expect(text(olpcCanonicalJson(-42))).toBe('-42');
    expect(text(olpcCanonicalJson(2n ** 70n))).toBe('1180591620717411303424');
  });

  it('sorts keys by code point (Python), not by UTF-16 code unit (JavaScript)', () => {
    const keys = { '\u{1F600}': 1, '\uFFFD': 2, é: 3, Z: 4, a: 5 };
    expect(text(olpcCanonicalJson(keys))).toBe('{"Z":4,"a":5,"é":3,"\uFFFD":2,"\u{1F600}":1}');
    // JavaScript's default order puts the emoji (a surrogate pair) before U+FFFD.
    expect(Object.keys(keys).sort()).toEqual(['Z', 'a', 'é', '\u{1F600}', '\uFFFD']);
  });

  it('encodes UTF-8', () => {
    expect(toHex(olpcCanonicalJson('é\u{1F600}'))).toBe('22c3a9f09f988022');
  });

  it('refuses floats, non-finite and unsafe integers, lone surrogates, undefined and other values', () => {
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '\uD800', { k: '\uDC00x' }, { '\uD83D': 1 }, undefined, { a: undefined }, () => 1, new Date(0), Symbol('s')]) {
      expect(() => olpcCanonicalJson(bad), String(typeof bad)).toThrow(TypeError);
    }
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = [deep];
    expect(() => olpcCanonicalJson(deep)).toThrow(RangeError);
  });
});

const PYTHON = '/usr/bin/python3';

function sslibAvailable(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist`;
  const probe = spawnSync(PYTHON, ['-c', 'from securesystemslib.formats import encode_canonical; import securesystemslib; print(securesystemslib.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) return `${PYTHON} cannot import securesystemslib.formats.encode_canonical (install python3-securesystemslib): ${probe.stderr.trim()}`;
  return undefined;
}
const SSLIB_UNAVAILABLE = sslibAvailable();
if (SSLIB_UNAVAILABLE) console.warn(`skipping the securesystemslib encode_canonical cross-check: ${SSLIB_UNAVAILABLE}`);

/** securesystemslib's encode_canonical of each JSON value read from stdin: hex of the UTF-8, or the exception's name. */
const ENCODE_SCRIPT = `
import json, sys
from securesystemslib.formats import encode_canonical
out = []
for value in json.load(sys.stdin):
    try:
        out.append({"hex": encode_canonical(value).encode("utf-8").hex()})
    except Exception as e:
        out.append({"error": type(e).__name__})
json.dump(out, sys.stdout)
`;

function sslibEncode(values: readonly unknown[]): ({ hex: string } | { error: string })[] {
  const run = spawnSync(PYTHON, ['-c', ENCODE_SCRIPT], { input: JSON.stringify(values), encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`python encode_canonical failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as ({ hex: string } | { error: string })[];
}

const TUF = join(VECTORS, 'attestation/tuf-sigstore-root');
const HAVE_TUF = existsSync(join(TUF, '13.root.json'));
if (HAVE_VECTORS && !HAVE_TUF) console.warn(`skipping TUF root vector tests: ${TUF} is absent`);
const tufFile = (version: number): string => join(TUF, `${version}.root.json`);
const tufBytes = (version: number): Uint8Array => new Uint8Array(readFileSync(tufFile(version)));

describe.skipIf(SSLIB_UNAVAILABLE !== undefined)('olpcCanonicalJson = securesystemslib encode_canonical', () => {
  it('matches byte for byte on tricky values', () => {
    const values: unknown[] = [
      'line one\nline two\r\n\ttabbed',
      'quote " and backslash \\ and both \\"',
      '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n',
      'control \u0000\u0001\u001f\u007f and slash /',
      'unicode: é ß 日本 \u2028 \u2029 \uFEFF \u{1F600} \uFFFD',
      { '\u{1F600}': 1, '\uFFFD': 2, é: 3, Z: 4, a: 5, '': 6, 'a\n': 7, 'a"': 8 },
      { b: { d: [1, [2, [3, {}]], []], c: null }, a: [true, false, null, -1, 0, 9007199254740991] },
      { signed: { _type: 'root', keys: { k: { keyval: { public: 'x\ny' } } }, version: 14 } },
      [],
      {},
      '',
    ];
    const python = sslibEncode(values);
    values.forEach((value, i) => expect(python[i], JSON.stringify(value)).toEqual({ hex: toHex(olpcCanonicalJson(value)) }));
  });

  it('refuses what securesystemslib refuses (floats; lone surrogates cannot be UTF-8 encoded)', () => {
    const values = [1.5, { a: [0.25] }, '\uD800', { '\uDC00': 1 }];
    for (const answer of sslibEncode(values)) expect(answer).toHaveProperty('error');
    for (const value of values) expect(() => olpcCanonicalJson(value)).toThrow(TypeError);
  });

  it.skipIf(!HAVE_TUF)('gives the same signed bytes as securesystemslib for the sigstore roots 13, 14, 15', async () => {
    const signed = [13, 14, 15].map((v) => (JSON.parse(readFileSync(tufFile(v), 'utf8')) as { signed: unknown }).signed);
    const python = sslibEncode(signed);
    for (const [i, v] of [13, 14, 15].entries()) {
      expect(python[i], `root ${v}`).toEqual({ hex: toHex((await parseTufRoot(tufBytes(v))).signedBytes) });
    }
  });
});

// ---------------------------------------------------------------------------
// TUF roots: the sigstore/root-signing history

/** Edit a root file's JSON and give back the bytes. */
function edited(version: number, edit: (doc: { signed: Record<string, unknown>; signatures: { keyid: string; sig: string }[] }) => void): Uint8Array {
  const doc = JSON.parse(readFileSync(tufFile(version), 'utf8'));
  edit(doc);
  return utf8(JSON.stringify(doc, null, 1));
}

const NOV_22 = new Date('2026-11-22T05:00:00Z');

describe.skipIf(!HAVE_VECTORS || !HAVE_TUF)('TUF root vectors (sigstore root-signing 13, 14, 15)', () => {
  it('parses each root: version, 5 root keys with threshold 3, every key ECDSA P-256', async () => {
    for (const version of [13, 14, 15]) {
      const root = await parseTufRoot(tufBytes(version));
      expect(root.version).toBe(version);
      expect(root.specVersion).toBe('1.0');
      expect(root.rootRole.threshold).toBe(3);
      expect(root.rootRole.keyids).toHaveLength(5);
      expect(root.keys.size).toBe(6); // + the online timestamp / snapshot key
      for (const key of root.keys.values()) {
        expect(key.unusable).toBeUndefined();
        expect(key.publicKey?.algorithm).toBe('p256');
      }
      expect(tufRootSignerSet(root).principals.map((p) => p.id)).toEqual(root.rootRole.keyids);
    }
    const v15 = await parseTufRoot(tufBytes(15));
    expect(v15.expires).toBe('2026-11-20T13:58:18Z');
    expect(v15.expiresAt).toBe(Date.parse('2026-11-20T13:58:18Z'));
  });

  it('13 -> 14: valid, 4 of 5 old root keys and 4 of 5 new root keys signed (threshold 3)', async () => {
    const r = await verifyTufRootUpdate(tufBytes(13), tufBytes(14));
    expect(r).toMatchObject({ ok: true, oldVersion: 13, newVersion: 14, oldKeys: 5, oldThreshold: 3, newKeys: 5, newThreshold: 3 });
    expect(r.code).toBeUndefined();
    expect(r.oldSigners).toHaveLength(4);
    expect(r.newSigners).toHaveLength(4);
    // The key whose signature slot in 14 is empty ("sig": "") is the one missing, on both sides.
    const missing = '22f4caec6d8e6f9555af66b3d4c3cb06a3bb23fdc7e39c916c61f462e6f52b06';
    expect(r.oldSigners).not.toContain(missing);
    expect(r.newSigners).not.toContain(missing);
    expect(r.message).toBe(
      'root v13 -> v14: signed by 4 of 5 previous principals (threshold 3) and 4 of 5 new principals (threshold 3)',
    );
    expect(r.expired).toBeUndefined();
  });

  it('14 -> 15: valid, 5 of 5 both ways', async () => {
    const r = await verifyTufRootUpdate(tufBytes(14), tufBytes(15));
    expect(r).toMatchObject({ ok: true, oldVersion: 14, newVersion: 15 });
    expect(r.oldSigners).toHaveLength(5);
    expect(r.newSigners).toHaveLength(5);
    expect(r.newSigners).toEqual((await parseTufRoot(tufBytes(15))).rootRole.keyids);
  });

  it('15 expires 2026-11-20T13:58:18Z: with `now` the expiry is reported, the rotation itself stays valid', async () => {
    const after = await verifyTufRootUpdate(tufBytes(14), tufBytes(15), { now: NOV_22 });
    expect(after).toMatchObject({ ok: true, expired: true, expires: '2026-11-20T13:58:18Z' });
    expect((await verifyTufRootUpdate(tufBytes(14), tufBytes(15), { now: new Date('2026-11-20T13:58:18Z') })).expired).toBe(true);
    expect((await verifyTufRootUpdate(tufBytes(14), tufBytes(15), { now: new Date('2026-11-20T13:58:17Z') })).expired).toBe(false);
    await expect(verifyTufRootUpdate(tufBytes(14), tufBytes(15), { now: new Date('not a date') })).rejects.toThrow(RangeError);
  });

  it('the chain 13 -> 14 -> 15 is valid; only the last root expiry matters (14 expired in June)', async () => {
    const chain = await verifyTufRootChain([13, 14, 15].map(tufBytes), { now: NOV_22 });
    expect(chain.ok).toBe(true);
    expect(chain.code).toBeUndefined();
    expect(chain.trusted?.version).toBe(15);
    expect(chain.expired).toBe(true);
    expect(chain.message).toContain('expired at 2026-11-20T13:58:18Z');
    expect(chain.steps.map((s) => [s.oldSigners.length, s.newSigners.length, s.ok])).toEqual([
      [0, 5, true], // 13 checked against its own root keys
      [4, 4, true],
      [5, 5, true],
    ]);
    expect(chain.steps[0]!.newSigners).toHaveLength(5); // 13 carries 5 valid signatures by its own root keys
    const before = await verifyTufRootChain([13, 14, 15].map(tufBytes), { now: new Date('2026-11-01T00:00:00Z') });
    expect(before).toMatchObject({ ok: true, expired: false });
    // Parsed roots are accepted too.
    const parsed = await Promise.all([13, 14].map((v) => parseTufRoot(tufBytes(v))));
    expect((await verifyTufRootChain(parsed)).trusted?.version).toBe(14);
  });

  it('changing signed.expires leaves 0 valid signatures: invalid', async () => {
    const tampered = edited(14, (doc) => {
      doc.signed.expires = '2036-06-22T13:27:01Z';
    });
    const r = await verifyTufRootUpdate(tufBytes(13), tampered);
    expect(r).toMatchObject({ ok: false, code: 'ERR_ROTATION_OLD_THRESHOLD', oldSigners: [], newSigners: [] });
    // Re-serializing without the edit changes nothing: the signatures cover the canonical form, not the file's bytes.
    const reformatted = edited(14, () => {});
    expect(await verifyTufRootUpdate(tufBytes(13), reformatted)).toMatchObject({ ok: true });
  });

  it('one signature repeated 3 times counts as 1: invalid', async () => {
    const repeated = edited(14, (doc) => {
      doc.signatures = [doc.signatures[0]!, doc.signatures[0]!, doc.signatures[0]!];
    });
    expect((await parseTufRoot(repeated)).signatures).toHaveLength(3);
    const r = await verifyTufRootUpdate(tufBytes(13), repeated);
    expect(r).toMatchObject({ ok: false, code: 'ERR_ROTATION_OLD_THRESHOLD' });
    expect(r.oldSigners).toHaveLength(1);
    expect(r.newSigners).toHaveLength(1);
    // Also when the copies claim other key ids: one signature, one key.
    const relabelled = edited(14, (doc) => {
      const [first] = doc.signatures;
      doc.signatures = doc.signatures.map((s) => ({ keyid: s.keyid, sig: first!.sig }));
    });
    const r2 = await verifyTufRootUpdate(tufBytes(13), relabelled);
    expect(r2).toMatchObject({ ok: false, oldSigners: r.oldSigners, newSigners: r.newSigners });
  });

  it('key ids are hints: the valid signatures of 15 all labelled with one key id (or an unknown one) still count 5 of 5', async () => {
    for (const label of ['e71a54d543835ba86adad9460379c7641fb8726d164ea766801a1c522aba7ea2', 'not-a-key']) {
      const relabelled = edited(15, (doc) => {
        doc.signatures = doc.signatures.map((s) => ({ keyid: label, sig: s.sig }));
      });
      const r = await verifyTufRootUpdate(tufBytes(14), relabelled);
      expect(r, label).toMatchObject({ ok: true });
      expect(r.oldSigners).toHaveLength(5);
      expect(r.newSigners).toHaveLength(5);
    }
  });

  it('skipping or replaying a version fails with ERR_ROTATION_VERSION, though the signatures are good', async () => {
    const skip = await verifyTufRootUpdate(tufBytes(13), tufBytes(15));
    expect(skip).toMatchObject({ ok: false, code: 'ERR_ROTATION_VERSION', oldVersion: 13, newVersion: 15 });
    expect(skip.oldSigners).toHaveLength(5); // same root keys: only the version is wrong
    expect(skip.message).toContain('expected 14');
    expect(await verifyTufRootUpdate(tufBytes(14), tufBytes(14))).toMatchObject({ ok: false, code: 'ERR_ROTATION_VERSION' });
    expect(await verifyTufRootUpdate(tufBytes(15), tufBytes(14))).toMatchObject({ ok: false, code: 'ERR_ROTATION_VERSION' });
    const chain = await verifyTufRootChain([13, 15].map(tufBytes));
    expect(chain).toMatchObject({ ok: false, code: 'ERR_ROTATION_VERSION' });
    expect(chain.trusted?.version).toBe(13);
    expect(chain.steps).toHaveLength(2);
    // A chain stops at its first failure.
    const broken = await verifyTufRootChain([tufBytes(13), edited(14, (d) => void (d.signed.expires = '2036-01-01T00:00:00Z')), tufBytes(15)]);
    expect(broken).toMatchObject({ ok: false, code: 'ERR_ROTATION_OLD_THRESHOLD' });
    expect(broken.steps).toHaveLength(2);
    expect(broken.trusted?.version).toBe(13);
  });

  it('a version bumped by hand to look like the next one has no valid signature', async () => {
    const bumped = edited(14, (doc) => {
      doc.signed.version = 16;
    });
    expect(await verifyTufRootUpdate(tufBytes(15), bumped)).toMatchObject({ ok: false, code: 'ERR_ROTATION_OLD_THRESHOLD', oldSigners: [], newSigners: [] });
  });
});

/**
 * Independent count with securesystemslib's own keys and verification: for
 * each signature on the new root whose keyid is a root key of `root`, does
 * it verify (TUF clients match signatures to keys by keyid)?
 */
const COUNT_SCRIPT = `
import json, sys
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import SSlibKey, Signature
old = json.load(open(sys.argv[1], encoding="utf-8"))
new = json.load(open(sys.argv[2], encoding="utf-8"))
data = encode_canonical(new["signed"]).encode("utf-8")
errors = []
def count(root):
    role = root["signed"]["roles"]["root"]
    ok = set()
    for s in new["signatures"]:
        if s["keyid"] not in role["keyids"]:
            continue
        key = SSlibKey.from_dict(s["keyid"], dict(root["signed"]["keys"][s["keyid"]]))
        try:
            key.verify_signature(Signature(s["keyid"], s["sig"]), data)
            ok.add(s["keyid"])
        except Exception as e:
            errors.append(type(e).__name__)
    return sorted(ok)
json.dump({"old": count(old), "new": count(new), "errors": errors}, sys.stdout)
`;

describe.skipIf(!HAVE_VECTORS || !HAVE_TUF || SSLIB_UNAVAILABLE !== undefined)('TUF root signatures, counted by securesystemslib', () => {
  it('agrees with our counts: 13 -> 14 4/4 of 5, 14 -> 15 5/5 of 5', async () => {
    for (const [from, to] of [
      [13, 14],
      [14, 15],
    ] as const) {
      const run = spawnSync(PYTHON, ['-c', COUNT_SCRIPT, tufFile(from), tufFile(to)], { encoding: 'utf8', timeout: 30_000 });
      expect(run.status, run.stderr).toBe(0);
      const python = JSON.parse(run.stdout) as { old: string[]; new: string[]; errors: string[] };
      const ours = await verifyTufRootUpdate(tufBytes(from), tufBytes(to));
      expect(python.old, `${from} -> ${to}: ${python.errors.join(', ')}`).toEqual([...ours.oldSigners].sort());
      expect(python.new).toEqual([...ours.newSigners].sort());
      expect([python.old.length, python.new.length]).toEqual(from === 13 ? [4, 4] : [5, 5]);
    }
  });
});

// ---------------------------------------------------------------------------
// TUF roots built here: rotation of real key changes, key types, malformed metadata

interface TufSigner {
  keyid: string;
  entry: { keytype: string; scheme: string; keyval: { public: string } };
  signer: Signer;
}

async function tufSigner(kind: 'ed25519' | 'p256'): Promise<TufSigner> {
  const signer = await importSigner(generateKeyPair(kind).privateKeyPem);
  const entry =
    kind === 'ed25519'
      ? {
          keytype: 'ed25519',
          scheme: 'ed25519',
          keyval: { public: toHex(Buffer.from((signer.publicKey.keyObject.export({ format: 'jwk' }) as { x: string }).x, 'base64url')) },
        }
      : { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: signer.publicKey.pem } };
  return { keyid: toHex(createHash('sha256').update(olpcCanonicalJson(entry)).digest()), entry, signer };
}

interface RootSpec {
  version: number;
  root: readonly TufSigner[];
  threshold: number;
  signers: readonly TufSigner[];
  extraKeys?: Record<string, unknown>;
  expires?: string;
}

async function buildRoot(spec: RootSpec): Promise<{ signed: Record<string, unknown>; signatures: { keyid: string; sig: string }[] }> {
  const keys: Record<string, unknown> = { ...spec.extraKeys };
  for (const k of spec.root) keys[k.keyid] = k.entry;
  const signed = {
    _type: 'root',
    spec_version: '1.0.31',
    version: spec.version,
    expires: spec.expires ?? '2030-01-01T00:00:00Z',
    consistent_snapshot: true,
    keys,
    roles: {
      root: { keyids: [...spec.root.map((k) => k.keyid), ...Object.keys(spec.extraKeys ?? {})], threshold: spec.threshold },
      targets: { keyids: [spec.root[0]!.keyid], threshold: 1 },
    },
  };
  const bytes = olpcCanonicalJson(signed);
  const signatures = await Promise.all(spec.signers.map(async (s) => ({ keyid: s.keyid, sig: toHex(await s.signer.sign(bytes)) })));
  return { signed, signatures };
}

const json = (doc: unknown): string => JSON.stringify(doc, null, 2);

describe('TUF roots built with fresh Ed25519 and P-256 keys', () => {
  it('rotates {A, B, C} t=2 to {B, C, D} t=2: needs 2 of the old and 2 of the new', async () => {
    const [a, b, c, d] = await Promise.all([tufSigner('ed25519'), tufSigner('p256'), tufSigner('ed25519'), tufSigner('p256')]);
    const v1 = json(await buildRoot({ version: 1, root: [a!, b!, c!], threshold: 2, signers: [a!, c!] }));
    expect(await verifyTufRootChain([v1])).toMatchObject({ ok: true, steps: [{ ok: true, newSigners: [a!.keyid, c!.keyid] }] });
    const v2 = async (...signers: TufSigner[]): Promise<string> => json(await buildRoot({ version: 2, root: [b!, c!, d!], threshold: 2, signers }));
    expect(await verifyTufRootUpdate(v1, await v2(a!, b!, c!, d!))).toMatchObject({ ok: true, oldSigners: [a!.keyid, b!.keyid, c!.keyid], newSigners: [b!.keyid, c!.keyid, d!.keyid] });
    expect(await verifyTufRootUpdate(v1, await v2(a!, b!))).toMatchObject({ ok: false, code: 'ERR_ROTATION_NEW_THRESHOLD', newSigners: [b!.keyid] });
    expect(await verifyTufRootUpdate(v1, await v2(c!, d!))).toMatchObject({ ok: false, code: 'ERR_ROTATION_OLD_THRESHOLD', oldSigners: [c!.keyid] });
    expect(await verifyTufRootUpdate(v1, await v2(b!, c!))).toMatchObject({ ok: true });
    // A genesis that does not meet its own threshold ends the chain at once.
    const weak = json(await buildRoot({ version: 1, root: [a!, b!, c!], threshold: 2, signers: [a!] }));
    expect(await verifyTufRootChain([weak, await v2(b!, c!)])).toMatchObject({ ok: false, code: 'ERR_ROTATION_NEW_THRESHOLD', steps: [{ ok: false }] });
  });

  it('skips keys of unknown types: they stay principals but cannot count', async () => {
    const [a, b] = await Promise.all([tufSigner('ed25519'), tufSigner('p256')]);
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const extraKeys = {
      rsakey: { keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: rsaPem } },
      future: { keytype: 'sphincs', scheme: 'sphincs-shake-128s', keyval: { public: 'ab' } },
      liar: { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: rsaPem } },
      shortEd: { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: 'abcd' } },
    };
    const doc = await buildRoot({ version: 1, root: [a!, b!], threshold: 2, signers: [a!, b!], extraKeys });
    const root = await parseTufRoot(json(doc));
    expect(root.keys.get('rsakey')?.unusable).toMatch(/unsupported keytype "rsa"/);
    expect(root.keys.get('future')?.unusable).toMatch(/unsupported/);
    expect(root.keys.get('liar')?.unusable).toMatch(/is rsa|unsupported key type/);
    expect(root.keys.get('shortEd')?.unusable).toMatch(/32 bytes/);
    expect(root.keys.get(a!.keyid)?.publicKey?.algorithm).toBe('ed25519');
    expect(tufRootSignerSet(root).principals).toHaveLength(6);
    expect(await verifyTufRootChain([root])).toMatchObject({ ok: true, steps: [{ newSigners: [a!.keyid, b!.keyid], newKeys: 6 }] });
    // With threshold 3 only two keys can ever count.
    const three = await buildRoot({ version: 1, root: [a!, b!], threshold: 3, signers: [a!, b!], extraKeys });
    expect(await verifyTufRootChain([json(three)])).toMatchObject({ ok: false, code: 'ERR_ROTATION_NEW_THRESHOLD' });
  });

  it('a non-hex or empty sig counts for nobody and does not throw', async () => {
    const [a, b] = await Promise.all([tufSigner('ed25519'), tufSigner('ed25519')]);
    const doc = await buildRoot({ version: 1, root: [a!, b!], threshold: 1, signers: [a!] });
    doc.signatures = [{ keyid: a!.keyid, sig: 'zz' }, { keyid: b!.keyid, sig: '' }, { keyid: a!.keyid, sig: '123' }, ...doc.signatures];
    expect(await verifyTufRootChain([json(doc)])).toMatchObject({ ok: true, steps: [{ newSigners: [a!.keyid] }] });
    doc.signatures = doc.signatures.slice(0, 3);
    expect(await verifyTufRootChain([json(doc)])).toMatchObject({ ok: false, steps: [{ newSigners: [] }] });
  });

  it('refuses malformed root metadata with ERR_MALFORMED', async () => {
    const [a, b] = await Promise.all([tufSigner('ed25519'), tufSigner('p256')]);
    const good = await buildRoot({ version: 1, root: [a!, b!], threshold: 1, signers: [a!] });
    expect((await parseTufRoot(json(good))).version).toBe(1);
    const variants: [string, (doc: { signed: any; signatures: any[] }) => void][] = [
      ['_type', (d) => void (d.signed._type = 'targets')],
      ['spec_version', (d) => void (d.signed.spec_version = '2.0.0')],
      ['version 0', (d) => void (d.signed.version = 0)],
      ['version string', (d) => void (d.signed.version = '1')],
      ['version float', (d) => void (d.signed.version = 1.5)],
      ['expires format', (d) => void (d.signed.expires = '2030-01-01')],
      ['expires rollover', (d) => void (d.signed.expires = '2030-02-30T00:00:00Z')],
      ['float elsewhere in signed', (d) => void (d.signed.custom = 0.5)],
      ['threshold 0', (d) => void (d.signed.roles.root.threshold = 0)],
      ['threshold above keys', (d) => void (d.signed.roles.root.threshold = 3)],
      ['root key not in keys', (d) => void d.signed.roles.root.keyids.push('missing')],
      ['duplicate root key id', (d) => void d.signed.roles.root.keyids.push(d.signed.roles.root.keyids[0])],
      ['same key under two key ids', (d) => {
        d.signed.keys.twin = d.signed.keys[a!.keyid];
        d.signed.roles.root.keyids.push('twin');
      }],
      ['keys not an object', (d) => void (d.signed.keys = [])],
      ['keyval missing', (d) => void delete d.signed.keys[a!.keyid].keyval],
      ['no root role', (d) => void delete d.signed.roles.root],
      ['signatures not an array', (d) => void ((d as { signatures: unknown }).signatures = {})],
      ['sig not a string', (d) => void (d.signatures[0].sig = 12)],
      ['no signed', (d) => void delete (d as { signed?: unknown }).signed],
    ];
    for (const [name, edit] of variants) {
      const doc = structuredClone(good) as { signed: any; signatures: any[] };
      edit(doc);
      const err = await rejection(parseTufRoot(json(doc)));
      expect(err.code, `${name}: ${err.message}`).toBe('ERR_MALFORMED');
      expect(err.message, name).toMatch(/^TUF root metadata: /);
    }
    // Duplicate JSON keys (strict parseJson) and non-JSON.
    const duplicated = json(good).replace('"_type": "root"', '"_type": "root", "_type": "root"');
    expect(duplicated).not.toBe(json(good));
    await expectCode(parseTufRoot(duplicated), 'ERR_MALFORMED');
    await expectCode(parseTufRoot('not json'), 'ERR_MALFORMED');
    await expectCode(verifyTufRootUpdate(json(good), '[]'), 'ERR_MALFORMED');
    await expect(verifyTufRootChain([])).rejects.toThrow(RangeError);
    // Every signature may be tried against every root key, so their number is bounded.
    const flood = structuredClone(good);
    flood.signatures = Array.from({ length: 1025 }, (_, i) => ({ keyid: `k${i}`, sig: '00' }));
    await expectCode(parseTufRoot(json(flood)), 'ERR_LIMIT_EXCEEDED');
  });
});

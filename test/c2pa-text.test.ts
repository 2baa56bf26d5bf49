/**
 * C2PA credentials in unstructured text (issue 6): the wrapper layout, the
 * data hash over the NFC-normalized text with one exclusion, tamper
 * detection, what survives copy-paste, and an independent implementation
 * (@trustnxt/c2pa-ts) reading our manifest store.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ManifestStore } from '@trustnxt/c2pa-ts/manifest';
import { createOutputSigner, generateKeyPair, importPublicKey, recordId } from 'provenant';
import { createDevCertificates, OUTPUT_ASSERTION_LABEL, readText, signText, TRAINED_ALGORITHMIC_MEDIA, type C2paCredentials } from '../bindings/c2pa/index.js';
import { encodeWrapper, findWrapper, maxWrapperUtf8Length } from '../bindings/c2pa/text-wrapper.js';
import { expectCode } from './helpers.js';

const MODEL = recordId(new TextEncoder().encode('the tiny-lm model record')).toString();
const dev = createDevCertificates({ algorithm: 'es256' });
const ed = createDevCertificates({ algorithm: 'ed25519' });
const servingKey = generateKeyPair('ed25519');
const servingPublic = await importPublicKey(servingKey.publicKeyPem);
const outputs = await createOutputSigner({ model: MODEL, key: servingKey.privateKeyPem });
const utf8 = (s: string) => new TextEncoder().encode(s);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const ANSWER = 'The capital of France is Paris. Café crème, naïve façade — 東京 🚀.\nSecond line.';

function present(c: Awaited<ReturnType<typeof readText>>): C2paCredentials<'text/plain'> {
  expect(c.present).toBe(true);
  return c as C2paCredentials<'text/plain'>;
}

describe('the C2PA text wrapper', () => {
  it('encodes U+FEFF, then one variation selector per byte: "C2PATXT\\0", version 1, u32 BE length, the store, padding', () => {
    const store = Uint8Array.from([0, 15, 16, 255, 7]);
    const wrapper = encodeWrapper(store, maxWrapperUtf8Length(store.length) + 8);
    const points = [...wrapper].map((c) => c.codePointAt(0)!);
    expect(points[0]).toBe(0xfeff);
    const bytes = points.slice(1).map((p) => (p < 0xe0100 ? p - 0xfe00 : p - 0xe0100 + 16));
    expect(bytes.slice(0, 8)).toEqual([...Buffer.from('C2PATXT\0', 'latin1')]);
    expect(bytes.slice(8, 13)).toEqual([1, 0, 0, 0, 5]);
    expect(bytes.slice(13, 18)).toEqual([0, 15, 16, 255, 7]);
    expect(points.slice(1).every((p) => (p >= 0xfe00 && p <= 0xfe0f) || (p >= 0xe0100 && p <= 0xe01ef))).toBe(true);
    expect(Buffer.byteLength(wrapper)).toBe(maxWrapperUtf8Length(store.length) + 8);
  });

  it('pads to every exact UTF-8 length from the minimum up', () => {
    const store = Uint8Array.from([1, 200, 3]);
    const max = maxWrapperUtf8Length(store.length);
    for (let length = max + 8; length < max + 40; length++) {
      const wrapper = encodeWrapper(store, length);
      expect(Buffer.byteLength(wrapper)).toBe(length);
      const found = findWrapper(`hello${wrapper}`)!;
      expect(found.store).toEqual(store);
      expect(found.start).toBe(5);
      expect(found.utf8Length).toBe(length);
    }
  });

  it('finds nothing in plain text, or after a lone U+FEFF', () => {
    expect(findWrapper('plain text')).toBeUndefined();
    expect(findWrapper('\ufeffBOM-led text')).toBeUndefined();
  });
});

describe('signText and readText', () => {
  it('signs generated text and reads it back: Trusted, every code, the receipt', async () => {
    const record = await outputs.sign({ content: ANSWER, mediaType: 'text/plain; charset=utf-8', parameters: { temperature: 0.7 } });
    const signed = await signText(ANSWER, { certificateChain: dev.chainPem, key: dev.keyPem, receipt: record, model: 'tiny-lm@1.0' });
    expect(signed.text.startsWith(ANSWER.normalize('NFC'))).toBe(true);
    expect(signed.visibleText).toBe(ANSWER.normalize('NFC'));
    // Invisible: only U+FEFF and variation selectors follow the text.
    const tail = [...signed.text.slice(signed.visibleText.length)];
    expect(tail.every((c, i) => (i === 0 ? c === '\ufeff' : /[\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]/u.test(c)))).toBe(true);

    const c = present(await readText(signed.text, { trustAnchors: dev.caPem, outputKeys: [servingPublic] }));
    expect(c.state).toBe('Trusted');
    expect(c.mediaType).toBe('text/plain');
    expect(c.validation.failure).toEqual([]);
    expect(c.validation.success.map((s) => s.code)).toEqual(
      expect.arrayContaining(['claimSignature.validated', 'claimSignature.insideValidity', 'signingCredential.trusted', 'assertion.hashedURI.match', 'assertion.dataHash.match']),
    );
    expect(c.active.actions).toEqual([expect.objectContaining({ action: 'c2pa.created', digitalSourceType: TRAINED_ALGORITHMIC_MEDIA, softwareAgent: { name: 'tiny-lm', version: '1.0' } })]);
    expect(c.active.assertions).toEqual(expect.arrayContaining(['c2pa.actions.v2', 'cawg.training-mining', OUTPUT_ASSERTION_LABEL, 'c2pa.hash.data']));
    expect(c.active.signature).toMatchObject({ algorithm: 'Es256', commonName: 'provenant development signer' });
    expect(c.output).toMatchObject({ kind: 'output', output: record.id.toString(), model: MODEL, contentMatch: 'match', problems: [] });
    expect(c.output?.verified?.signedBy).toEqual([servingPublic.keyId]);
    expect(present(await readText(signed.text)).state).toBe('Valid');
  });

  it('signs with Ed25519 too', async () => {
    const signed = await signText('short', { certificateChain: ed.chainPem, key: ed.keyPem });
    expect(present(await readText(signed.text, { trustAnchors: ed.caPem })).state).toBe('Trusted');
  });

  it('fails on any edit of the visible text', async () => {
    const signed = await signText(ANSWER, { certificateChain: dev.chainPem, key: dev.keyPem });
    const wrapper = signed.text.slice(signed.visibleText.length);
    const edits = [
      signed.visibleText.replace('Paris', 'Lyon') + wrapper,
      signed.visibleText.replace('Paris.', 'Paris') + wrapper,
      `${signed.visibleText} ` + wrapper,
      ` ${signed.visibleText}${wrapper}`,
      signed.text + 'appended after the wrapper',
      signed.visibleText.slice(0, 10) + wrapper + signed.visibleText.slice(10),
    ];
    for (const edited of edits) {
      const c = present(await readText(edited, { trustAnchors: dev.caPem }));
      expect(c.state, JSON.stringify(edited.slice(0, 40))).toBe('Invalid');
      expect(c.status.map((s) => s.code)).toContain('assertion.dataHash.mismatch');
    }
  });

  it('fails when a byte of the manifest store is changed', async () => {
    const signed = await signText(ANSWER, { certificateChain: dev.chainPem, key: dev.keyPem });
    // Flip one byte inside the claim (its selectors sit after the header and assertions).
    const store = new Uint8Array(signed.manifestStore);
    const claimAt = Buffer.from(store).indexOf('c2pa.claim.v2') + 40;
    store[claimAt]! ^= 0x01;
    const tampered = signed.visibleText + encodeWrapper(store, Buffer.byteLength(signed.text) - Buffer.byteLength(signed.visibleText));
    const c = present(await readText(tampered));
    expect(c.state).toBe('Invalid');
    expect(c.status.map((s) => s.code)).toContain('claimSignature.mismatch');
  });

  it('verifies canonically equivalent text (NFD) the same: the hash is over the NFC form', async () => {
    const signed = await signText(ANSWER, { certificateChain: dev.chainPem, key: dev.keyPem });
    const wrapper = signed.text.slice(signed.visibleText.length);
    const nfd = signed.visibleText.normalize('NFD') + wrapper;
    expect(nfd).not.toBe(signed.text);
    expect(present(await readText(nfd, { trustAnchors: dev.caPem })).state).toBe('Trusted');
  });

  it('stripped of its wrapper, the text is the content the output record signs (verify by digest)', async () => {
    const record = await outputs.sign({ content: ANSWER.normalize('NFC'), mediaType: 'text/plain; charset=utf-8' });
    const signed = await signText(ANSWER, { certificateChain: dev.chainPem, key: dev.keyPem, receipt: record });
    const stripped = signed.text.replace(/\ufeff[\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]+/gu, '');
    expect(stripped).toBe(signed.visibleText);
    expect(sha256(stripped)).toBe(record.contentSha256);
    expect(await readText(stripped)).toEqual({ present: false, mediaType: 'text/plain' });
  });

  it('refuses a receipt for other content', async () => {
    const record = await outputs.sign({ content: 'another answer', mediaType: 'text/plain' });
    await expectCode(signText(ANSWER, { certificateChain: dev.chainPem, key: dev.keyPem, receipt: record }), 'ERR_DIGEST_MISMATCH');
  });

  it('re-signing signed text keeps the old manifest as the parent ingredient', async () => {
    const first = await signText(ANSWER, { certificateChain: dev.chainPem, key: dev.keyPem, model: 'tiny-lm@1.0' });
    const second = await signText(first.text, { certificateChain: ed.chainPem, key: ed.keyPem, model: 'editor@2' });
    expect(second.replacedCredentials).toBe(true);
    expect(second.visibleText).toBe(first.visibleText);
    expect(findWrapper(second.text.slice(0, second.visibleText.length))).toBeUndefined();
    const c = present(await readText(second.text, { trustAnchors: [dev.caPem, ed.caPem] }));
    expect(c.state).toBe('Trusted');
    expect(c.manifests).toHaveLength(2);
    expect(c.active.ingredients).toEqual([expect.objectContaining({ relationship: 'parentOf', manifest: c.manifests[1]!.label })]);
    expect(c.active.actions.map((a) => a.action)).toEqual(['c2pa.opened', 'c2pa.edited']);
  });

  it('reports text without a wrapper as such', async () => {
    expect(await readText('nothing here')).toEqual({ present: false, mediaType: 'text/plain' });
  });

  it('is read by an independent implementation (@trustnxt/c2pa-ts): claim, signature and data hash', async () => {
    const signed = await signText(ANSWER, { certificateChain: dev.chainPem, key: dev.keyPem, model: 'tiny-lm@1.0' });
    const store = ManifestStore.read(SuperBox.fromBuffer(new Uint8Array(signed.manifestStore)));
    const manifest = store.getActiveManifest()!;
    expect(manifest.label).toBe(present(await readText(signed.text)).activeLabel);
    // c2pa-ts has no text asset type: give it the text's UTF-8 bytes, the wrapper as the manifest range.
    const bytes = utf8(signed.text);
    const start = utf8(signed.visibleText).length;
    const asset = {
      mimeType: 'text/plain',
      getDataLength: () => bytes.length,
      getDataRange: async (from = 0, length?: number) => bytes.subarray(from, length === undefined ? undefined : from + length),
      getManifestJUMBF: () => signed.manifestStore,
      dumpInfo: () => 'text',
      getHashExclusionRange: () => ({ start, length: bytes.length - start }),
      ensureManifestSpace: async () => undefined,
      writeManifestJUMBF: async () => undefined,
    };
    const result = await store.validate(asset as never);
    const failures = result.statusEntries.filter((e) => !e.success).map((e) => e.code);
    expect(failures).toEqual([]);
    expect(result.statusEntries.map((e) => e.code)).toEqual(expect.arrayContaining(['claimSignature.validated', 'assertion.dataHash.match']));
  });
});

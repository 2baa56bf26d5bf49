/**
 * Interoperability of our signed images (issue 6): an independent C2PA
 * implementation (@trustnxt/c2pa-ts, pure TypeScript, no c2pa-rs inside)
 * validates them, and exiftool (Debian libimage-exiftool-perl) finds the
 * JUMBF manifest store in them.
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JPEG, PNG } from '@trustnxt/c2pa-ts/asset';
import { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ManifestStore } from '@trustnxt/c2pa-ts/manifest';
import { createOutputSigner, generateKeyPair, recordId } from 'provenant';
import { createDevCertificates, OUTPUT_ASSERTION_LABEL, signImage, type CertificateAlgorithm } from '../bindings/c2pa/index.js';
import { makeJpeg, makePng } from './c2pa-images.mjs';
import { cleanupTemp, makeTemp } from './helpers.js';

afterAll(cleanupTemp);

const MODEL = recordId(new TextEncoder().encode('interop model record')).toString();
const outputs = await createOutputSigner({ model: MODEL, key: generateKeyPair('ed25519').privateKeyPem });

function haveExiftool(): boolean {
  try {
    execFileSync('exiftool', ['-ver'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
const EXIFTOOL = haveExiftool();
if (!EXIFTOOL) {
  console.warn('skipping the exiftool interop test: exiftool is not installed (Debian/Ubuntu: apt-get install -y libimage-exiftool-perl)');
}

const cases = [
  ['image/png', 'png', () => makePng(80, 60, 5)],
  ['image/jpeg', 'jpg', () => makeJpeg(80, 60, 5)],
] as const;

describe('@trustnxt/c2pa-ts reads our credentials as valid', () => {
  for (const [mediaType, , make] of cases) {
    for (const algorithm of ['es256', 'es384', 'ed25519'] as CertificateAlgorithm[]) {
      it(`${mediaType}, ${algorithm}`, async () => {
        const dev = createDevCertificates({ algorithm });
        const image = make();
        const record = await outputs.sign({ content: image, mediaType });
        const signed = await signImage(image, mediaType, { certificateChain: dev.chainPem, key: dev.keyPem, receipt: record, model: 'tiny-diffusion@1.2' });
        const bytes = new Uint8Array(signed.bytes.buffer as ArrayBuffer, signed.bytes.byteOffset, signed.bytes.byteLength);
        const asset = mediaType === 'image/png' ? new PNG(bytes) : new JPEG(bytes);
        const jumbf = asset.getManifestJUMBF();
        expect(jumbf).toBeDefined();
        const store = ManifestStore.read(SuperBox.fromBuffer(new Uint8Array(jumbf!)));
        const result = await store.validate(asset);
        const failures = result.statusEntries.filter((e) => !e.success);
        expect(failures).toEqual([]);
        expect(result.isValid).toBe(true);
        const codes = result.statusEntries.map((e) => e.code);
        expect(codes).toEqual(expect.arrayContaining(['claimSignature.validated', 'assertion.dataHash.match']));
        // c2pa-ts sees our assertions too.
        const labels = store.getActiveManifest()!.assertions!.assertions.map((a) => a.fullLabel);
        expect(labels).toEqual(expect.arrayContaining(['c2pa.actions.v2', 'cawg.training-mining', OUTPUT_ASSERTION_LABEL]));
      });
    }
  }
});

describe.skipIf(!EXIFTOOL)('exiftool sees the JUMBF manifest store', () => {
  for (const [mediaType, ext, make] of cases) {
    it(mediaType, async () => {
      const dev = createDevCertificates();
      const signed = await signImage(make(), mediaType, { certificateChain: dev.chainPem, key: dev.keyPem, model: 'tiny-diffusion@1.2' });
      const dir = await makeTemp('provenant-c2pa-exif-');
      const path = join(dir, `signed.${ext}`);
      await writeFile(path, signed.bytes);
      const out = await new Promise<string>((resolve, reject) =>
        execFile('exiftool', ['-a', '-G1', '-s', path], (err, stdout) => (err ? reject(err) : resolve(String(stdout)))),
      );
      // exiftool names the group JUMBF and prints each description box's label.
      expect(out).toMatch(/^\[JUMBF\]/m);
      expect(out).toMatch(/JUMDLabel\s*:\s*c2pa\s*$/m);
    });
  }
});

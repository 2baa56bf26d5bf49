#!/usr/bin/env node
// C2PA benchmark (issue 6). Run after a build: `npx tsup && node bench/c2pa.mjs`.
//
// Everything is measured in this run, on this machine, against a baseline
// measured in the same run: a plain copy of the same file (read it, write
// it to a new file), which is what publishing the image costs without
// credentials.
//
//   engine   first load: read and compile the WebAssembly module (once per process)
//   sign     1 MP JPEG and 4 MP PNG: signImage + write, per image; overhead over the plain copy
//   read     readCredentials (validation, trust anchors given) per image
//   text     signText / readText on 4 KiB of text
//
// Options: --quick (fewer rounds, for a smoke test).
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createOutputSigner, generateKeyPair, recordId } from '../dist/index.js';
import { createDevCertificates, loadC2paEngine, readCredentials, readText, signImage, signText } from '../dist/c2pa.js';
import { makeJpeg, makePng } from '../test/c2pa-images.mjs';

const quick = process.argv.includes('--quick');
const rounds = quick ? 3 : 10;
const fmt = (n, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = await mkdtemp(join(tmpdir(), 'provenant-bench-c2pa-'));
try {
  const dev = createDevCertificates({ algorithm: 'es256' });
  const model = recordId(new TextEncoder().encode('bench model record')).toString();
  const outputs = await createOutputSigner({ model, key: generateKeyPair('ed25519').privateKeyPem });

  let t = performance.now();
  await loadC2paEngine();
  const engineMs = performance.now() - t;
  t = performance.now();
  await loadC2paEngine();
  const engineAgainMs = performance.now() - t;

  console.log(`provenant C2PA benchmark (node ${process.version}, ${quick ? 'quick' : 'full'} run, median of ${rounds})`);
  console.log(`engine  : WebAssembly module read + compiled + instantiated in ${fmt(engineMs)} ms (once per process; a second load took ${fmt(engineAgainMs, 3)} ms)`);

  const images = [
    ['1 MP JPEG', 'image/jpeg', 'jpg', makeJpeg(1000, 1000, 42, 85)],
    ['4 MP PNG', 'image/png', 'png', makePng(2000, 2000, 42)],
  ];
  for (const [label, mediaType, ext, image] of images) {
    const source = join(dir, `source.${ext}`);
    await writeFile(source, image);
    const record = await outputs.sign({ content: image, mediaType });
    // Warm-up: the first signature of a format pays for lazy initialisation inside the engine.
    await signImage(image, mediaType, { certificateChain: dev.chainPem, key: dev.keyPem, receipt: record, model: 'bench-model@1' });

    const copy = [];
    const sign = [];
    const read = [];
    let signed;
    for (let i = 0; i < rounds; i++) {
      t = performance.now();
      await copyFile(source, join(dir, `copy.${ext}`));
      copy.push(performance.now() - t);

      t = performance.now();
      const bytes = await readFile(source);
      signed = await signImage(bytes, mediaType, { certificateChain: dev.chainPem, key: dev.keyPem, receipt: record, model: 'bench-model@1' });
      await writeFile(join(dir, `signed.${ext}`), signed.bytes);
      sign.push(performance.now() - t);

      t = performance.now();
      const result = await readCredentials(await readFile(join(dir, `signed.${ext}`)), mediaType, { trustAnchors: dev.caPem });
      read.push(performance.now() - t);
      if (!result.present || result.state !== 'Trusted' || result.output?.contentMatch !== 'match') throw new Error(`${label}: unexpected read result`);
    }
    const c = median(copy);
    const s = median(sign);
    const r = median(read);
    console.log(
      `sign    : ${label} (${fmt(image.length / 1e6, 2)} MB) ${fmt(s)} ms per image vs plain copy ${fmt(c, 2)} ms:` +
        ` +${fmt(s - c)} ms, ${fmt(s / c, 0)}x; manifest store ${signed.manifestStore.length} bytes (+${fmt((100 * (signed.bytes.length - image.length)) / image.length, 2)}% size)`,
    );
    console.log(`read    : ${label} ${fmt(r)} ms per image (validate, trust anchors, receipt vs content)`);
  }

  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(92).slice(0, 4096);
  const textSign = [];
  const textRead = [];
  let signedText;
  for (let i = 0; i < rounds; i++) {
    t = performance.now();
    signedText = await signText(text, { certificateChain: dev.chainPem, key: dev.keyPem, model: 'bench-model@1' });
    textSign.push(performance.now() - t);
    t = performance.now();
    await readText(signedText.text, { trustAnchors: dev.caPem });
    textRead.push(performance.now() - t);
  }
  console.log(
    `text    : 4 KiB signText ${fmt(median(textSign), 2)} ms, readText ${fmt(median(textRead), 2)} ms;` +
      ` wrapper ${Buffer.byteLength(signedText.text) - Buffer.byteLength(signedText.visibleText)} bytes of UTF-8 (${signedText.manifestStore.length}-byte store)`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}

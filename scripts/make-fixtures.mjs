// Writes provenant's own small fixtures into fixtures/, deterministically:
//   fixtures/tiny-model/   a tiny character-level language model (bigram
//                          counts over a fixed corpus) as config.json +
//                          vocab.json + weights.bin (float32 log-probabilities)
//   fixtures/tiny-dataset/ the corpus it was trained on, in two files
// Run: node scripts/make-fixtures.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const corpus = [
  'provenance is a chain of custody for facts.\n',
  'every model version carries a signed record of its weights.\n',
  'every dataset carries a signed record of its files.\n',
  'a vote decides, and anyone can count the ballots again.\n',
  'no single key can change the model alone.\n',
];
const shards = [corpus.slice(0, 3).join(''), corpus.slice(3).join('')];
const text = shards.join('');
const vocab = [...new Set(text)].sort();
const index = new Map(vocab.map((c, i) => [c, i]));
const n = vocab.length;
// Bigram counts with add-one smoothing, stored as float32 log-probabilities.
const counts = Array.from({ length: n }, () => new Array(n).fill(1));
for (let i = 0; i + 1 < text.length; i++) counts[index.get(text[i])][index.get(text[i + 1])]++;
const weights = new Float32Array(n * n);
for (let a = 0; a < n; a++) {
  const total = counts[a].reduce((x, y) => x + y, 0);
  for (let b = 0; b < n; b++) weights[a * n + b] = Math.log(counts[a][b] / total);
}

const write = (rel, data) => {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
};
write('tiny-dataset/part-0.txt', shards[0]);
write('tiny-dataset/part-1.txt', shards[1]);
write('tiny-model/config.json', `${JSON.stringify({ architecture: 'char-bigram', vocabSize: n, dtype: 'float32', layout: 'row-major [prev][next] log-prob' }, null, 2)}\n`);
write('tiny-model/vocab.json', `${JSON.stringify(vocab)}\n`);
write('tiny-model/weights.bin', Buffer.from(weights.buffer));
write('tiny-model/README.md', '# tiny-model\n\nA character bigram model trained on fixtures/tiny-dataset; made by scripts/make-fixtures.mjs.\n');
console.log(`fixtures written to ${root} (vocab ${n}, weights ${weights.byteLength} bytes)`);

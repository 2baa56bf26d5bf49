// Hashing benchmark for issue "Foundation and model weights".
//
// Prints throughput ratios measured in the same run against:
//   - `openssl dgst -sha256` over the same files (one process, one core), and
//   - the 2-core ceiling from `openssl speed -multi <cores> -evp sha256`.
// Files are read right before each timing so they are in page cache (this
// machine evicts cache unused for ~30 s). The machine is a shared host whose
// speed swings by up to 2x between runs of a few seconds (`openssl dgst` on
// one file has measured anywhere from 186 to 367 MB/s), and that noise only
// ever slows a run down. So each case runs in several rounds, baseline and
// provenant back to back in alternating order, and the verdict compares each
// side's fastest round: the best of N estimates what the code does when the
// host leaves it alone, and both sides get the same treatment. The median of
// the per-round ratios is printed next to it. Usage:
//   node bench/hash.mjs [--dir DIR] [--rounds N] [--quick] [--only TEXT]
// --only runs the cases whose label contains TEXT (e.g. --only 'files, 8').
// --quick uses 1/8 of the sizes (for a smoke run; the targets are for the full sizes).
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const dirArg = args.indexOf('--dir');
const root = dirArg >= 0 ? args[dirArg + 1] : join(tmpdir(), 'provenant-bench');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const scale = quick ? 8 : 1;
const roundsArg = args.indexOf('--rounds');
const rounds = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 5;
const cores = availableParallelism();
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? args[onlyArg + 1] : undefined;

function makeFile(path, size) {
  if (existsSync(path) && statSync(path).size === size) return;
  const block = randomFillSync(Buffer.alloc(8 * MiB));
  const fd = openSync(path, 'w');
  for (let done = 0; done < size; ) {
    const n = Math.min(block.length, size - done);
    writeSync(fd, block, 0, n);
    done += n;
    block[done % block.length] ^= 0xa5; // keep blocks distinct
  }
  closeSync(fd);
}

const oneDir = join(root, `one-${scale}`);
const eightDir = join(root, `eight-${scale}`);
mkdirSync(oneDir, { recursive: true });
mkdirSync(eightDir, { recursive: true });
const oneFiles = [join(oneDir, 'big.bin')];
makeFile(oneFiles[0], (4 * GiB) / scale);
const eightFiles = Array.from({ length: 8 }, (_, i) => join(eightDir, `part${i}.bin`));
for (const f of eightFiles) makeFile(f, (512 * MiB) / scale);

const warmBuf = Buffer.allocUnsafe(8 * MiB);
function warm(files) {
  for (const f of files) {
    const fd = openSync(f, 'r');
    while (readSync(fd, warmBuf, 0, warmBuf.length, null) > 0);
    closeSync(fd);
  }
}
const sizeOf = (files) => files.reduce((n, f) => n + statSync(f).size, 0);

function timeOpenssl(files) {
  warm(files);
  const t = performance.now();
  const r = spawnSync('openssl', ['dgst', '-sha256', ...files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl dgst failed: ${r.stderr}`);
  return sizeOf(files) / ((performance.now() - t) / 1000);
}

// `openssl speed` over 1 MiB buffers in memory: with `processes` = cores, the
// 2-core ceiling; with 1, one core alone. Their ratio is how well the host
// scales OpenSSL's SHA-256 to every core (two vCPUs rarely give exactly 2x).
function opensslSpeed(processes) {
  const multi = processes > 1 ? ['-multi', String(processes)] : [];
  const r = spawnSync('openssl', ['speed', ...multi, '-seconds', '4', '-bytes', String(MiB), '-evp', 'sha256'], {
    encoding: 'utf8',
  });
  const line = r.stdout.split('\n').find((l) => /^sha256\s+[\d.]+k/.test(l.trim()));
  if (!line) throw new Error(`cannot parse openssl speed output:\n${r.stdout}\n${r.stderr}`);
  return Number.parseFloat(line.trim().split(/\s+/)[1]) * 1000;
}

const child = fileURLToPath(new URL('./hash-child.mjs', import.meta.url));
function timeOurs(dir, files, method) {
  warm(files);
  const r = spawnSync(process.execPath, [child, dir, method], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hash child failed: ${r.stderr}`);
  const { bytes, seconds, cpuSeconds, maxRssMiB } = JSON.parse(r.stdout.trim());
  return { rate: bytes / seconds, maxRssMiB, busy: cpuSeconds / (cores * seconds) };
}

const mb = (r) => `${(r / 1e6).toFixed(0)} MB/s`;
const rows = [];
function check(name, value, target, fmt = (v) => `${v.toFixed(2)}x`) {
  rows.push({ name, value: fmt(value), target: fmt(target), ok: value >= target });
}

console.log(`provenant hashing benchmark: ${cores} cores, ${rounds} rounds, data in ${root}${quick ? ' (quick sizes)' : ''}`);

const cases = [
  { label: `shards, 1 x ${4 / scale} GiB`, dir: oneDir, files: oneFiles, method: 'shards', dgst: 1.95, ceiling: 0.85, rss: 120 },
  { label: `shards, 8 x ${512 / scale} MiB`, dir: eightDir, files: eightFiles, method: 'shards', dgst: 1.95, ceiling: 0.85 },
  { label: `files, 8 x ${512 / scale} MiB`, dir: eightDir, files: eightFiles, method: 'files', dgst: 1.95 },
  { label: `files, 1 x ${4 / scale} GiB`, dir: oneDir, files: oneFiles, method: 'files', dgst: 1.05, rss: 120 },
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const best = (xs) => Math.max(...xs);
for (const c of cases.filter((c) => only === undefined || c.label.includes(only))) {
  const oursRates = [];
  const baseRates = [];
  const ceilRates = [];
  const oneRates = [];
  const vsDgst = [];
  const vsCeil = [];
  let rss = 0;
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so a drift in machine speed does not favour one side.
    let base;
    let ours;
    let ceil;
    let one;
    if (round % 2 === 0) {
      base = timeOpenssl(c.files);
      ours = timeOurs(c.dir, c.files, c.method);
      if (c.ceiling) [ceil, one] = [opensslSpeed(cores), opensslSpeed(1)];
    } else {
      if (c.ceiling) [one, ceil] = [opensslSpeed(1), opensslSpeed(cores)];
      ours = timeOurs(c.dir, c.files, c.method);
      base = timeOpenssl(c.files);
    }
    rss = Math.max(rss, ours.maxRssMiB);
    oursRates.push(ours.rate);
    baseRates.push(base);
    vsDgst.push(ours.rate / base);
    if (ceil) {
      ceilRates.push(ceil);
      oneRates.push(one);
      vsCeil.push(ours.rate / ceil);
    }
    console.log(
      `${c.label.padEnd(20)} round ${round + 1}: provenant ${mb(ours.rate).padStart(10)}  openssl dgst ${mb(base).padStart(10)}` +
        `  ratio ${(ours.rate / base).toFixed(2)}x${ceil ? `  ceiling ${mb(ceil)} (${((ours.rate / ceil) * 100).toFixed(0)}%, one core ${mb(one)})` : ''}  cores busy ${(ours.busy * 100).toFixed(0)}%  peak RSS ${ours.maxRssMiB.toFixed(0)} MiB`,
    );
  }
  console.log(
    `${c.label.padEnd(20)} best rounds: provenant ${mb(best(oursRates))}, openssl dgst ${mb(best(baseRates))}${c.ceiling ? `, ceiling ${mb(best(ceilRates))}` : ''};` +
      ` median of per-round ratios ${median(vsDgst).toFixed(2)}x${c.ceiling ? `, ${(median(vsCeil) * 100).toFixed(0)}% of the ceiling` : ''}`,
  );
  if (c.ceiling) {
    // A run that kept every core busy at exactly openssl dgst's cost per byte
    // would measure cores x scaling against dgst: the bound for the ratio
    // unless the hashing itself costs less per byte than OpenSSL's.
    const scaling = best(ceilRates) / (cores * best(oneRates));
    console.log(
      `${c.label.padEnd(20)} OpenSSL's SHA-256 on ${cores} cores: ${(scaling * 100).toFixed(1)}% of ${cores} x one core` +
        ` (best ${mb(best(ceilRates))} vs ${mb(best(oneRates))}); every core busy at dgst's cost per byte would measure ${(cores * scaling).toFixed(2)}x`,
    );
  }
  check(`${c.label}: vs openssl dgst`, best(oursRates) / best(baseRates), c.dgst);
  if (c.ceiling) check(`${c.label}: of ${cores}-core ceiling`, best(oursRates) / best(ceilRates), c.ceiling, (v) => `${(v * 100).toFixed(0)}%`);
  if (c.rss) rows.push({ name: `${c.label}: peak RSS`, value: `${rss.toFixed(0)} MiB`, target: `< ${c.rss} MiB`, ok: rss < c.rss });
}

console.log('\ntarget (best round against best round)      measured   target   result');
for (const r of rows) console.log(`${r.name.padEnd(42)} ${r.value.padStart(9)} ${r.target.padStart(9)}   ${r.ok ? 'PASS' : 'FAIL'}`);
if (quick) console.log('(quick sizes: the targets are stated for the full sizes)');
process.exitCode = rows.every((r) => r.ok) ? 0 : 1;

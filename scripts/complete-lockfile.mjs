// The npm registry mirror on our build machines only holds the platform
// packages someone installed, so `npm install` leaves other platforms'
// optional binaries (e.g. @rollup/rollup-darwin-arm64) out of
// package-lock.json, and `npm ci` then refuses the lock ("Missing: ... from
// lock file"). This adds a lock entry for each missing optional platform
// package, with the os/cpu/libc its name encodes, so `npm ci` skips it on
// other platforms as it should. Run after `npm install`:
//   node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'openharmony', 'sunos', 'win32', 'aix', 'netbsd'];
const CPU = { 'arm-eabi': 'arm', arm: 'arm', arm64: 'arm64', x64: 'x64', ia32: 'ia32', loong64: 'loong64', ppc64: 'ppc64', riscv64: 'riscv64', s390x: 's390x' };
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = `node_modules/${dep}`;
    if (lock.packages[at]) continue;
    const m = /-(android|darwin|freebsd|linux|openbsd|openharmony|sunos|win32|aix|netbsd)-([a-z0-9]+)(?:-(.*))?$/.exec(dep);
    if (!m || !OS.includes(m[1]) || !CPU[m[2]]) {
      console.error(`cannot infer the platform of ${dep} (needed by ${key || 'the root'}); add it by hand`);
      process.exitCode = 1;
      continue;
    }
    const fresh = { version, cpu: [CPU[m[2]]] };
    if (entry.dev) fresh.dev = true;
    if (m[1] === 'linux') fresh.libc = [/musl/.test(m[3] ?? '') ? 'musl' : 'glibc'];
    fresh.optional = true;
    fresh.os = [m[1]];
    lock.packages[at] = fresh;
    added++;
  }
}
const sorted = {};
for (const k of Object.keys(lock.packages).sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0))) sorted[k] = lock.packages[k];
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} lock entries`);

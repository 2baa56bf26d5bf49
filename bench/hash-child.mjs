// Runs one hashing job in a fresh process so its peak RSS (workers included)
// is measured on its own. Prints one JSON line.
import { hashModel } from 'provenant';

const [dir, method] = process.argv.slice(2);
const cpu0 = process.cpuUsage();
const started = performance.now();
const manifest = await hashModel(dir, { method });
const seconds = (performance.now() - started) / 1000;
// CPU time of every thread, exited workers included: busy = cpu / (cores x wall).
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({ bytes: manifest.totalBytes, seconds, cpuSeconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
);

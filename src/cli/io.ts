import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../lib/errors.js';
import { readRegularFile } from '../lib/fs.js';
import { importPublicKey, importSigner, type PublicKey, type Signer } from '../envelope/keys.js';
import type { HashProgress } from '../digest/pool.js';

/** Streams a command writes to; injectable for tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** A command: parses its own arguments, returns an exit code. */
export interface Command {
  summary: string;
  usage: string;
  /** True when the command dispatches subcommands itself (it handles `--help` below it). */
  nested?: boolean;
  run(argv: string[], io: CliIo): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parse a command's arguments with node:util's parseArgs, turning its errors
 * into usage errors (exit 2).
 */
export function parseCommandArgs<T extends Options>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new InputError('ERR_USAGE', `${(err as Error).message}\n\nusage: ${usage}`, { cause: err });
  }
}

/** Print `--json` output. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Read a file for a command, mapping errors to stable codes. */
export async function readInput(path: string, what: string): Promise<Buffer> {
  return readRegularFile(path, `read the ${what}`);
}

/** Load a public key file (PEM or JWK). */
export async function loadPublicKey(path: string): Promise<PublicKey> {
  return importPublicKey(await readInput(path, 'public key'));
}

/** Load a private key file (PEM or JWK) as a signer. */
export async function loadSigner(path: string): Promise<Signer> {
  return importSigner(await readInput(path, 'private key'));
}

/** Require a flag value. */
export function required<T>(value: T | undefined, flag: string, usage: string): T {
  if (value === undefined) throw new InputError('ERR_USAGE', `missing ${flag}\n\nusage: ${usage}`);
  return value;
}

/** Parse a positive integer flag. */
export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1) {
    throw new InputError('ERR_USAGE', `${flag} expects a positive integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${n.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

/**
 * A progress bar on stderr when it is a TTY (bytes, rate, ETA); nothing on a
 * pipe. Returns the progress callback and a function that clears the line.
 */
export function progressBar(io: CliIo, label: string): { onProgress?: (p: HashProgress) => void; done: () => void } {
  if (!io.stderr.isTTY) return { done: () => undefined };
  const started = Date.now();
  let drawn = false;
  return {
    onProgress: ({ bytesDone, bytesTotal }) => {
      const secs = Math.max((Date.now() - started) / 1000, 0.001);
      const rate = bytesDone / secs;
      const frac = bytesTotal ? bytesDone / bytesTotal : 1;
      const eta = rate > 0 ? Math.ceil((bytesTotal - bytesDone) / rate) : 0;
      const width = 24;
      const filled = Math.round(frac * width);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
      io.stderr.write(
        `\r${label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(bytesDone)}/${formatBytes(bytesTotal)} ${formatBytes(rate)}/s ETA ${eta}s `,
      );
      drawn = true;
    },
    done: () => {
      if (drawn) io.stderr.write('\r\x1b[K');
    },
  };
}

/** An AbortSignal that fires on SIGINT/SIGTERM, so Ctrl-C stops workers cleanly. */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Dispatch `provenant NOUN VERB ...` to a subcommand, with --help. */
export async function runSubcommand(noun: string, subs: Record<string, Command>, argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const cmd = sub ? subs[sub] : undefined;
  if (!cmd) {
    const lines = Object.entries(subs).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
    if (sub === undefined || sub === '--help' || sub === '-h') {
      io.stdout.write(`usage: provenant ${noun} <${Object.keys(subs).join('|')}> ...\n${lines.join('\n')}\n`);
      return sub === undefined ? 2 : 0;
    }
    throw new InputError('ERR_USAGE', `unknown subcommand ${JSON.stringify(sub)}\nusage: provenant ${noun} <${Object.keys(subs).join('|')}> ...\n${lines.join('\n')}`);
  }
  if (!cmd.nested && (rest.includes('--help') || rest.includes('-h'))) {
    io.stdout.write(`usage: ${cmd.usage}\n\n${cmd.summary}\n`);
    return 0;
  }
  return cmd.run(rest, io);
}

/** Parse a non-negative integer flag. */
export function positiveIntOrZero(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InputError('ERR_USAGE', `${flag} expects a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Load each `--key` file as a signer (each one adds a signature). */
export async function loadSigners(paths: readonly string[]): Promise<Signer[]> {
  return Promise.all(paths.map((path) => loadSigner(path)));
}

/** The flags every command that writes a signed record to the store shares. */
export const recordFlags = {
  name: { type: 'string' },
  version: { type: 'string' },
  key: { type: 'string', short: 'k', multiple: true },
  license: { type: 'string' },
  store: { type: 'string' },
  json: { type: 'boolean' },
} as const;

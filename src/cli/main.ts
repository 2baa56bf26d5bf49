import { ProvenantError } from '../lib/errors.js';
import { hash } from './commands/hash.js';
import { keygen } from './commands/keygen.js';
import { model } from './commands/model.js';
import { inspect } from './commands/inspect.js';
import { store } from './commands/store.js';
import { dataset } from './commands/dataset.js';
import { gov, log } from './commands/gov.js';
import { output } from './commands/output.js';
import { verify } from './commands/verify.js';
import { c2pa } from './commands/c2pa.js';
import { cert } from './commands/cert.js';
import type { CliIo, Command } from './io.js';

const commands: Record<string, Command> = { keygen, hash, model, dataset, store, inspect, gov, log, output, verify, c2pa, cert };

function help(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: provenant <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nEvery command takes --help; --json prints a machine-readable result on stdout.\nExit codes: 0 ok/verified, 1 verification failed, 2 bad usage or unreadable input.\n`;
}

/**
 * Run the CLI with `argv` (without node and the script name).
 * @returns the exit code
 */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.stdout.write('provenant 0.1.0\n');
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    io.stderr.write(`provenant: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  if (!['model', 'store', 'dataset', 'gov', 'output', 'c2pa', 'cert'].includes(name) && (rest.includes('--help') || rest.includes('-h'))) {
    io.stdout.write(`usage: ${cmd.usage}\n\n${cmd.summary}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof ProvenantError) {
      io.stderr.write(`provenant: error ${err.code}: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`provenant: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`provenant: internal error: ${String(err)}\n`);
    process.exitCode = 2;
  },
);

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The CLI reference must show every command's usage exactly as `--help` prints it.
const repo = resolve(__dirname, '..');
const cli = join(repo, 'dist', 'cli.js');
const reference = readFileSync(join(repo, 'docs', 'reference', 'cli.md'), 'utf8');

const commands = [
  ['keygen'],
  ['hash'],
  ['model', 'sign'],
  ['model', 'verify'],
  ['model', 'attest'],
  ['dataset', 'attest'],
  ['store', 'ls'],
  ['store', 'show'],
  ['store', 'export'],
  ['store', 'import'],
  ['inspect'],
  ['gov', 'electorate', 'create'],
  ['gov', 'electorate', 'amend'],
  ['gov', 'cosign'],
  ['gov', 'propose'],
  ['gov', 'vote'],
  ['gov', 'tally'],
  ['gov', 'show'],
  ['log'],
  ['verify'],
  ['output', 'sign'],
  ['cert', 'dev'],
  ['c2pa', 'sign'],
  ['c2pa', 'read'],
];

describe('docs/reference/cli.md', () => {
  for (const command of commands) {
    it(`documents \`provenant ${command.join(' ')}\` with its --help usage`, () => {
      const help = execFileSync(process.execPath, [cli, ...command, '--help'], { encoding: 'utf8' });
      const usage = help.split('\n')[0]!.replace(/^usage: /, '');
      expect(usage.startsWith(`provenant ${command.join(' ')}`)).toBe(true);
      expect(reference).toContain(usage);
    });
  }

  it('lists every error code the library declares', () => {
    const errorsSource = readFileSync(join(repo, 'src', 'lib', 'errors.ts'), 'utf8');
    const errorsDoc = readFileSync(join(repo, 'docs', 'reference', 'errors.md'), 'utf8');
    const codes = [...errorsSource.matchAll(/'(ERR_[A-Z_]+)'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(20);
    for (const code of new Set(codes)) expect(errorsDoc, code).toContain(`\`${code}\``);
  });
});

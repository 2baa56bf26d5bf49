/**
 * The `provenant` CLI for weights: keygen, hash, model sign|verify, run as a
 * child process (the built dist/cli.js) on pipes, plus in-process runs of the
 * command objects from src for behaviour the build may not have yet.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hash as hashCommand } from '../src/cli/commands/hash.js';
import { keygen as keygenCommand } from '../src/cli/commands/keygen.js';
import { model as modelCommand } from '../src/cli/commands/model.js';
import type { CliIo, Command } from '../src/cli/io.js';
import { ProvenantError } from '../src/lib/errors.js';
import { CLI, cleanupTemp, HAVE_DIST, HAVE_VECTORS, makeTemp, OMS, P384_PUB, runCli, type CliResult } from './helpers.js';

afterAll(cleanupTemp);

function sha256sum(path: string): string {
  return execFileSync('sha256sum', ['-b', path], { encoding: 'utf8' }).split(' ')[0]!;
}

/** Nothing that looks like success, and no progress bar, on a failed run. */
function expectNotVerified(r: CliResult): void {
  expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\bverified\b(?!"?: ?false)/i);
  expect(r.stderr).not.toContain('\r');
  expect(r.stderr).not.toMatch(/internal error/);
}

/** Run a command object in-process, mapping errors to exit codes as main() does. */
async function runCommand(cmd: Command, argv: string[], options: { tty?: boolean } = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (buf: string[]) =>
    new Writable({
      write(chunk, _enc, cb) {
        buf.push(String(chunk));
        cb();
      },
    });
  const stdout = sink(out) as CliIo['stdout'];
  const stderr = Object.assign(sink(err), { isTTY: options.tty ?? false, columns: 80 }) as CliIo['stderr'];
  let code: number;
  try {
    code = await cmd.run(argv, { stdout, stderr });
  } catch (e) {
    if (!(e instanceof ProvenantError)) throw e;
    err.push(`provenant: error ${e.code}: ${e.message}\n`);
    code = e.exitCode;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe.skipIf(!HAVE_DIST)('provenant CLI (dist/cli.js)', () => {
  let dir = '';
  let model = '';
  beforeAll(async () => {
    dir = await makeTemp('provenant-cli-');
    model = join(dir, 'model');
    await mkdir(join(model, 'sub'), { recursive: true });
    await writeFile(join(model, 'weights.bin'), Buffer.alloc(70_000, 3));
    await writeFile(join(model, 'sub/config.json'), '{"n":1}');
  });

  it('--help exits 0 for the program and each command; no command exits 2', async () => {
    for (const args of [['--help'], ['keygen', '--help'], ['hash', '--help'], ['model', 'sign', '--help'], ['model', 'verify', '--help']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/usage/);
    }
    expect((await runCli([])).code).toBe(2);
    expect((await runCli(['no-such-command'])).code).toBe(2);
  });

  it.each(['ed25519', 'p256', 'p384'] as const)('keygen --alg %s writes KEY (PKCS#8) and KEY.pub (SPKI)', async (alg) => {
    const key = join(dir, `key-${alg}`);
    const r = await runCli(['keygen', '--out', key, '--alg', alg]);
    expect(r.code, r.stderr).toBe(0);
    const priv = readFileSync(key, 'utf8');
    const pub = readFileSync(`${key}.pub`, 'utf8');
    expect(priv).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pub).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const k = createPrivateKey({ key: priv, format: 'pem', type: 'pkcs8' });
    const p = createPublicKey({ key: pub, format: 'pem', type: 'spki' });
    expect(k.asymmetricKeyType).toBe(alg === 'ed25519' ? 'ed25519' : 'ec');
    if (alg !== 'ed25519') expect(k.asymmetricKeyDetails?.namedCurve).toBe(alg === 'p256' ? 'prime256v1' : 'secp384r1');
    // KEY.pub is the public half of KEY.
    expect(createPublicKey(k).export({ type: 'spki', format: 'pem' })).toBe(p.export({ type: 'spki', format: 'pem' }));
    expect(statSync(key).mode & 0o077).toBe(0);
  });

  it('keygen never replaces an existing key without --force', async () => {
    const key = join(dir, 'kept');
    expect((await runCli(['keygen', '--out', key])).code).toBe(0);
    const before = await readFile(key, 'utf8');
    const again = await runCli(['keygen', '--out', key]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('ERR_USAGE');
    expect(await readFile(key, 'utf8')).toBe(before);
    expect((await runCli(['keygen', '--out', key, '--force'])).code).toBe(0);
    expect(await readFile(key, 'utf8')).not.toBe(before);
  });

  it('keygen with an unknown --alg or without --out exits 2', async () => {
    expect((await runCli(['keygen', '--out', join(dir, 'x'), '--alg', 'rsa'])).code).toBe(2);
    expect((await runCli(['keygen'])).code).toBe(2);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('model sign then model verify exit 0 (files and shards)', async () => {
    // Its own copy of the model, so the shared one never holds a model.sig.
    const model = join(dir, 'model-sv');
    await mkdir(join(model, 'sub'), { recursive: true });
    await writeFile(join(model, 'weights.bin'), Buffer.alloc(70_000, 3));
    await writeFile(join(model, 'sub/config.json'), '{"n":1}');
    const key = join(dir, 'sv');
    expect((await runCli(['keygen', '--out', key, '--alg', 'p256'])).code).toBe(0);
    const signed = await runCli(['model', 'sign', model, '--key', key]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout.trim()).toBe(join(model, 'model.sig'));
    const verified = await runCli(['model', 'verify', model, '--key', `${key}.pub`]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stderr).toMatch(/verified/);

    const sig = join(dir, 'shards.sig');
    // A signature written elsewhere does not ignore MODEL/model.sig (as in OMS): ignore it explicitly.
    const s2 = await runCli([
      'model', 'sign', model, '--key', key, '--method', 'shards', '--shard-size', '30000', '--signature', sig, '--ignore', join(model, 'model.sig'),
    ]);
    expect(s2.code, s2.stderr).toBe(0);
    const v2 = await runCli(['model', 'verify', model, '--key', `${key}.pub`, '--signature', sig, '--ignore', join(model, 'model.sig'), '--json']);
    expect(v2.code, v2.stderr).toBe(0);
    const json = JSON.parse(v2.stdout);
    expect(json).toMatchObject({ verified: true, method: 'shards', resources: 4 });
  });

  it('hash of a signed model prints the root digest its signature records (model.sig is not hashed)', async () => {
    const model = join(dir, 'model-root');
    await mkdir(model, { recursive: true });
    await writeFile(join(model, 'weights.bin'), Buffer.alloc(5000, 9));
    const key = join(dir, 'root-key');
    expect((await runCli(['keygen', '--out', key])).code).toBe(0);
    expect((await runCli(['model', 'sign', model, '--key', key])).code).toBe(0);
    const bundle = JSON.parse(await readFile(join(model, 'model.sig'), 'utf8'));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    const hashed = JSON.parse((await runCli(['hash', model, '--json'])).stdout);
    expect(hashed.resources.map((r: { name: string }) => r.name)).toEqual(['weights.bin']);
    expect(hashed.rootDigest).toBe(statement.subject[0].digest.sha256);
  });

  it('hash --json prints {method, hashType, resources:[{name, algorithm, digest}], rootDigest}', async () => {
    const r = await runCli(['hash', model, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json).sort()).toEqual(['hashType', 'method', 'resources', 'rootDigest']);
    expect(json.method).toBe('files');
    expect(json.hashType).toBe('sha256');
    // OMS order: by path component, so sub/config.json before weights.bin.
    expect(json.resources).toEqual([
      { name: 'sub/config.json', algorithm: 'sha256', digest: sha256sum(join(model, 'sub/config.json')) },
      { name: 'weights.bin', algorithm: 'sha256', digest: sha256sum(join(model, 'weights.bin')) },
    ]);
    expect(json.rootDigest).toMatch(/^[0-9a-f]{64}$/);

    const shards = JSON.parse((await runCli(['hash', join(model, 'weights.bin'), '--method', 'shards', '--shard-size', '65536', '--json'])).stdout);
    expect(shards.method).toBe('shards');
    expect(shards.resources.map((x: { name: string }) => x.name)).toEqual(['.:0:65536', '.:65536:70000']);
    expect(shards.resources[0].algorithm).toBe('sha256-sharded-65536');
  });

  it.skipIf(!HAVE_VECTORS)('model verify accepts the reference v1.1.0-elliptic-key signature', async () => {
    const r = await runCli(['model', 'verify', join(OMS, 'v1.1.0-elliptic-key'), '--key', P384_PUB]);
    expect(r.code, r.stderr).toBe(0);
    const single = await runCli([
      'model', 'verify', join(OMS, 'v1.0.0-elliptic-key/signme-1'),
      '--key', P384_PUB, '--signature', join(OMS, 'v1.0.0-elliptic-key/model.sig'),
    ]);
    expect(single.code, single.stderr).toBe(0);
  });

  describe('bad input: documented exit codes, never "verified"', () => {
    let key = '';
    let sig = '';
    let rsaKey = '';
    let rsaPub = '';
    beforeAll(async () => {
      key = join(dir, 'bad');
      expect((await runCli(['keygen', '--out', key])).code).toBe(0);
      sig = join(dir, 'bad.sig');
      expect((await runCli(['model', 'sign', model, '--key', key, '--signature', sig])).code).toBe(0);
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      rsaKey = join(dir, 'rsa.pem');
      rsaPub = join(dir, 'rsa.pub');
      await writeFile(rsaKey, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      await writeFile(rsaPub, rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    });

    const verifyArgs = (extra: string[]) => ['model', 'verify', model, '--key', `${key}.pub`, '--signature', sig, ...extra];

    it('the good case verifies (so the failures below are about their one change)', async () => {
      const r = await runCli(verifyArgs([]));
      expect(r.code, r.stderr).toBe(0);
    });

    it('missing path: exit 2 (ERR_NOT_FOUND)', async () => {
      for (const args of [
        ['hash', join(dir, 'absent')],
        ['model', 'sign', join(dir, 'absent'), '--key', key],
        ['model', 'verify', join(dir, 'absent'), '--key', `${key}.pub`, '--signature', sig],
        ['model', 'verify', model, '--key', `${key}.pub`, '--signature', join(dir, 'absent.sig')],
        ['model', 'sign', model, '--key', join(dir, 'absent.pem'), '--signature', join(dir, 'never.sig')],
      ]) {
        const r = await runCli(args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toContain('ERR_NOT_FOUND');
        expectNotVerified(r);
      }
    });

    // As root, permissions do not stop a read; /proc/self/mem fails with EIO instead.
    const isRoot = process.getuid?.() === 0;
    it.skipIf(isRoot && !existsSync('/proc/self/mem'))('unreadable file: exit 2 (ERR_UNREADABLE)', async () => {
      let locked = '/proc/self/mem';
      if (!isRoot) {
        locked = join(dir, 'locked.pub');
        await writeFile(locked, readFileSync(`${key}.pub`), { mode: 0o000 });
      }
      for (const args of [verifyArgs([]).map((a) => (a === `${key}.pub` ? locked : a)), verifyArgs([]).map((a) => (a === sig ? locked : a))]) {
        const r = await runCli(args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toContain('ERR_UNREADABLE');
        expectNotVerified(r);
      }
    });

    it('directory given where a file is expected: exit 2 (ERR_NOT_A_FILE)', async () => {
      for (const args of [verifyArgs([]).map((a) => (a === sig ? join(model, 'sub') : a)), ['model', 'sign', model, '--key', dir, '--signature', join(dir, 'never.sig')]]) {
        const r = await runCli(args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toContain('ERR_NOT_A_FILE');
        expectNotVerified(r);
      }
    });

    it('malformed or truncated signature file: exit 2 (ERR_MALFORMED)', async () => {
      const whole = await readFile(sig);
      for (const [name, bytes] of [
        ['truncated.sig', whole.subarray(0, whole.length >> 1)],
        ['empty.sig', Buffer.alloc(0)],
        ['garbage.sig', Buffer.from('\u0000\u0001not json')],
      ] as const) {
        const path = join(dir, name);
        await writeFile(path, bytes);
        const r = await runCli(verifyArgs([]).map((a) => (a === sig ? path : a)));
        expect(r.code, name).toBe(2);
        expect(r.stderr).toContain('ERR_MALFORMED');
        expectNotVerified(r);
      }
    });

    it('key of an unsupported type (RSA): exit 2 (ERR_KEY_UNSUPPORTED) for sign and verify', async () => {
      const s = await runCli(['model', 'sign', model, '--key', rsaKey, '--signature', join(dir, 'never.sig')]);
      expect(s.code).toBe(2);
      expect(s.stderr).toContain('ERR_KEY_UNSUPPORTED');
      expect(existsSync(join(dir, 'never.sig'))).toBe(false);
      const v = await runCli(verifyArgs([]).map((a) => (a === `${key}.pub` ? rsaPub : a)));
      expect(v.code).toBe(2);
      expect(v.stderr).toContain('ERR_KEY_UNSUPPORTED');
      expectNotVerified(v);
      // Not a key at all.
      const junk = await runCli(verifyArgs([]).map((a) => (a === `${key}.pub` ? join(model, 'sub/config.json') : a)));
      expect(junk.code).toBe(2);
      expect(junk.stderr).toContain('ERR_KEY_INVALID');
    });

    it('wrong key: exit 1', async () => {
      const other = join(dir, 'other');
      expect((await runCli(['keygen', '--out', other])).code).toBe(0);
      const r = await runCli(verifyArgs([]).map((a) => (a === `${key}.pub` ? `${other}.pub` : a)));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('ERR_KEY_MISMATCH');
      expectNotVerified(r);
    });

    it('bundle with an unknown media type: exit 1', async () => {
      const b = JSON.parse(await readFile(sig, 'utf8'));
      b.mediaType = 'application/vnd.dev.sigstore.bundle.v9+json';
      const path = join(dir, 'media.sig');
      await writeFile(path, JSON.stringify(b));
      const r = await runCli(verifyArgs([]).map((a) => (a === sig ? path : a)));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('ERR_UNKNOWN_MEDIA_TYPE');
      expectNotVerified(r);
    });

    it('tampered payload: exit 1', async () => {
      const b = JSON.parse(await readFile(sig, 'utf8'));
      const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString());
      st.predicate.resources[0].digest = '00'.repeat(32);
      b.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
      const path = join(dir, 'tampered.sig');
      await writeFile(path, JSON.stringify(b));
      const r = await runCli(verifyArgs([]).map((a) => (a === sig ? path : a)));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('ERR_SIGNATURE_INVALID');
      expectNotVerified(r);
    });

    it('signature over a different model: exit 1, naming the files; --json says verified:false', async () => {
      const other = join(dir, 'other-model');
      await mkdir(join(other, 'sub'), { recursive: true });
      await writeFile(join(other, 'weights.bin'), Buffer.alloc(70_000, 4));
      await writeFile(join(other, 'sub/config.json'), '{"n":1}');
      await writeFile(join(other, 'extra.txt'), 'extra');
      const args = ['model', 'verify', other, '--key', `${key}.pub`, '--signature', sig];
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('ERR_MODEL_MISMATCH');
      expect(r.stderr).toContain('different: weights.bin');
      expect(r.stderr).toContain('extra: extra.txt');
      expectNotVerified(r);
      const j = await runCli([...args, '--json']);
      expect(j.code).toBe(1);
      const json = JSON.parse(j.stdout);
      expect(json).toEqual({
        verified: false,
        code: 'ERR_MODEL_MISMATCH',
        message: expect.any(String),
        details: ['extra: extra.txt', 'different: weights.bin'],
      });
    });

    it('bad usage: unknown flag, bad --method, bad --shard-size: exit 2', async () => {
      for (const args of [
        ['hash', model, '--bogus'],
        ['hash', model, '--method', 'tree'],
        ['hash', model, '--method', 'shards', '--shard-size', '0'],
        ['hash', model, '--method', 'shards', '--shard-size', '1e3'],
        ['model', 'sign', model],
        ['model', 'verify', model],
        ['model', 'frobnicate'],
      ]) {
        const r = await runCli(args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toContain('ERR_USAGE');
      }
    });
  });

  describe('progress bar: on a TTY only', () => {
    let big = '';
    beforeAll(async () => {
      const d = await makeTemp();
      big = join(d, 'big.bin');
      await writeFile(big, '');
      await truncate(big, 200 * 1024 * 1024);
    });

    it('nothing but the result on a pipe', async () => {
      const r = await runCli(['hash', big]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).not.toContain('\r');
      expect(r.stdout.trim().split('\n')).toHaveLength(2);
    });

    const haveScript = spawnSync('script', ['--version']).status === 0;
    it.skipIf(!haveScript)('a bar with bytes, rate and ETA on a pseudo-terminal', () => {
      const out = execFileSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} hash ${JSON.stringify(big)}`, '/dev/null'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(out).toContain('\r');
      expect(out).toMatch(/MiB\/s ETA \d+s/);
    });
  });
});

describe('CLI commands in-process (src)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await makeTemp('provenant-cli-src-');
    await mkdir(join(dir, 'm'));
    await writeFile(join(dir, 'm/w.bin'), 'weights');
    expect((await runCommand(keygenCommand, ['--out', join(dir, 'k'), '--alg', 'p384'])).code).toBe(0);
  });

  it('model --help and model -h exit 0 (regression: they exited 2)', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await runCommand(modelCommand, [flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/usage: provenant model/);
    }
    expect((await runCommand(modelCommand, [])).code).toBe(2);
  });

  it('sign and verify round trip; no progress output when stderr is not a TTY', async () => {
    const s = await runCommand(modelCommand, ['sign', join(dir, 'm'), '--key', join(dir, 'k')]);
    expect(s.code, s.stderr).toBe(0);
    const v = await runCommand(modelCommand, ['verify', join(dir, 'm'), '--key', join(dir, 'k.pub')]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).not.toContain('\r');
    // `hash` does not skip a signature file; name it to leave it out.
    const h = await runCommand(hashCommand, [join(dir, 'm'), '--ignore', join(dir, 'm/model.sig'), '--json']);
    expect(JSON.parse(h.stdout).resources.map((r: { name: string }) => r.name)).toEqual(['w.bin']);
  });

  it('a FIFO or device as key or signature is refused at once (regression: it hung)', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const cases: [Command, string[]][] = [
      [modelCommand, ['verify', join(dir, 'm'), '--key', join(dir, 'k.pub'), '--signature', fifo]],
      [modelCommand, ['verify', join(dir, 'm'), '--key', fifo]],
      [modelCommand, ['sign', join(dir, 'm'), '--key', fifo, '--signature', join(dir, 'never.sig')]],
      [modelCommand, ['verify', join(dir, 'm'), '--key', join(dir, 'k.pub'), '--signature', '/dev/zero']],
    ];
    for (const [cmd, argv] of cases) {
      const r = await runCommand(cmd, argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toContain('ERR_NOT_A_FILE');
    }
  });
});

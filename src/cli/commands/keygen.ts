import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsError, InputError } from '../../lib/errors.js';
import { writeFileAtomic } from '../../lib/fs.js';
import { generateKeyPair, importPublicKey, KEYGEN_ALGORITHMS, type KeyAlgorithm } from '../../envelope/keys.js';
import { parseCommandArgs, printJson, required, type Command } from '../io.js';

const usage = 'provenant keygen --out KEY [--alg ed25519|p256|p384] [--force] [--json]';

export const keygen: Command = {
  summary: 'generate a key pair (KEY: PKCS#8 PEM, KEY.pub: SPKI PEM)',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { out: { type: 'string', short: 'o' }, alg: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } }, usage);
    const out = required(values.out, '--out KEY', usage);
    const alg = (values.alg ?? 'ed25519') as KeyAlgorithm;
    if (!(KEYGEN_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new InputError('ERR_USAGE', `--alg must be one of ${KEYGEN_ALGORITHMS.join(', ')}, got ${JSON.stringify(alg)}`);
    }
    // Never replace a key silently: losing a private key cannot be undone.
    for (const path of [out, `${out}.pub`]) {
      if (!values.force && existsSync(path)) {
        throw new InputError('ERR_USAGE', `${path} already exists; choose another --out or pass --force to replace it`);
      }
    }
    const pair = generateKeyPair(alg);
    // Like `ssh-keygen -f keys/alice`, but the folder is made when missing.
    await mkdir(dirname(out), { recursive: true }).catch((err: unknown) => {
      throw fsError(err, dirname(out), 'create the key directory');
    });
    await writeFileAtomic(out, pair.privateKeyPem, 0o600);
    await writeFileAtomic(`${out}.pub`, pair.publicKeyPem);
    const { keyId } = await importPublicKey(pair.publicKeyPem);
    if (values.json) printJson(io, { privateKey: out, publicKey: `${out}.pub`, algorithm: alg, keyId });
    else {
      io.stdout.write(`${keyId}\n`);
      io.stderr.write(`wrote ${out} (private, ${alg}) and ${out}.pub\n`);
    }
    return 0;
  },
};

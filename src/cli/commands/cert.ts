import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fsError, InputError } from '../../lib/errors.js';
import { writeFileAtomic } from '../../lib/fs.js';
import { parseCommandArgs, positiveInt, printJson, required, runSubcommand, type Command } from '../io.js';

const devUsage = 'provenant cert dev --out DIR [--alg es256|es384|ed25519] [--days N] [--name CN] [--org O] [--force] [--json]';

const dev: Command = {
  summary: 'make a development CA and a C2PA signing certificate (NOT for production): DIR/ca.pem, DIR/chain.pem, DIR/key.pem',
  usage: devUsage,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      {
        out: { type: 'string', short: 'o' },
        alg: { type: 'string' },
        days: { type: 'string' },
        name: { type: 'string' },
        org: { type: 'string' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      devUsage,
    );
    const out = required(values.out, '--out DIR', devUsage);
    // The binding (and with it the C2PA engine) loads only for c2pa and cert commands.
    const c2pa = await import('../../../bindings/c2pa/index.js');
    const alg = values.alg ?? 'es256';
    if (!(c2pa.CERTIFICATE_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new InputError('ERR_USAGE', `--alg must be one of ${c2pa.CERTIFICATE_ALGORITHMS.join(', ')}, got ${JSON.stringify(alg)}`);
    }
    const days = positiveInt(values.days, '--days');
    if (days !== undefined && days > 36500) throw new InputError('ERR_USAGE', `--days must be at most 36500, got ${days}`);
    const paths = { ca: join(out, 'ca.pem'), chain: join(out, 'chain.pem'), key: join(out, 'key.pem') };
    for (const path of Object.values(paths)) {
      if (!values.force && existsSync(path)) throw new InputError('ERR_USAGE', `${path} already exists; choose another --out or pass --force to replace it`);
    }
    const made = c2pa.createDevCertificates({
      algorithm: alg as (typeof c2pa.CERTIFICATE_ALGORITHMS)[number],
      ...(days !== undefined ? { validDays: days } : {}),
      ...(values.name !== undefined ? { commonName: values.name } : {}),
      ...(values.org !== undefined ? { organization: values.org } : {}),
    });
    await mkdir(out, { recursive: true }).catch((err: unknown) => {
      throw fsError(err, out, 'create the certificate directory');
    });
    await writeFileAtomic(paths.key, made.keyPem, 0o600);
    await writeFileAtomic(paths.chain, made.chainPem);
    await writeFileAtomic(paths.ca, made.caPem);
    const [leaf] = c2pa.parseCertificates(made.chainPem);
    const fingerprint = leaf!.fingerprint256.replace(/:/g, '').toLowerCase();
    if (values.json) {
      printJson(io, { ca: paths.ca, chain: paths.chain, key: paths.key, algorithm: alg, notBefore: made.notBefore.toISOString(), notAfter: made.notAfter.toISOString(), fingerprint });
    } else {
      io.stdout.write(`${fingerprint}\n`);
      io.stderr.write(
        `wrote ${paths.ca} (development root: give it to readers with --trust), ${paths.chain} (signing certificate) and ${paths.key} (its private key, ${alg})\n` +
          `valid until ${made.notAfter.toISOString()}. NOT FOR PRODUCTION: readers trust these only when told to.\n`,
      );
    }
    return 0;
  },
};

export const cert: Command = {
  summary: 'certificates for C2PA signing (cert dev)',
  usage: 'provenant cert <dev> ...',
  run: (argv, io) => runSubcommand('cert', { dev }, argv, io),
};

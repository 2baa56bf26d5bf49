import { resolve } from 'node:path';
import { toHex } from '../../lib/bytes.js';
import { attestDataset } from '../../records/dataset.js';
import { openWritableStore } from './store.js';
import { checkKeylessFlags, ephemeralSigner, keylessFlags, storeKeyless } from './keyless.js';
import {
  interruptSignal,
  loadSigners,
  parseCommandArgs,
  positiveIntOrZero,
  printJson,
  progressBar,
  recordFlags,
  required,
  runSubcommand,
  type CliIo,
  type Command,
} from '../io.js';

const attestUsage =
  'provenant dataset attest PATH --name N --version V (--key KEY [--key KEY...] | --sigstore [--oidc-token TOKEN|FILE] [--fulcio-url URL] [--rekor-url URL] [--rekor-entry-type dsse|intoto] [--tsa-url URL]) [--license L] [--source URI] [--record-count N] [--ignore PATH...] [--store DIR] [--json]';

const attest: Command = {
  summary: 'hash a dataset and write a signed dataset record to the store',
  usage: attestUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        ...recordFlags,
        source: { type: 'string' },
        'record-count': { type: 'string' },
        ignore: { type: 'string', multiple: true },
        ...keylessFlags,
      },
      attestUsage,
    );
    const path = required(positionals[0], 'PATH', attestUsage);
    const name = required(values.name, '--name N', attestUsage);
    const version = required(values.version, '--version V', attestUsage);
    checkKeylessFlags(values, attestUsage);
    // Keyless: the record is built with a throwaway key whose signature is dropped for the Sigstore one.
    const signers = values.sigstore ? [await ephemeralSigner()] : await loadSigners(required(values.key, '--key KEY (or --sigstore)', attestUsage));
    const recordCount = positiveIntOrZero(values['record-count'], '--record-count');
    const store = await openWritableStore(values.store);
    const progress = progressBar(io, 'hashing');
    const interrupt = interruptSignal();
    try {
      const record = await attestDataset(path, {
        name,
        version,
        signers,
        ...(values.license !== undefined ? { license: values.license } : {}),
        ...(values.source !== undefined ? { source: values.source } : {}),
        ...(recordCount !== undefined ? { recordCount } : {}),
        ignorePaths: (values.ignore ?? []).map((p) => resolve(p)),
        signal: interrupt.signal,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
      progress.done();
      const keyless = values.sigstore ? await storeKeyless(record, values, store) : undefined;
      const id = keyless ? keyless.id : await store.put(record.envelopeBytes);
      if (values.json) {
        printJson(io, {
          id: id.toString(),
          kind: 'dataset',
          name,
          version,
          files: record.manifest.resources.length,
          rootDigest: toHex(record.manifest.rootDigest),
          store: store.location,
          ...(keyless?.identity ? { identity: keyless.identity } : {}),
        });
      } else {
        io.stdout.write(`${id.toString()}\n`);
        io.stderr.write(`dataset ${name}@${version}: ${record.manifest.resources.length} files, stored in ${store.location}\n`);
      }
      return 0;
    } finally {
      progress.done();
      interrupt.dispose();
    }
  },
};

export const dataset: Command = {
  summary: 'attest datasets (signed dataset records)',
  usage: 'provenant dataset attest ...',
  async run(argv, io: CliIo) {
    return runSubcommand('dataset', { attest }, argv, io);
  },
};

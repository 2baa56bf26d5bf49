import { resolve } from 'node:path';
import { toHex } from '../../lib/bytes.js';
import { VerificationError } from '../../lib/errors.js';
import { attest } from './model-attest.js';
import { signModel } from '../../records/oms/sign-model.js';
import { verifyModel } from '../../records/oms/verify-model.js';
import { methodOf } from './hash.js';
import {
  interruptSignal,
  loadPublicKey,
  loadSigner,
  parseCommandArgs,
  positiveInt,
  printJson,
  progressBar,
  required,
  runSubcommand,
  type CliIo,
  type Command,
} from '../io.js';

const signUsage =
  'provenant model sign MODEL_PATH --key KEY [--signature FILE] [--method files|shards] [--shard-size N] [--ignore PATH...] [--allow-symlinks] [--json]';
const verifyUsage = 'provenant model verify MODEL_PATH --key KEY.pub [--signature FILE] [--ignore PATH...] [--ignore-unsigned-files] [--json]';

const sign: Command = {
  summary: 'sign a model in the OpenSSF model signing (OMS) v1.0 format',
  usage: signUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        key: { type: 'string', short: 'k' },
        signature: { type: 'string' },
        method: { type: 'string' },
        'shard-size': { type: 'string' },
        ignore: { type: 'string', multiple: true },
        'allow-symlinks': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      signUsage,
    );
    const modelPath = required(positionals[0], 'MODEL_PATH', signUsage);
    const signer = await loadSigner(required(values.key, '--key KEY', signUsage));
    const shardSize = positiveInt(values['shard-size'], '--shard-size');
    const progress = progressBar(io, 'hashing');
    const interrupt = interruptSignal();
    try {
      const signed = await signModel(modelPath, {
        signer,
        method: methodOf(values.method),
        ...(shardSize ? { shardSize } : {}),
        ignorePaths: (values.ignore ?? []).map((p) => resolve(p)),
        allowSymlinks: values['allow-symlinks'] ?? false,
        ...(values.signature ? { signaturePath: values.signature } : {}),
        signal: interrupt.signal,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
      progress.done();
      const root = toHex(signed.manifest.rootDigest);
      if (values.json) {
        printJson(io, {
          signature: signed.signaturePath,
          model: signed.manifest.modelName,
          method: signed.manifest.method,
          rootDigest: root,
          resources: signed.manifest.resources.length,
          keyId: signer.publicKey.keyId,
        });
      } else {
        io.stdout.write(`${signed.signaturePath}\n`);
        io.stderr.write(`signed ${signed.manifest.modelName} (${signed.manifest.resources.length} resources, root sha256:${root})\n`);
      }
      return 0;
    } finally {
      progress.done();
      interrupt.dispose();
    }
  },
};

const verify: Command = {
  summary: 'verify an OMS model signature made with a public key',
  usage: verifyUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        key: { type: 'string', short: 'k' },
        signature: { type: 'string' },
        ignore: { type: 'string', multiple: true },
        'ignore-unsigned-files': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      verifyUsage,
    );
    const modelPath = required(positionals[0], 'MODEL_PATH', verifyUsage);
    const key = await loadPublicKey(required(values.key, '--key KEY.pub', verifyUsage));
    const progress = progressBar(io, 'verifying');
    const interrupt = interruptSignal();
    try {
      const result = await verifyModel(modelPath, {
        key,
        ...(values.signature ? { signature: values.signature } : {}),
        ignorePaths: (values.ignore ?? []).map((p) => resolve(p)),
        ignoreUnsignedFiles: values['ignore-unsigned-files'] ?? false,
        signal: interrupt.signal,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
      progress.done();
      if (values.json) {
        printJson(io, {
          verified: true,
          model: result.statement.modelName,
          method: result.statement.method,
          rootDigest: toHex(result.statement.rootDigest),
          resources: result.statement.resources.length,
          keyId: result.keyId,
        });
      } else {
        io.stderr.write(`verified: ${result.statement.modelName} (${result.statement.resources.length} resources, signed by ${result.keyId})\n`);
      }
      return 0;
    } catch (err) {
      progress.done();
      if (values.json && err instanceof VerificationError) {
        printJson(io, { verified: false, code: err.code, message: err.message, details: err.details });
      }
      throw err;
    } finally {
      interrupt.dispose();
    }
  },
};

const subcommands: Record<string, Command> = { sign, verify, attest };

export const model: Command = {
  summary: 'sign, verify and attest model weights (OMS signatures, model records)',
  usage: 'provenant model sign|verify|attest ...',
  async run(argv, io: CliIo) {
    return runSubcommand('model', subcommands, argv, io);
  },
};

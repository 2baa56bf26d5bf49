import { resolve } from 'node:path';
import { defaultSignaturePath } from '../../records/oms/sign-model.js';
import { hashModel, manifestToJson, type SerializationMethod } from '../../digest/model.js';
import { toHex } from '../../lib/bytes.js';
import { InputError } from '../../lib/errors.js';
import { interruptSignal, parseCommandArgs, positiveInt, printJson, progressBar, required, type Command } from '../io.js';

const usage =
  'provenant hash MODEL_PATH [--method files|shards] [--shard-size N] [--ignore PATH...] [--signature FILE] [--allow-symlinks] [--json]';

/** Parse `--method`. */
export function methodOf(value: string | undefined): SerializationMethod {
  const method = value ?? 'files';
  if (method !== 'files' && method !== 'shards') {
    throw new InputError('ERR_USAGE', `--method must be files or shards, got ${JSON.stringify(method)}`);
  }
  return method;
}

export const hash: Command = {
  summary: 'hash a model as OMS serializes it and print its resources and root digest',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        method: { type: 'string' },
        'shard-size': { type: 'string' },
        ignore: { type: 'string', multiple: true },
        signature: { type: 'string' },
        'allow-symlinks': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      usage,
    );
    const modelPath = required(positionals[0], 'MODEL_PATH', usage);
    const shardSize = positiveInt(values['shard-size'], '--shard-size');
    const progress = progressBar(io, 'hashing');
    const interrupt = interruptSignal();
    try {
      const manifest = await hashModel(modelPath, {
        method: methodOf(values.method),
        ...(shardSize ? { shardSize } : {}),
        // The signature file is never part of the model, as in `model sign`,
        // so the root digest printed here is the one a signature records.
        ignorePaths: [...(values.ignore ?? []).map((p) => resolve(p)), resolve(values.signature ?? (await defaultSignaturePath(modelPath)))],
        allowSymlinks: values['allow-symlinks'] ?? false,
        signal: interrupt.signal,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
      progress.done();
      if (values.json) printJson(io, manifestToJson(manifest));
      else {
        for (const r of manifest.resources) io.stdout.write(`${toHex(r.digest)}  ${r.name}\n`);
        io.stdout.write(`${toHex(manifest.rootDigest)}  (root, ${manifest.method}, ${manifest.resources.length} resources)\n`);
      }
      return 0;
    } finally {
      progress.done();
      interrupt.dispose();
    }
  },
};

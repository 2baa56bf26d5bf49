import { resolve } from 'node:path';
import { toHex } from '../../lib/bytes.js';
import { InputError, VerificationError } from '../../lib/errors.js';
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
  readInput,
  required,
  runSubcommand,
  type CliIo,
  type Command,
} from '../io.js';
import { checkKeylessFlags, keylessFlags } from './keyless.js';

const signUsage =
  'provenant model sign MODEL_PATH (--key KEY | --sigstore [--oidc-token TOKEN|FILE] [--fulcio-url URL] [--rekor-url URL] [--rekor-entry-type dsse|intoto] [--tsa-url URL]) [--signature FILE] [--method files|shards] [--shard-size N] [--ignore PATH...] [--allow-symlinks] [--json]';
const verifyUsage =
  'provenant model verify MODEL_PATH (--key KEY.pub | --sigstore (--identity SAN | --identity-regexp RE) --issuer URL [--trusted-root FILE]) [--signature FILE] [--ignore PATH...] [--ignore-unsigned-files] [--json]';

/** The Sigstore binding, loaded only when a `--sigstore` flag asks for it (the core never imports a binding statically). */
async function loadSigstore() {
  return import('../../../bindings/sigstore/index.js');
}

/** Flags that only mean something with `--sigstore`. */
function refuseWithoutSigstore(values: Record<string, unknown>, flags: readonly string[], usage: string): void {
  const stray = flags.filter((f) => values[f] !== undefined);
  if (stray.length) throw new InputError('ERR_USAGE', `${stray.map((f) => `--${f}`).join(', ')} needs --sigstore\n\nusage: ${usage}`);
}

/** `--oidc-token` takes the token itself or a file holding it (safer: not in the process list). */
async function readOidcToken(value: string): Promise<string> {
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value.trim())) return value.trim();
  return new TextDecoder().decode(await readInput(value, 'OIDC token file')).trim();
}

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
        ...keylessFlags,
      },
      signUsage,
    );
    const modelPath = required(positionals[0], 'MODEL_PATH', signUsage);
    checkKeylessFlags({ ...values, key: values.key === undefined ? undefined : [values.key] }, signUsage);
    const signer = values.sigstore ? undefined : await loadSigner(required(values.key, '--key KEY (or --sigstore)', signUsage));
    const identityToken = values['oidc-token'] !== undefined ? await readOidcToken(values['oidc-token']) : undefined;
    const shardSize = positiveInt(values['shard-size'], '--shard-size');
    const progress = progressBar(io, 'hashing');
    const interrupt = interruptSignal();
    try {
      const hashing = {
        method: methodOf(values.method),
        ...(shardSize ? { shardSize } : {}),
        ignorePaths: (values.ignore ?? []).map((p) => resolve(p)),
        allowSymlinks: values['allow-symlinks'] ?? false,
        ...(values.signature ? { signaturePath: values.signature } : {}),
        signal: interrupt.signal,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      };
      const signed = signer
        ? { ...(await signModel(modelPath, { signer, ...hashing })), identity: undefined }
        : await (await loadSigstore()).signModelWithSigstore(modelPath, {
            ...hashing,
            ...(identityToken !== undefined ? { identityToken } : {}),
            ...(values['fulcio-url'] ? { fulcioUrl: values['fulcio-url'] } : {}),
            ...(values['rekor-url'] ? { rekorUrl: values['rekor-url'] } : {}),
            ...(values['rekor-entry-type'] ? { rekorEntryType: values['rekor-entry-type'] as 'dsse' | 'intoto' } : {}),
            ...(values['tsa-url'] ? { tsaUrl: values['tsa-url'] } : {}),
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
          ...(signer ? { keyId: signer.publicKey.keyId } : { identity: signed.identity }),
        });
      } else {
        io.stdout.write(`${signed.signaturePath}\n`);
        const by = signed.identity ? `, certificate for ${signed.identity.san} from ${signed.identity.issuer ?? 'an unknown issuer'}` : '';
        io.stderr.write(`signed ${signed.manifest.modelName} (${signed.manifest.resources.length} resources, root sha256:${root}${by})\n`);
      }
      return 0;
    } finally {
      progress.done();
      interrupt.dispose();
    }
  },
};

const verify: Command = {
  summary: 'verify an OMS model signature made with a public key or with Sigstore',
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
        sigstore: { type: 'boolean' },
        identity: { type: 'string' },
        'identity-regexp': { type: 'string' },
        issuer: { type: 'string' },
        'trusted-root': { type: 'string' },
      },
      verifyUsage,
    );
    const modelPath = required(positionals[0], 'MODEL_PATH', verifyUsage);
    if (values.sigstore && values.key !== undefined) throw new InputError('ERR_USAGE', `--key and --sigstore exclude each other\n\nusage: ${verifyUsage}`);
    if (!values.sigstore) refuseWithoutSigstore(values, ['identity', 'identity-regexp', 'issuer', 'trusted-root'], verifyUsage);
    let sigstoreOptions;
    if (values.sigstore) {
      if ((values.identity === undefined) === (values['identity-regexp'] === undefined)) {
        throw new InputError('ERR_USAGE', `--sigstore needs exactly one of --identity SAN or --identity-regexp RE\n\nusage: ${verifyUsage}`);
      }
      const issuer = required(values.issuer, '--issuer URL', verifyUsage);
      const binding = await loadSigstore();
      const identity = values.identity !== undefined ? { san: values.identity, issuer } : { sanPattern: values['identity-regexp']!, issuer };
      if (identity.sanPattern !== undefined) {
        try {
          new RegExp(identity.sanPattern);
        } catch (err) {
          throw new InputError('ERR_USAGE', `--identity-regexp is not a regular expression: ${(err as Error).message}`);
        }
      }
      sigstoreOptions = {
        binding,
        identities: [identity],
        trustedRoot: values['trusted-root'] ? await binding.loadTrustedRoot(values['trusted-root']) : binding.publicGoodTrustedRoot(),
      };
    }
    const key = sigstoreOptions ? undefined : await loadPublicKey(required(values.key, '--key KEY.pub (or --sigstore)', verifyUsage));
    const progress = progressBar(io, 'verifying');
    const interrupt = interruptSignal();
    try {
      const common = {
        ...(values.signature ? { signature: values.signature } : {}),
        ignorePaths: (values.ignore ?? []).map((p) => resolve(p)),
        ignoreUnsignedFiles: values['ignore-unsigned-files'] ?? false,
        signal: interrupt.signal,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      };
      let signedBy: Record<string, unknown>;
      let statement;
      if (sigstoreOptions) {
        const { binding, ...options } = sigstoreOptions;
        const result = await binding.verifyModelWithSigstore(modelPath, { ...options, ...common });
        statement = result.statement;
        const times = result.sigstore.timestamps.map((t) => t.time.getTime());
        signedBy = {
          identity: result.sigstore.identity,
          signedAt: new Date(Math.min(...times)).toISOString(),
          tlogEntries: result.sigstore.tlogEntries.map((e) => ({ logIndex: e.logIndex, logId: e.logId })),
        };
      } else {
        const result = await verifyModel(modelPath, { key: key!, ...common });
        statement = result.statement;
        signedBy = { keyId: result.keyId };
      }
      progress.done();
      if (values.json) {
        printJson(io, {
          verified: true,
          model: statement.modelName,
          method: statement.method,
          rootDigest: toHex(statement.rootDigest),
          resources: statement.resources.length,
          ...signedBy,
        });
      } else {
        const identity = signedBy.identity as { san: string; issuer?: string } | undefined;
        const by = identity ? `${identity.san} (${identity.issuer ?? 'unknown issuer'}) at ${String(signedBy.signedAt)}` : String(signedBy.keyId);
        io.stderr.write(`verified: ${statement.modelName} (${statement.resources.length} resources, signed by ${by})\n`);
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

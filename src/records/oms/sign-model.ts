import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fsError } from '../../lib/errors.js';
import { writeFileAtomic } from '../../lib/fs.js';
import { canonicalJsonBytes } from '../../lib/json.js';
import { hashModel, type HashModelOptions, type ModelManifest } from '../../digest/model.js';
import type { Signer } from '../../envelope/keys.js';
import { signEnvelope } from '../../envelope/sign.js';
import { buildKeyBundle, IN_TOTO_PAYLOAD_TYPE, type KeyBundle } from './bundle.js';
import { buildOmsStatement } from './statement.js';

/** Options of {@link signModel}. */
export interface SignModelOptions extends Omit<HashModelOptions, 'onlyFiles'> {
  /** Who signs. */
  signer: Signer;
  /**
   * Where to write the signature: default `MODEL/model.sig` for a directory,
   * `MODEL.sig` for a single file. `false` writes nothing.
   */
  signaturePath?: string | false;
}

/** What {@link signModel} produced. */
export interface SignedModel {
  bundle: KeyBundle;
  /** The exact signed payload bytes (canonical JSON). */
  payload: Uint8Array;
  manifest: ModelManifest;
  /** Where the bundle was written, if it was. */
  signaturePath?: string;
}

/**
 * The default signature location for a model path.
 * @throws InputError when the path does not exist
 */
export async function defaultSignaturePath(modelPath: string): Promise<string> {
  const abs = resolve(modelPath);
  try {
    return (await stat(abs)).isDirectory() ? join(abs, 'model.sig') : `${abs}.sig`;
  } catch (err) {
    throw fsError(err, modelPath, 'read the model');
  }
}

/**
 * Hash a model and sign it in the OpenSSF model signing (OMS) v1.0 format: a
 * Sigstore bundle v0.3 holding a DSSE envelope with the in-toto statement,
 * written atomically. `model_signing verify key` accepts the result.
 *
 * @param modelPath the model directory or single file
 * @param options signer, serialization, ignore rules, signature path, progress, signal
 * @returns the bundle, payload, manifest and where it was written
 * @throws InputError for unreadable models or a failed write; AbortError when aborted
 * @example
 * ```ts
 * const signer = await importSigner(await readFile('key.pem', 'utf8'));
 * await signModel('models/tiny', { signer });
 * ```
 */
export async function signModel(modelPath: string, options: SignModelOptions): Promise<SignedModel> {
  const signaturePath =
    options.signaturePath === false ? undefined : resolve(options.signaturePath ?? (await defaultSignaturePath(modelPath)));
  const ignorePaths = [...(options.ignorePaths ?? [])];
  if (signaturePath) ignorePaths.push(signaturePath);
  const manifest = await hashModel(modelPath, { ...options, ignorePaths });
  const payload = canonicalJsonBytes(buildOmsStatement(manifest));
  const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, [options.signer], { keyid: '' });
  const bundle = buildKeyBundle(envelope, options.signer.publicKey);
  if (signaturePath) await writeFileAtomic(signaturePath, `${JSON.stringify(bundle)}\n`);
  return { bundle, payload, manifest, ...(signaturePath ? { signaturePath } : {}) };
}

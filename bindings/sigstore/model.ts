import { resolve } from 'node:path';
import {
  buildKeyBundle,
  buildOmsStatement,
  canonicalJsonBytes,
  defaultSignaturePath,
  generateKeyPair,
  hashModel,
  importSigner,
  IN_TOTO_PAYLOAD_TYPE,
  signEnvelope,
  verifyModel,
  type HashModelOptions,
  type ModelManifest,
  type ParsedOmsStatement,
} from 'provenant';
import type { SigstoreBundleJson } from './bundle.js';
import { readInputFile, writeFileAtomic } from './files.js';
import type { SigstoreIdentity } from './identity.js';
import { signWithSigstore, type SigstoreSigningOptions } from './sign.js';
import { verifySigstoreBundle, type VerifiedSigstoreBundle, type VerifySigstoreBundleOptions } from './verify.js';

/** Options of {@link signModelWithSigstore}. */
export type SignModelWithSigstoreOptions = Omit<HashModelOptions, 'onlyFiles'> &
  SigstoreSigningOptions & {
    /** Where to write the bundle (default `MODEL/model.sig`, or `MODEL.sig` for a file); `false` writes nothing. */
    signaturePath?: string | false;
  };

/** What {@link signModelWithSigstore} produced. */
export interface SigstoreSignedModel {
  bundle: SigstoreBundleJson;
  /** The exact signed payload (the OMS statement, canonical JSON). */
  payload: Uint8Array;
  manifest: ModelManifest;
  /** Where the bundle was written, if it was. */
  signaturePath?: string;
  /** Keyless: who the Fulcio certificate was issued to. */
  identity?: SigstoreIdentity;
}

/**
 * Hash a model and sign it in the OpenSSF model signing (OMS) v1.0 format
 * with Sigstore: the same in-toto statement `provenant model sign` writes,
 * in a Sigstore bundle v0.3 with a Fulcio certificate and a Rekor entry
 * (keyless), or a `publicKey.hint` (local key). `model_signing verify
 * sigstore` accepts the keyless result.
 *
 * @param modelPath the model directory or single file
 * @param options hashing (method, shard size, ignore paths, progress, signal) and signing (keyless or `signer`)
 * @returns the bundle, payload, manifest, where it was written, and the identity
 * @throws InputError for an unreadable model or a failed write; `ERR_OIDC_TOKEN`, `ERR_SIGSTORE_SERVICE`
 * @throws AbortError when aborted
 * @example
 * ```ts
 * const signed = await signModelWithSigstore('models/tiny', { identityToken });
 * console.log(signed.signaturePath, signed.identity?.san);
 * ```
 */
export async function signModelWithSigstore(modelPath: string, options: SignModelWithSigstoreOptions): Promise<SigstoreSignedModel> {
  const signaturePath =
    options.signaturePath === false ? undefined : resolve(options.signaturePath ?? (await defaultSignaturePath(modelPath)));
  const ignorePaths = [...(options.ignorePaths ?? [])];
  if (signaturePath) ignorePaths.push(signaturePath);
  const manifest = await hashModel(modelPath, { ...options, ignorePaths });
  const payload = canonicalJsonBytes(buildOmsStatement(manifest));
  const signed = await signWithSigstore({ payload, payloadType: IN_TOTO_PAYLOAD_TYPE }, options);
  if (signaturePath) await writeFileAtomic(signaturePath, `${JSON.stringify(signed.bundle)}\n`);
  return {
    bundle: signed.bundle,
    payload,
    manifest,
    ...(signaturePath ? { signaturePath } : {}),
    ...(signed.identity ? { identity: signed.identity } : {}),
  };
}

/** Options of {@link verifyModelWithSigstore}. */
export interface VerifyModelWithSigstoreOptions
  extends Omit<VerifySigstoreBundleOptions, 'artifact' | 'payloadType'>,
    Pick<HashModelOptions, 'pool' | 'signal' | 'onProgress' | 'ignorePaths'> {
  /** The bundle: a path, or its bytes. Default: the model's default signature path. */
  signature?: string | Uint8Array;
  /** Check only the files the signature lists. */
  ignoreUnsignedFiles?: boolean;
}

/** What {@link verifyModelWithSigstore} established. */
export interface SigstoreVerifiedModel {
  statement: ParsedOmsStatement;
  /** The exact signed payload bytes. */
  payload: Uint8Array;
  /** The model as re-hashed from disk. */
  manifest: ModelManifest;
  /** The Sigstore verification: identity (or key id), times, log entries. */
  sigstore: VerifiedSigstoreBundle;
}

/**
 * Verify an OMS model signature made with Sigstore, offline: the bundle
 * against the trusted root and identity policy (or keys), then the
 * statement, its root digest and every file of the model on disk, exactly
 * as `verifyModel` checks a key-signed model.
 *
 * @param modelPath the model directory or single file
 * @param options trusted root, identities (or keys), thresholds, signature, ignore rules, progress, signal
 * @returns the statement, the re-hashed manifest and the Sigstore result
 * @throws VerificationError every code of {@link verifySigstoreBundle}, and `ERR_STATEMENT_INVALID`,
 *   `ERR_PREDICATE_TYPE`, `ERR_ROOT_DIGEST_MISMATCH`, `ERR_MODEL_MISMATCH` (with `details`)
 * @throws InputError for unreadable input
 * @example
 * ```ts
 * await verifyModelWithSigstore('models/tiny', {
 *   identities: [{ san: 'stefanb@us.ibm.com', issuer: 'https://sigstore.verify.ibm.com/oauth2' }],
 * });
 * ```
 */
export async function verifyModelWithSigstore(modelPath: string, options: VerifyModelWithSigstoreOptions): Promise<SigstoreVerifiedModel> {
  let signaturePath: string | undefined;
  let bytes: Uint8Array;
  if (options.signature instanceof Uint8Array) bytes = new Uint8Array(options.signature);
  else {
    signaturePath = resolve(options.signature ?? (await defaultSignaturePath(modelPath)));
    bytes = await readInputFile(signaturePath, 'signature');
  }
  const { signature: _signature, ignoreUnsignedFiles, pool, signal, onProgress, ignorePaths, ...bundleOptions } = options;
  const sigstore = await verifySigstoreBundle(bytes, { ...bundleOptions, payloadType: IN_TOTO_PAYLOAD_TYPE });

  // From here on the payload is trusted: Sigstore verified it. The model
  // check (statement, root digest, every file, shards, ignore rules) is the
  // core's `verifyModel`, which takes a key-signed bundle; so the verified
  // payload is handed to it under a one-time key made here and thrown away.
  // It adds no trust and hides no failure: only the file comparison can fail.
  const oneTime = await importSigner(generateKeyPair('p256').privateKeyPem);
  const envelope = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, sigstore.payload!, [oneTime], { keyid: '' });
  const local = await verifyModel(modelPath, {
    key: oneTime.publicKey,
    signature: new TextEncoder().encode(JSON.stringify(buildKeyBundle(envelope, oneTime.publicKey))),
    ignorePaths: [...(ignorePaths ?? []), ...(signaturePath ? [signaturePath] : [])],
    ...(ignoreUnsignedFiles !== undefined ? { ignoreUnsignedFiles } : {}),
    ...(pool ? { pool } : {}),
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  return { statement: local.statement, payload: local.payload, manifest: local.manifest, sigstore };
}

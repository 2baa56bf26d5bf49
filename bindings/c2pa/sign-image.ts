import { createHash } from 'node:crypto';
import { InputError, VerificationError } from 'provenant';
import { BytesBlob, c2paEngine, engineError, engineErrorName, provenantVersion } from './engine.js';
import { checkAsset, normalizeMediaType, type C2paMediaType } from './formats.js';
import { manifestDefinition, type ManifestOptions, type ModelAgent, type TrainingMining, type Watermark } from './manifest.js';
import { outputCredential, type OutputCredential, type ReceiptInput } from './output-assertion.js';
import { builderContext } from './settings.js';
import { coseCallback, signingIdentity, type SigningOptions } from './signing.js';
import { withoutManifestStore } from './strip.js';

/** Options of {@link signImage}. */
export interface SignImageOptions extends SigningOptions {
  /** The output's receipt (an `output` record or a batch receipt, or their bytes): embedded as the provenant assertion. */
  receipt?: ReceiptInput;
  /** The model that made the content, `name@version` or parts: the actions' softwareAgent. */
  model?: ModelAgent;
  /** The publisher's `cawg.training-mining` choices (default: every use notAllowed); `false` leaves the assertion out. */
  trainingMining?: TrainingMining | false;
  /** A watermark identifier: recorded as a `c2pa.soft-binding` assertion with a `c2pa.watermarked` action. */
  watermark?: Watermark;
  /** Title, extra assertions, digital source type. */
  manifest?: ManifestOptions;
}

/** A signed asset. */
export interface SignedImage {
  /** The asset with its manifest store embedded. */
  bytes: Uint8Array;
  mediaType: C2paMediaType;
  /** The manifest store alone (JUMBF), as embedded. */
  manifestStore: Uint8Array;
  /** True when the input already carried credentials: they are now the parent ingredient of the new manifest. */
  hadCredentials: boolean;
  /** The provenant assertion's content, when a receipt was given. */
  credential?: OutputCredential;
}

/** The label of the parent ingredient in a re-signed asset's manifest. */
const PARENT_LABEL = 'provenant.parent';

/** Whether the bytes may carry a manifest store: the JUMBF box type and the C2PA label both appear. */
function mayHaveManifest(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.indexOf('jumb') !== -1 && buffer.indexOf('c2pa') !== -1;
}

async function hasManifest(engine: Awaited<ReturnType<typeof c2paEngine>>, bytes: Uint8Array, mediaType: string): Promise<boolean> {
  if (!mayHaveManifest(bytes)) return false;
  try {
    const reader = await engine.WasmReader.fromBytes(mediaType, bytes, builderContext());
    reader.free();
    return true;
  } catch (err) {
    const name = engineErrorName(err);
    if (name === 'JumbfNotFound' || name === 'ProvenanceMissing') return false;
    // A manifest store is there but cannot be read: it cannot become an ingredient, and signing over it would hide it.
    throw engineError(err, mediaType, 'read');
  }
}

/**
 * A receipt must be for these bytes (as generated, or, for an input that
 * already has credentials, without its manifest store): embedding another
 * output's receipt is a mistake a reader could only catch afterwards.
 */
function checkReceiptContent(credential: OutputCredential, source: Uint8Array, format: string): void {
  const named = (c: Uint8Array | undefined) => c !== undefined && c.length === credential.size && createHash('sha256').update(c).digest('hex') === credential.contentSha256;
  if (!named(source) && !named(withoutManifestStore(source, format))) {
    throw new VerificationError('ERR_DIGEST_MISMATCH', `the receipt is for other content (sha256 ${credential.contentSha256}, ${credential.size} bytes), not this ${format} file`);
  }
}

/**
 * Embed C2PA content credentials in an image (or another format the
 * engine supports: PNG, JPEG, WebP, GIF, TIFF, AVIF, HEIC, MP4, ...),
 * signed with a certificate that has the C2PA profile. The manifest says
 * the content was made by a trained model (`c2pa.created`,
 * trainedAlgorithmicMedia, the model as softwareAgent), carries the
 * publisher's training and data-mining choices and the output receipt;
 * an input that already has credentials gets a new manifest with the old
 * one as its parent ingredient.
 *
 * The bytes are copied before anything else happens; the input is never
 * modified.
 *
 * @param bytes the asset as generated
 * @param mediaType its media type (`image/png`, `image/jpeg`, ...; a bare extension works)
 * @param options certificate chain, key or signer, receipt, model, training-mining choices, watermark, time-stamp authority
 * @returns the signed asset and its manifest store
 * @throws InputError `ERR_UNSUPPORTED_FORMAT`, `ERR_ASSET_MALFORMED` (truncated or corrupt input),
 *   `ERR_CERT_PROFILE`, `ERR_CERT_KEY_MISMATCH`, `ERR_RESERVE_SIZE`, `ERR_TSA_FAILED`, `ERR_KEY_INVALID`,
 *   `ERR_C2PA_UNREADABLE` (the input carries a manifest that cannot be read), `ERR_C2PA_ENGINE`,
 *   `ERR_MALFORMED` (a receipt or chain that cannot be decoded)
 * @throws VerificationError `ERR_DIGEST_MISMATCH` when the receipt is for other content
 * @throws TypeError when both or neither of `key` and `signer` are given
 * @example
 * ```ts
 * const record = await outputs.sign({ content: png, mediaType: 'image/png' });
 * const signed = await signImage(png, 'image/png', {
 *   certificateChain: await readFile('chain.pem', 'utf8'),
 *   key: await readFile('key.pem', 'utf8'),
 *   receipt: record,
 *   model: 'tiny-diffusion@1.2',
 * });
 * await writeFile('out.png', signed.bytes);
 * ```
 */
export async function signImage(bytes: Uint8Array, mediaType: string, options: SignImageOptions): Promise<SignedImage> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('"bytes" expected a Uint8Array');
  const source = new Uint8Array(bytes);
  const format = normalizeMediaType(mediaType);
  if (format === 'application/pdf') throw new InputError('ERR_UNSUPPORTED_FORMAT', 'PDF credentials can be read here, not signed');
  checkAsset(source, format);
  const credential = options.receipt === undefined ? undefined : outputCredential(options.receipt);
  if (credential) checkReceiptContent(credential, source, format);
  const now = options.now ?? new Date();
  const identity = await signingIdentity({ ...options, now });
  const engine = await c2paEngine();
  const hadCredentials = await hasManifest(engine, source, format);
  const definition = manifestDefinition(
    {
      credential,
      model: options.model,
      trainingMining: options.trainingMining,
      watermark: options.watermark,
      manifest: options.manifest,
      parentLabel: hadCredentials ? PARENT_LABEL : undefined,
      claimGenerator: { name: 'provenant', version: provenantVersion() },
      now,
    },
    format,
  );
  let builder;
  try {
    builder = engine.WasmBuilder.fromJson(JSON.stringify(definition), builderContext());
  } catch (err) {
    throw engineError(err, format, 'sign');
  }
  const callback = coseCallback(identity);
  try {
    if (hadCredentials) {
      const ingredient = { title: options.manifest?.title ?? 'parent', relationship: 'parentOf', label: PARENT_LABEL };
      await builder.addIngredientFromBlob(JSON.stringify(ingredient), format, new BytesBlob(source, format));
    }
    const result = (await builder.signAndGetManifestBytes(
      { alg: identity.alg, reserveSize: identity.reserveSize, sign: callback.sign as (b: Uint8Array<ArrayBuffer>) => Promise<Uint8Array<ArrayBuffer>> },
      [],
      format,
      new BytesBlob(source, format),
    )) as { asset: Uint8Array; manifest: Uint8Array };
    return {
      bytes: new Uint8Array(result.asset),
      mediaType: format,
      manifestStore: new Uint8Array(result.manifest),
      hadCredentials,
      ...(credential ? { credential } : {}),
    };
  } catch (err) {
    // The callback's own error (reserve size, time-stamp, a failing external signer) wins over the engine's wrapping of it.
    const failure = callback.failure();
    if (failure !== undefined) throw failure;
    throw engineError(err, format, 'sign');
  } finally {
    builder.free();
  }
}

import { createHash } from 'node:crypto';
import {
  ProvenantError,
  verifyOutputReceipt,
  verifyOutputRecord,
  type PublicKey,
  type VerifiedOutput,
} from 'provenant';
import { BytesBlob, c2paEngine, engineError, engineErrorName } from './engine.js';
import { normalizeMediaType, type C2paMediaType } from './formats.js';
import { OUTPUT_ASSERTION_LABEL, parseOutputAssertion, type ReadOutputCredential } from './output-assertion.js';
import { readerContext, type TrustOptions } from './settings.js';
import { withoutManifestStore } from './strip.js';

/** The validation state of a manifest store (C2PA 2.x): Trusted (valid, and the signer chains to a trust anchor), Valid (well-formed, hashes and signature hold, signer not trusted), Invalid. */
export type C2paValidationState = 'Trusted' | 'Valid' | 'Invalid';

/** One validation status: a C2PA status code, the JUMBF URI it is about, and the engine's explanation. */
export interface C2paStatus {
  code: string;
  url?: string;
  explanation?: string;
}

/** An action of a manifest's actions assertion. */
export interface C2paAction {
  action: string;
  digitalSourceType?: string;
  /** A string (actions v1) or `{ name, version }` (actions v2). */
  softwareAgent?: string | { name: string; version?: string };
  when?: string;
}

/** A manifest, summarised. */
export interface C2paManifest {
  label: string;
  title?: string;
  format?: string;
  /** The claim generators, `name/version` each (the engine adds its own). */
  claimGenerator: string[];
  /** Who signed the claim and when (the time only with a time-stamp). */
  signature?: { algorithm?: string; issuer?: string; commonName?: string; serialNumber?: string; time?: string };
  /** Every assertion label, in order. */
  assertions: string[];
  actions: C2paAction[];
  ingredients: { title?: string; relationship?: string; manifest?: string }[];
  /** `cawg.training-mining` (or `c2pa.training-mining`) entries: use per permission. */
  trainingMining?: Record<string, string>;
  /** `c2pa.soft-binding` assertions: algorithm and identifier. */
  softBindings: { alg: string; value: string }[];
}

/** The provenant assertion as read, with what could be checked about it. */
export interface ReadOutput extends ReadOutputCredential {
  /** Label of the manifest that carries it (the active one, or else the nearest ingredient's). */
  manifest: string;
  /**
   * Whether the asset without its manifest store is the content the receipt
   * signs (its SHA-256 and size): `match`, `mismatch` (the asset was edited
   * after it was generated, or the receipt is for other content), or
   * `unchecked` (formats where the store cannot be removed byte-exactly: only PNG and JPEG are checked).
   */
  contentMatch: 'match' | 'mismatch' | 'unchecked';
  /** The asset without its manifest store, when it is the content the receipt signs (`contentMatch` is `match`). */
  original?: Uint8Array;
  /**
   * The receipt verified with `outputKeys`: against the content when
   * `contentMatch` is `match`, otherwise its signatures (and a batch
   * receipt's inclusion proof) only.
   */
  verified?: VerifiedOutput;
  /** Why the receipt did not verify with `outputKeys`. */
  verifyError?: { code: string; message: string };
}

/** Credentials found in an asset. */
export interface C2paCredentials<M extends string = C2paMediaType> {
  present: true;
  mediaType: M;
  state: C2paValidationState;
  /** Label of the active manifest. */
  activeLabel: string;
  active: C2paManifest;
  /** Every manifest in the store (the active one first). */
  manifests: C2paManifest[];
  /** The active manifest's validation results: every success, informational and failure code. */
  validation: { success: C2paStatus[]; informational: C2paStatus[]; failure: C2paStatus[] };
  /** The store's validation status list: every failure, ingredients included. */
  status: C2paStatus[];
  /** The provenant assertion, when a manifest carries one. */
  output?: ReadOutput;
  /** A provenant assertion that is there but cannot be decoded. */
  outputError?: { code: string; message: string };
  /** The engine's full report (c2pa-rs `Reader` JSON). */
  report: Record<string, unknown>;
}

/** An asset without C2PA credentials. */
export interface NoC2paCredentials<M extends string = C2paMediaType> {
  present: false;
  mediaType: M;
}

/** Options of {@link readCredentials}. */
export interface ReadCredentialsOptions extends TrustOptions {
  /** Keys trusted to sign output records: the provenant assertion's receipt is verified with them. */
  outputKeys?: readonly PublicKey[];
  /** For fragmented MP4: a media fragment read together with `bytes` (the init segment). */
  fragment?: Uint8Array;
}

type Json = Record<string, unknown>;

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function statuses(value: unknown): C2paStatus[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isJson).map((s) => ({
    code: String(s.code),
    ...(typeof s.url === 'string' ? { url: s.url } : {}),
    ...(typeof s.explanation === 'string' ? { explanation: s.explanation } : {}),
  }));
}

function summarise(label: string, m: Json): C2paManifest {
  const assertions = Array.isArray(m.assertions) ? m.assertions.filter(isJson) : [];
  const actions: C2paAction[] = [];
  let trainingMining: Record<string, string> | undefined;
  const softBindings: { alg: string; value: string }[] = [];
  for (const a of assertions) {
    const data = isJson(a.data) ? a.data : {};
    if (a.label === 'c2pa.actions' || a.label === 'c2pa.actions.v2') {
      for (const act of Array.isArray(data.actions) ? data.actions.filter(isJson) : []) {
        actions.push({
          action: String(act.action),
          ...(typeof act.digitalSourceType === 'string' ? { digitalSourceType: act.digitalSourceType } : {}),
          ...(typeof act.softwareAgent === 'string' || isJson(act.softwareAgent) ? { softwareAgent: act.softwareAgent as C2paAction['softwareAgent'] } : {}),
          ...(typeof act.when === 'string' ? { when: act.when } : {}),
        });
      }
    } else if (a.label === 'cawg.training-mining' || a.label === 'c2pa.training-mining') {
      trainingMining = {};
      for (const [k, v] of Object.entries(isJson(data.entries) ? data.entries : {})) trainingMining[k] = isJson(v) ? String(v.use) : String(v);
    } else if (a.label === 'c2pa.soft-binding') {
      const block = Array.isArray(data.blocks) && isJson(data.blocks[0]) ? data.blocks[0] : {};
      softBindings.push({ alg: String(data.alg), value: String(block.value ?? '') });
    }
  }
  const generators = Array.isArray(m.claim_generator_info)
    ? m.claim_generator_info.filter(isJson).map((g) => (g.version ? `${String(g.name)}/${String(g.version)}` : String(g.name)))
    : typeof m.claim_generator === 'string'
      ? [m.claim_generator]
      : [];
  const sig = isJson(m.signature_info) ? m.signature_info : undefined;
  const ingredients = Array.isArray(m.ingredients) ? m.ingredients.filter(isJson) : [];
  return {
    label,
    ...(typeof m.title === 'string' ? { title: m.title } : {}),
    ...(typeof m.format === 'string' ? { format: m.format } : {}),
    claimGenerator: generators,
    ...(sig
      ? {
          signature: {
            ...(typeof sig.alg === 'string' ? { algorithm: sig.alg } : {}),
            ...(typeof sig.issuer === 'string' ? { issuer: sig.issuer } : {}),
            ...(typeof sig.common_name === 'string' ? { commonName: sig.common_name } : {}),
            ...(typeof sig.cert_serial_number === 'string' ? { serialNumber: sig.cert_serial_number } : {}),
            ...(typeof sig.time === 'string' ? { time: sig.time } : {}),
          },
        }
      : {}),
    assertions: assertions.map((a) => String(a.label)),
    actions,
    ingredients: ingredients.map((i) => ({
      ...(typeof i.title === 'string' ? { title: i.title } : {}),
      ...(typeof i.relationship === 'string' ? { relationship: i.relationship } : {}),
      ...(typeof i.active_manifest === 'string' ? { manifest: i.active_manifest } : {}),
    })),
    ...(trainingMining ? { trainingMining } : {}),
    softBindings,
  };
}

function problemOf(err: unknown): { code: string; message: string } {
  if (err instanceof ProvenantError) return { code: err.code, message: err.message };
  throw err;
}

/**
 * Verify a receipt with the output signer's keys: against the content when
 * the asset gave it back exactly, otherwise the record's signatures (and a
 * batch receipt's inclusion proof) alone.
 */
async function verifyReceipt(credential: ReadOutputCredential, content: Uint8Array | undefined, keys: readonly PublicKey[]): Promise<VerifiedOutput> {
  // Without the original content, the signatures (and a batch receipt's proof) are checked, not the content digest.
  if (credential.kind === 'output') return verifyOutputRecord(content, credential.receipt, { keys });
  return verifyOutputReceipt(content, credential.receipt, { keys });
}

async function readOutput(
  manifests: Record<string, Json>,
  order: string[],
  originals: readonly Uint8Array[] | undefined,
  outputKeys: readonly PublicKey[] | undefined,
): Promise<Pick<C2paCredentials, 'output' | 'outputError'>> {
  for (const label of order) {
    const assertion = (Array.isArray(manifests[label]?.assertions) ? (manifests[label]!.assertions as unknown[]) : [])
      .filter(isJson)
      .find((a) => a.label === OUTPUT_ASSERTION_LABEL);
    if (!assertion) continue;
    let credential: ReadOutputCredential;
    try {
      credential = parseOutputAssertion(assertion.data);
    } catch (err) {
      return { outputError: problemOf(err) };
    }
    let contentMatch: ReadOutput['contentMatch'] = 'unchecked';
    let original: Uint8Array | undefined;
    if (originals) {
      original = originals.find((o) => o.length === credential.size && createHash('sha256').update(o).digest('hex') === credential.contentSha256);
      contentMatch = original ? 'match' : 'mismatch';
    }
    const output: ReadOutput = { ...credential, manifest: label, contentMatch, ...(original ? { original } : {}) };
    if (outputKeys) {
      try {
        output.verified = await verifyReceipt(credential, contentMatch === 'match' ? original : undefined, outputKeys);
      } catch (err) {
        output.verifyError = problemOf(err);
      }
    }
    return { output };
  }
  return {};
}

/**
 * Read and validate the C2PA credentials of an asset (any format the
 * engine reads: JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIC, MP4, MP3, WAV,
 * PDF, ...), offline: trust comes only from the anchors given, and no
 * OCSP or remote manifest is fetched. The provenant assertion, when there
 * is one, is decoded and its receipt compared with the asset (and verified
 * with `outputKeys` when given).
 *
 * @param bytes the asset
 * @param mediaType its media type (or a bare extension)
 * @param options trust anchors, a trust list, EKU configuration, output-record keys, an MP4 fragment
 * @returns the credentials (`present: true`, with state, every validation code and the manifests), or `present: false`
 * @throws InputError `ERR_UNSUPPORTED_FORMAT`, `ERR_ASSET_MALFORMED`,
 *   `ERR_C2PA_UNREADABLE` (a manifest store the engine cannot validate: unknown algorithm, pre-release manifest, ...)
 * @example
 * ```ts
 * const c = await readCredentials(await readFile('out.png'), 'image/png', { trustAnchors: await readFile('ca.pem', 'utf8') });
 * if (c.present && c.state !== 'Invalid') console.log(c.output?.model);
 * ```
 */
export async function readCredentials(
  bytes: Uint8Array,
  mediaType: string,
  options: ReadCredentialsOptions = {},
): Promise<C2paCredentials | NoC2paCredentials> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('"bytes" expected a Uint8Array');
  const asset = new Uint8Array(bytes);
  const fragment = options.fragment === undefined ? undefined : new Uint8Array(options.fragment);
  const format = normalizeMediaType(mediaType);
  const context = readerContext(options);
  const engine = await c2paEngine();
  let reader;
  try {
    reader = fragment
      ? await engine.WasmReader.fromBlobFragment(format, new BytesBlob(asset, format), new BytesBlob(fragment, format), context)
      : await engine.WasmReader.fromBytes(format, asset, context);
  } catch (err) {
    const name = engineErrorName(err);
    if (name === 'JumbfNotFound' || name === 'ProvenanceMissing') return { present: false, mediaType: format };
    throw engineError(err, format, 'read');
  }
  let report: Json;
  try {
    report = JSON.parse(reader.json()) as Json;
  } finally {
    reader.free();
  }
  const original = withoutManifestStore(asset, format);
  return credentialsOf(report, format, original ? [original] : undefined, options.outputKeys);
}

/**
 * Credentials from a report in the engine's JSON shape (c2pa-rs `Reader`
 * JSON), shared by images (the engine's report) and text (ours).
 *
 * @internal
 * @param originals the content as generated, when it can be recovered (candidates: any one may match the receipt)
 */
export async function credentialsOf<M extends string>(
  report: Record<string, unknown>,
  mediaType: M,
  originals: readonly Uint8Array[] | undefined,
  outputKeys: readonly PublicKey[] | undefined,
): Promise<C2paCredentials<M>> {
  const manifests = (isJson(report.manifests) ? report.manifests : {}) as Record<string, Json>;
  const activeLabel = typeof report.active_manifest === 'string' ? report.active_manifest : Object.keys(manifests)[0]!;
  const order = [activeLabel, ...Object.keys(manifests).filter((l) => l !== activeLabel)];
  const results = isJson(report.validation_results) && isJson(report.validation_results.activeManifest) ? report.validation_results.activeManifest : {};
  const validation = { success: statuses(results.success), informational: statuses(results.informational), failure: statuses(results.failure) };
  const status = statuses(report.validation_status);
  const stated = report.validation_state;
  const state: C2paValidationState =
    stated === 'Trusted' || stated === 'Valid' || stated === 'Invalid'
      ? stated
      : status.some((s) => s.code !== 'signingCredential.untrusted')
        ? 'Invalid'
        : 'Valid';
  const summaries = order.filter((l) => isJson(manifests[l])).map((l) => summarise(l, manifests[l]!));
  return {
    present: true,
    mediaType,
    state,
    activeLabel,
    active: summaries[0]!,
    manifests: summaries,
    validation,
    status,
    ...(await readOutput(manifests, order, originals, outputKeys)),
    report,
  };
}

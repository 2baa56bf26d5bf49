/**
 * C2PA credentials for unstructured text. The engine has no text support,
 * so provenant writes the manifest store itself: assertions as CBOR
 * JUMBF boxes, a v2 claim, the same COSE_Sign1 claim signature as for
 * images, all in a JUMBF manifest store carried by the C2PA text wrapper
 * (invisible variation selectors after the NFC-normalized text). The hard
 * binding is `c2pa.hash.data` over the text's UTF-8 bytes with one
 * exclusion: the wrapper. Reading validates the same way the C2PA
 * specification asks of any manifest: the claim signature and the signing
 * chain, every hashed URI, the data hash.
 */
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { decode as decodeCbor, encode as encodeCbor } from 'cborg';
import { importPublicKey, InputError, ProvenantError, VerificationError } from 'provenant';
import { assessSigningChain, C2PA_TRUST_CONFIG, chainsToAnchor, parseCertificates } from './certificate.js';
import { parseCose, verifyCose } from './cose.js';
import { provenantVersion } from './engine.js';
import { boxPayload, box, parseJumbf, superBox, type JumbfBox } from './jumbf.js';
import { manifestDefinition, type ManifestOptions, type ModelAgent, type TrainingMining, type Watermark } from './manifest.js';
import { outputCredential, type OutputCredential, type ReceiptInput } from './output-assertion.js';
import { credentialsOf, type C2paCredentials, type C2paStatus, type NoC2paCredentials, type ReadCredentialsOptions } from './read.js';
import { coseCallback, signingIdentity, type SigningOptions } from './signing.js';
import { encodeWrapper, findWrapper, maxWrapperUtf8Length } from './text-wrapper.js';

/** The media type of text credentials. */
export const TEXT_MEDIA_TYPE = 'text/plain';

/** Options of {@link signText}: as for images. */
export interface SignTextOptions extends SigningOptions {
  /** The output's receipt: embedded as the provenant assertion. Its content digest must be the text's (as given, or NFC-normalized). */
  receipt?: ReceiptInput;
  /** The model that made the text, `name@version` or parts: the actions' softwareAgent. */
  model?: ModelAgent;
  /** The publisher's `cawg.training-mining` choices (default: every use notAllowed); `false` leaves the assertion out. */
  trainingMining?: TrainingMining | false;
  /** A watermark identifier: a `c2pa.soft-binding` assertion with a `c2pa.watermarked` action. */
  watermark?: Watermark;
  /** Title, extra assertions, digital source type. */
  manifest?: ManifestOptions;
}

/** Signed text. */
export interface SignedText {
  /** The NFC-normalized text followed by the invisible wrapper. */
  text: string;
  /** The visible text alone (NFC-normalized): what the data hash covers. */
  visibleText: string;
  /** The manifest store (JUMBF) the wrapper carries. */
  manifestStore: Uint8Array;
  /** True when the text already carried credentials: they are kept as the parent ingredient of the new manifest. */
  replacedCredentials: boolean;
  credential?: OutputCredential;
}

const utf8 = new TextEncoder();
const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());
const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');

/** An assertion box and what the claim says about it. */
interface BuiltAssertion {
  label: string;
  box: Uint8Array;
}

function assertionBox(label: string, data: unknown): BuiltAssertion {
  return { label, box: superBox('cbor', label, box('cbor', encodeCbor(data))) };
}

function hashedUri(a: BuiltAssertion): { url: string; hash: Uint8Array } {
  return { url: `self#jumbf=c2pa.assertions/${a.label}`, hash: sha256(boxPayload(a.box)) };
}

interface ParentManifest {
  /** The old store's manifest boxes, kept verbatim. */
  boxes: Uint8Array[];
  label: string;
  manifestBox: JumbfBox;
  validation: { success: C2paStatus[]; informational: C2paStatus[]; failure: C2paStatus[] };
}

/**
 * Sign text: embed C2PA content credentials after its NFC-normalized form,
 * invisibly. Any later edit of the visible text makes the data hash fail.
 *
 * @param text the generated text
 * @param options certificate chain, key or signer, receipt, model, training-mining choices, watermark
 * @returns the text with its credentials, and the manifest store
 * @throws InputError `ERR_CERT_PROFILE`, `ERR_CERT_KEY_MISMATCH`, `ERR_RESERVE_SIZE`, `ERR_TSA_FAILED`, `ERR_KEY_INVALID`,
 *   `ERR_MALFORMED` (a receipt, or a previous wrapper, that cannot be decoded)
 * @throws VerificationError `ERR_DIGEST_MISMATCH` when the receipt is for other content
 * @throws TypeError when both or neither of `key` and `signer` are given
 * @example
 * ```ts
 * const record = await outputs.sign({ content: answer, mediaType: 'text/plain; charset=utf-8' });
 * const { text } = await signText(answer, { certificateChain, key, receipt: record, model: 'tiny-lm@1.0' });
 * ```
 */
export async function signText(text: string, options: SignTextOptions): Promise<SignedText> {
  if (typeof text !== 'string') throw new TypeError('"text" expected a string');
  const normalized = text.normalize('NFC');
  const found = findWrapper(normalized);
  const visibleText = found ? normalized.slice(0, found.start) + normalized.slice(found.end) : normalized;
  const visible = utf8.encode(visibleText);
  const credential = options.receipt === undefined ? undefined : outputCredential(options.receipt);
  if (credential) {
    const candidates = [utf8.encode(text), visible];
    if (!candidates.some((c) => c.length === credential.size && hex(sha256(c)) === credential.contentSha256)) {
      throw new VerificationError('ERR_DIGEST_MISMATCH', `the receipt is for other content (sha256 ${credential.contentSha256}), not this text`);
    }
  }
  const now = options.now ?? new Date();
  const identity = await signingIdentity({ ...options, now });
  const parent = found ? await parentOf(found.store, visibleText, utf8.encode(normalized.slice(0, found.start)).length, found.utf8Length) : undefined;

  const label = `urn:c2pa:${randomUUID()}`;
  const instanceId = `xmp:iid:${randomUUID()}`;
  const definition = manifestDefinition(
    {
      credential,
      model: options.model,
      trainingMining: options.trainingMining,
      watermark: options.watermark,
      manifest: options.manifest,
      parentLabel: parent ? 'parent' : undefined,
      claimGenerator: { name: 'provenant', version: provenantVersion() },
      now,
    },
    TEXT_MEDIA_TYPE,
  );
  const given = definition.assertions as { label: string; data: unknown }[];
  const assertions: BuiltAssertion[] = [];
  if (parent) {
    const ingredient = assertionBox('c2pa.ingredient.v3', {
      title: options.manifest?.title ?? 'parent text',
      format: TEXT_MEDIA_TYPE,
      relationship: 'parentOf',
      activeManifest: { url: `self#jumbf=/c2pa/${parent.label}`, hash: sha256(boxPayload(parent.manifestBox.raw)) },
      claimSignature: {
        url: `self#jumbf=/c2pa/${parent.label}/c2pa.signature`,
        hash: sha256(boxPayload(parent.manifestBox.children.find((c) => c.type === 'c2cs')!.raw)),
      },
      validationResults: { activeManifest: parent.validation },
    });
    assertions.push(ingredient);
    // The opened action names the ingredient by hashed URI, as c2pa-rs writes it.
    const actions = given[0]!.data as { actions: Record<string, unknown>[] };
    actions.actions[0] = { ...actions.actions[0], parameters: { ingredients: [hashedUri(ingredient)] } };
  }
  for (const a of given) assertions.push(assertionBox(a.label, a.data));

  const claimGenerator = { name: 'provenant', version: provenantVersion() };
  const build = (exclusionLength: number, signature: Uint8Array) => {
    const dataHash = assertionBox('c2pa.hash.data', {
      exclusions: [{ start: visible.length, length: exclusionLength }],
      name: 'c2pa text wrapper',
      alg: 'sha256',
      hash: sha256(visible),
      pad: new Uint8Array(0),
    });
    const all = [...assertions, dataHash];
    const claim = encodeCbor({
      instanceID: instanceId,
      claim_generator_info: claimGenerator,
      signature: `self#jumbf=/c2pa/${label}/c2pa.signature`,
      created_assertions: all.map(hashedUri),
      alg: 'sha256',
      ...(options.manifest?.title !== undefined ? { 'dc:title': options.manifest.title } : {}),
    });
    const manifest = superBox(
      'c2ma',
      label,
      superBox('c2as', 'c2pa.assertions', ...all.map((a) => a.box)),
      superBox('c2cl', 'c2pa.claim.v2', box('cbor', claim)),
      superBox('c2cs', 'c2pa.signature', box('cbor', signature)),
    );
    return { claim, store: superBox('c2pa', 'c2pa', ...(parent?.boxes ?? []), manifest) };
  };
  // The exclusion's length is inside the signed claim, and the wrapper's UTF-8
  // length depends on the bytes signed: reserve the longest the wrapper can
  // be for a store of this size (every byte a 4-byte selector), pad to it.
  const blankSignature = new Uint8Array(identity.reserveSize);
  let exclusion = maxWrapperUtf8Length(build(0x10000, blankSignature).store.length) + 8;
  for (let i = 0; i < 3; i++) {
    const next = maxWrapperUtf8Length(build(exclusion, blankSignature).store.length) + 8;
    if (next <= exclusion) break;
    exclusion = next;
  }
  const unsigned = build(exclusion, blankSignature);
  const callback = coseCallback(identity);
  const signature = await callback.sign(unsigned.claim);
  const { store } = build(exclusion, signature);
  return {
    text: visibleText + encodeWrapper(store, exclusion),
    visibleText,
    manifestStore: store,
    replacedCredentials: parent !== undefined,
    ...(credential ? { credential } : {}),
  };
}

async function parentOf(store: Uint8Array, visibleText: string, wrapperStart: number, wrapperLength: number): Promise<ParentManifest> {
  const root = parseJumbf(store);
  const manifests = root.children.filter((c) => c.type === 'c2ma');
  const active = manifests[manifests.length - 1];
  if (!active?.label) throw new InputError('ERR_MALFORMED', 'the text carries a C2PA wrapper without a manifest');
  const checked = validateStore(root, utf8.encode(visibleText), wrapperStart, wrapperLength, { trustAnchors: [] }, new Date());
  return { boxes: manifests.map((m) => m.raw), label: active.label, manifestBox: active, validation: (await checked).results };
}

// ---------------------------------------------------------------- reading

type Json = Record<string, unknown>;

function status(code: string, url: string, explanation: string): C2paStatus {
  return { code, url, explanation };
}

function decodeAssertion(b: JumbfBox): unknown {
  const content = b.content[0];
  if (!content) return undefined;
  try {
    if (content.type === 'cbor') return decodeCbor(content.data, { useMaps: false });
    if (content.type === 'json') return JSON.parse(new TextDecoder().decode(content.data));
  } catch {
    return undefined;
  }
  return undefined;
}

/** Bytes in JSON as the engine writes them: base64. */
function jsonable(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(jsonable);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonable(v)]));
  return value;
}

function trustOf(options: Pick<ReadCredentialsOptions, 'trustAnchors' | 'trustList'>): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const input of [options.trustAnchors, options.trustList]) {
    if (input === undefined) continue;
    for (const pem of Array.isArray(input) ? input : [input]) {
      const text = typeof pem === 'string' ? pem : new TextDecoder().decode(pem as Uint8Array);
      if (text.includes('-----BEGIN CERTIFICATE-----')) out.push(...parseCertificates(text));
    }
  }
  return out;
}

interface ManifestCheck {
  label: string;
  json: Json;
  results: { success: C2paStatus[]; informational: C2paStatus[]; failure: C2paStatus[] };
  trusted: boolean;
}

/** Validate one manifest: claim, signature and chain, hashed URIs, and (for the active one) the data hash. */
async function validateManifest(
  m: JumbfBox,
  data: { visible: Uint8Array; wrapperStart: number; wrapperLength: number } | undefined,
  anchors: readonly X509Certificate[],
  ekus: Set<string>,
  now: Date,
): Promise<ManifestCheck> {
  const label = m.label ?? '';
  const base = `self#jumbf=/c2pa/${label}`;
  const results = { success: [] as C2paStatus[], informational: [] as C2paStatus[], failure: [] as C2paStatus[] };
  const json: Json = { label, assertions: [], ingredients: [] };
  const claimBox = m.children.find((c) => c.type === 'c2cl');
  const signatureBox = m.children.find((c) => c.type === 'c2cs');
  const assertionStore = m.children.find((c) => c.type === 'c2as');
  const claimBytes = claimBox?.content.find((c) => c.type === 'cbor')?.data;
  if (!claimBytes) {
    results.failure.push(status('claim.missing', base, 'the manifest has no claim'));
    return { label, json, results, trusted: false };
  }
  let claim: Json;
  try {
    claim = decodeCbor(claimBytes, { useMaps: false, rejectDuplicateMapKeys: true }) as Json;
    if (typeof claim !== 'object' || claim === null) throw new Error('not a map');
  } catch {
    results.failure.push(status('claim.cbor.invalid', `${base}/c2pa.claim.v2`, 'the claim is not valid CBOR'));
    return { label, json, results, trusted: false };
  }
  json.claim_generator_info = [claim.claim_generator_info].filter(Boolean);
  if (typeof claim['dc:title'] === 'string') json.title = claim['dc:title'];
  json.format = TEXT_MEDIA_TYPE;
  json.instance_id = claim.instanceID;
  json.claim_version = 2;

  // The claim signature and its certificate chain.
  const sigUrl = `${base}/c2pa.signature`;
  let trusted = false;
  const coseBytes = signatureBox?.content.find((c) => c.type === 'cbor')?.data;
  if (!coseBytes) {
    results.failure.push(status('claimSignature.missing', sigUrl, 'the manifest has no claim signature'));
  } else {
    try {
      const cose = parseCose(coseBytes);
      const certs = cose.chain.map((der) => new X509Certificate(der));
      const leaf = certs[0]!;
      const key = await importPublicKey(leaf.publicKey);
      json.signature_info = {
        alg: { [-7]: 'Es256', [-35]: 'Es384', [-36]: 'Es512', [-8]: 'Ed25519' }[cose.algorithm] ?? String(cose.algorithm),
        issuer: /O=([^\n]+)/.exec(leaf.subject)?.[1],
        common_name: /CN=([^\n]+)/.exec(leaf.subject)?.[1],
        cert_serial_number: BigInt(`0x${leaf.serialNumber}`).toString(),
      };
      if (verifyCose(cose, claimBytes, key)) {
        results.success.push(status('claimSignature.validated', sigUrl, 'claim signature valid'));
      } else {
        results.failure.push(status('claimSignature.mismatch', sigUrl, 'claim signature is not valid'));
      }
      const assessed = assessSigningChain(certs, now);
      const ekuProblem = (() => {
        const leafEkus = leaf.keyUsage ?? [];
        return leafEkus.some((e) => ekus.has(e)) ? undefined : `the signing certificate's extended key usages (${leafEkus.join(', ') || 'none'}) are not accepted`;
      })();
      if (assessed.problem?.kind === 'validity') results.failure.push(status('signingCredential.expired', sigUrl, assessed.problem.message));
      else if (assessed.problem || ekuProblem) results.failure.push(status('signingCredential.invalid', sigUrl, assessed.problem?.message ?? ekuProblem!));
      else {
        results.success.push(status('claimSignature.insideValidity', sigUrl, 'claim signature valid'));
        if (chainsToAnchor(certs, anchors)) {
          trusted = true;
          results.success.push(status('signingCredential.trusted', sigUrl, 'signing certificate trusted'));
        } else {
          results.failure.push(status('signingCredential.untrusted', sigUrl, 'signing certificate untrusted'));
        }
      }
      if (cose.timestampToken) results.informational.push(status('timeStamp.unchecked', sigUrl, 'provenant does not validate time-stamps in text credentials; the certificate is checked at the current time'));
    } catch (err) {
      if (!(err instanceof ProvenantError) && !(err instanceof Error)) throw err;
      results.failure.push(status('claimSignature.mismatch', sigUrl, `the claim signature cannot be read: ${(err as Error).message}`));
    }
  }

  // Every assertion the claim names, by hashed URI.
  const boxes = new Map((assertionStore?.children ?? []).map((b) => [b.label ?? '', b]));
  const referenced = [claim.created_assertions, claim.gathered_assertions, claim.assertions].flatMap((list) => (Array.isArray(list) ? list : []));
  for (const ref of referenced as Json[]) {
    const url = typeof ref?.url === 'string' ? ref.url : '';
    const name = url.replace(/^self#jumbf=(\/c2pa\/[^/]+\/)?c2pa\.assertions\//, '');
    const target = boxes.get(name);
    const full = `${base}/c2pa.assertions/${name}`;
    if (!target) {
      results.failure.push(status('assertion.missing', full, `assertion ${name} is not in the manifest`));
      continue;
    }
    const expected = ref.hash instanceof Uint8Array ? ref.hash : undefined;
    if (expected && hex(sha256(boxPayload(target.raw))) === hex(expected)) results.success.push(status('assertion.hashedURI.match', full, `hashed uri matched: ${url}`));
    else results.failure.push(status('assertion.hashedURI.mismatch', full, `hash does not match assertion data: ${url}`));
    const decoded = decodeAssertion(target);
    (json.assertions as Json[]).push({ label: name, data: jsonable(decoded) });
    if (name.startsWith('c2pa.ingredient') && decoded && typeof decoded === 'object') {
      const ing = decoded as Json;
      const active = ing.activeManifest as Json | undefined;
      (json.ingredients as Json[]).push({
        title: ing.title,
        relationship: ing.relationship,
        ...(typeof active?.url === 'string' ? { active_manifest: active.url.replace(/^self#jumbf=\/c2pa\//, '') } : {}),
      });
    }
    if (name === 'c2pa.hash.data' && data) {
      const d = decoded as Json;
      const exclusions = Array.isArray(d?.exclusions) ? (d.exclusions as Json[]) : [];
      // The exclusion must be exactly where the wrapper is: moving it is an edit too.
      const covers = exclusions.length === 1 && exclusions[0]!.start === data.wrapperStart && exclusions[0]!.length === data.wrapperLength;
      const hash = d?.hash instanceof Uint8Array ? d.hash : undefined;
      if (covers && hash && d.alg === 'sha256' && hex(sha256(data.visible)) === hex(hash)) {
        results.success.push(status('assertion.dataHash.match', full, 'data hash valid'));
      } else {
        results.failure.push(status('assertion.dataHash.mismatch', full, covers ? 'the text does not match its data hash' : 'the data hash exclusion does not cover exactly the text wrapper'));
      }
    }
  }
  // The label order puts actions first, as the engine reports them.
  (json.assertions as Json[]).sort((a, b) => Number(String(b.label).startsWith('c2pa.actions')) - Number(String(a.label).startsWith('c2pa.actions')));
  if (data && !referenced.some((r) => typeof (r as Json)?.url === 'string' && String((r as Json).url).endsWith('/c2pa.hash.data'))) {
    results.failure.push(status('claim.hardBindings.missing', base, 'the claim has no data hash'));
  }
  return { label, json, results, trusted };
}

async function validateStore(
  root: JumbfBox,
  visible: Uint8Array,
  wrapperStart: number,
  wrapperLength: number,
  options: Pick<ReadCredentialsOptions, 'trustAnchors' | 'trustList' | 'trustConfig'>,
  now: Date,
): Promise<ManifestCheck & { all: ManifestCheck[] }> {
  const manifests = root.children.filter((c) => c.type === 'c2ma');
  if (root.type !== 'c2pa' || manifests.length === 0) throw new InputError('ERR_C2PA_UNREADABLE', 'the text wrapper carries no C2PA manifest store');
  const anchors = trustOf(options);
  const ekus = new Set((options.trustConfig ?? C2PA_TRUST_CONFIG).split(/\s+/).filter((l) => /^\d+(\.\d+)+$/.test(l)));
  const all: ManifestCheck[] = [];
  for (let i = 0; i < manifests.length; i++) {
    const active = i === manifests.length - 1;
    all.push(await validateManifest(manifests[i]!, active ? { visible, wrapperStart, wrapperLength } : undefined, anchors, ekus, now));
  }
  return { ...all[all.length - 1]!, all };
}

/**
 * Read and validate the C2PA credentials of text: find the wrapper, check
 * the claim signature, the signing chain (trusted when it reaches one of
 * `trustAnchors` or `trustList`), every assertion's hashed URI and the data
 * hash over the visible text (NFC-normalized). The result has the same
 * shape as {@link readCredentials}'s, with C2PA validation codes.
 *
 * @param text the text, as received
 * @param options trust anchors, trust list, EKU configuration, output-record keys
 * @returns the credentials, or `present: false` when the text carries no wrapper
 * @throws InputError `ERR_MALFORMED` (a wrapper or JUMBF that cannot be decoded), `ERR_C2PA_UNREADABLE`
 * @example
 * ```ts
 * const c = await readText(pasted, { trustAnchors: caPem });
 * if (c.present) console.log(c.state, c.output?.model);
 * ```
 */
export async function readText(
  text: string,
  options: Omit<ReadCredentialsOptions, 'fragment'> = {},
): Promise<C2paCredentials<typeof TEXT_MEDIA_TYPE> | NoC2paCredentials<typeof TEXT_MEDIA_TYPE>> {
  if (typeof text !== 'string') throw new TypeError('"text" expected a string');
  const found = findWrapper(text);
  if (!found) return { present: false, mediaType: TEXT_MEDIA_TYPE };
  const before = text.slice(0, found.start).normalize('NFC');
  const visible = utf8.encode(before + text.slice(found.end).normalize('NFC'));
  const root = parseJumbf(found.store);
  const checked = await validateStore(root, visible, utf8.encode(before).length, found.utf8Length, options, new Date());
  const failures = checked.all.flatMap((c) => c.results.failure);
  const state = checked.results.failure.some((s) => s.code !== 'signingCredential.untrusted') || failures.some((s) => s.code !== 'signingCredential.untrusted')
    ? 'Invalid'
    : checked.trusted
      ? 'Trusted'
      : 'Valid';
  const report: Json = {
    active_manifest: checked.label,
    manifests: Object.fromEntries(checked.all.map((c) => [c.label, c.json])),
    validation_status: failures,
    validation_results: { activeManifest: checked.results },
    validation_state: state,
  };
  // The text as generated: the visible text as received, or its NFC form (what was signed).
  const originals = [utf8.encode(text.slice(0, found.start) + text.slice(found.end)), visible];
  return credentialsOf(report, TEXT_MEDIA_TYPE, originals, options.outputKeys);
}

import { stat } from 'node:fs/promises';
import { toHex } from '../../lib/bytes.js';
import { InputError } from '../../lib/errors.js';
import { readRegularFile } from '../../lib/fs.js';
import { isObject, parseJson } from '../../lib/json.js';
import { hashFile } from '../../digest/file.js';
import { createGovernanceVerifier } from '../../governance/verifier.js';
import { memoStore } from '../../store/memo.js';
import { MAX_ENVELOPE_BYTES } from '../../envelope/types.js';
import { parseRecordId } from '../../records/id.js';
import { isDateTime } from '../../records/schema/formats.js';
import { openStore } from '../../store/open.js';
import { verifyChain, type VerifyChainOptions, type VerifyTarget } from '../../verify/chain.js';
import { DirectoryStore } from '../../store/directory.js';
import { loadPolicy, policyFromKeys, type TrustPolicy } from '../../verify/policy.js';
import { formatReportText, reportToSarif, type VerifyCheck, type VerifyReport } from '../../verify/report.js';
import { interruptSignal, loadPublicKey, parseCommandArgs, printJson, progressBar, type CliIo, type Command } from '../io.js';

const usage =
  'provenant verify TARGET|--content FILE [--receipt FILE] [--policy FILE | --trust KEY.pub...] [--store DIR|FILE.car] [--model-path DIR] [--at TIME] [--json] [--format text|json|sarif]';

type Format = 'text' | 'json' | 'sarif';

function formatOf(format: string | undefined, json: boolean | undefined): Format {
  if (format !== undefined && format !== 'text' && format !== 'json' && format !== 'sarif') {
    throw new InputError('ERR_USAGE', `--format expects text, json or sarif, got ${JSON.stringify(format)}`);
  }
  if (json && format !== undefined && format !== 'json') throw new InputError('ERR_USAGE', `--json cannot be combined with --format ${format}`);
  return json ? 'json' : (format ?? 'text');
}

function timeOf(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  if (!isDateTime(text)) throw new InputError('ERR_USAGE', `--at expects an RFC 3339 time such as 2026-01-31T12:00:00Z, got ${JSON.stringify(text)}`);
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new InputError('ERR_USAGE', `--at: ${JSON.stringify(text)} is not a time this platform can read`);
  return at;
}

function isRecordId(text: string): boolean {
  try {
    parseRecordId(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The envelope in a file's bytes: a DSSE envelope, or the one inside a
 * Sigstore bundle (an OMS `model.sig`); undefined when the bytes are not
 * JSON shaped like either (then the file is an artifact).
 */
function envelopeIn(bytes: Uint8Array): Uint8Array | undefined {
  let value;
  try {
    value = parseJson(bytes, 'envelope file');
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  if (isObject(value.dsseEnvelope)) return new TextEncoder().encode(JSON.stringify(value.dsseEnvelope));
  if (value.payload !== undefined && value.payloadType !== undefined && value.signatures !== undefined) return bytes;
  return undefined;
}

/** A target and, for a file carrying C2PA content credentials, the check of those credentials. */
interface ResolvedCliTarget {
  target: VerifyTarget;
  credentials?: VerifyCheck;
}

/**
 * A C2PA asset (an image with content credentials) that carries a provenant
 * output receipt: the chain is verified from that receipt, and the
 * credentials themselves are a check (valid manifest, and the asset without
 * its manifest is the content the receipt signs). The C2PA binding (and its
 * WASM) is loaded only for such files.
 */
async function credentialTarget(path: string, bytes: Uint8Array): Promise<ResolvedCliTarget | undefined> {
  const c2pa = await import('../../../bindings/c2pa/index.js');
  const mediaType = c2pa.sniffMediaType(bytes);
  if (mediaType === undefined) return undefined;
  const creds = await c2pa.readCredentials(bytes, mediaType);
  if (!creds.present || !creds.output) return undefined;
  const out = creds.output;
  const here = { record: path, kind: 'c2pa-asset', check: 'credentials' };
  const failures = creds.validation.failure.map((f) => f.code);
  const credentials: VerifyCheck =
    creds.state === 'Invalid'
      ? { ...here, ok: false, code: 'ERR_SIGNATURE_INVALID', message: `the C2PA manifest store is invalid: ${failures.join(', ') || 'see c2pa read'}` }
      : out.contentMatch === 'mismatch'
        ? { ...here, ok: false, code: 'ERR_DIGEST_MISMATCH', message: `the ${mediaType} without its manifest is not the output the receipt signs (edited after it was generated)` }
        : { ...here, ok: true, message: `C2PA manifest ${creds.state.toLowerCase()} (${mediaType}); it carries the receipt of ${out.kind === 'output' ? `output ${out.output}` : `batch ${out.batch} #${out.index}`}` };
  if (out.kind === 'output') return { target: out.receipt, credentials };
  if (out.original === undefined) {
    return {
      target: { sha256: out.contentSha256 },
      credentials: { ...here, ok: false, code: 'ERR_DIGEST_MISMATCH', message: `the output in ${path} cannot be recovered byte for byte to check its batch receipt (${out.contentMatch})` },
    };
  }
  return { target: { receipt: out.receipt, content: out.original }, credentials };
}

/** A record id, an envelope file, a C2PA asset, or an artifact whose digest the store is searched for. */
async function targetOf(target: string | undefined, content: string | undefined, receipt: string | undefined): Promise<ResolvedCliTarget> {
  if (receipt !== undefined) {
    if (content === undefined || target !== undefined) throw new InputError('ERR_USAGE', `--receipt FILE goes with --content FILE (the output it is for)\n\nusage: ${usage}`);
    const receiptBytes = new Uint8Array(await readRegularFile(receipt, 'read the receipt', 1024 * 1024));
    const contentBytes = new Uint8Array(await readRegularFile(content, 'read the content'));
    return { target: { receipt: receiptBytes, content: contentBytes } };
  }
  if (content !== undefined) {
    if (target !== undefined) throw new InputError('ERR_USAGE', `give TARGET or --content FILE, not both\n\nusage: ${usage}`);
    return { target: { sha256: toHex(await hashFile(content)) } };
  }
  if (target === undefined) throw new InputError('ERR_USAGE', `missing TARGET (a record id, an envelope file or an artifact)\n\nusage: ${usage}`);
  if (isRecordId(target)) return { target };
  let info;
  try {
    info = await stat(target);
  } catch {
    throw new InputError('ERR_NOT_FOUND', `${target}: neither a record id nor a file`);
  }
  if (!info.isFile()) throw new InputError('ERR_NOT_A_FILE', `${target}: not a regular file`);
  if (info.size <= MAX_ENVELOPE_BYTES) {
    const bytes = new Uint8Array(await readRegularFile(target, 'read the target', MAX_ENVELOPE_BYTES));
    const envelope = envelopeIn(bytes);
    if (envelope) return { target: envelope };
    return (await credentialTarget(target, bytes)) ?? { target: { content: bytes } };
  }
  return { target: { sha256: toHex(await hashFile(target)) } };
}

async function policyOf(policyPath: string | undefined, trust: readonly string[] | undefined, io: CliIo): Promise<TrustPolicy> {
  if (policyPath !== undefined && trust !== undefined) {
    throw new InputError('ERR_USAGE', `give --policy FILE or --trust KEY.pub, not both (a policy names its own keys)\n\nusage: ${usage}`);
  }
  if (policyPath !== undefined) return loadPolicy(policyPath);
  if (trust === undefined) io.stderr.write('provenant: no --policy and no --trust key: nothing is trusted, so no signature can verify\n');
  return policyFromKeys(await Promise.all((trust ?? []).map((path) => loadPublicKey(path))));
}

/**
 * For a policy with roles that name Sigstore identities: the Sigstore
 * binding's plug-in (loaded only then) and the store's sidecar bundles
 * (`<id>.sigstore.json` of a directory store; a CAR file carries none).
 */
async function sigstoreOptions(policy: TrustPolicy, store: object): Promise<Pick<VerifyChainOptions, 'sigstore' | 'sigstoreBundles'>> {
  if (![...policy.roles.values()].some((r) => r.sigstore?.length)) return {};
  const binding = await import('../../../bindings/sigstore/index.js');
  return {
    sigstore: binding.sigstorePolicyVerifier(),
    ...(store instanceof DirectoryStore ? { sigstoreBundles: (id: string) => store.getBundle(id) } : {}),
  };
}

export const verify: Command = {
  summary: 'verify a provenance chain against a trust policy (exit 0 verified, 1 failed, 2 bad input)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        policy: { type: 'string' },
        trust: { type: 'string', multiple: true },
        store: { type: 'string' },
        content: { type: 'string' },
        receipt: { type: 'string' },
        'model-path': { type: 'string' },
        at: { type: 'string' },
        json: { type: 'boolean' },
        format: { type: 'string' },
      },
      usage,
    );
    if (positionals.length > 1) throw new InputError('ERR_USAGE', `expected one TARGET, got ${positionals.length}\n\nusage: ${usage}`);
    const format = formatOf(values.format, values.json);
    const at = timeOf(values.at);
    const policy = await policyOf(values.policy, values.trust, io);
    const storePath = values.store ?? '.provenant';
    // A store that does not exist is a typo, not an empty chain.
    await stat(storePath).catch((err: unknown) => {
      throw new InputError('ERR_NOT_FOUND', `${storePath}: no such store (name one with --store DIR or FILE.car)`, { cause: err });
    });
    // One read per record, shared by the walk and the governance checks.
    const opened = await openStore(storePath);
    const store = memoStore(opened);
    const sigstore = await sigstoreOptions(policy, opened);
    const { target, credentials } = await targetOf(positionals[0], values.content, values.receipt);
    const progress = values['model-path'] !== undefined ? progressBar(io, 'hashing weights') : { done: () => undefined };
    const interrupt = interruptSignal();
    let report: VerifyReport;
    try {
      report = await verifyChain(target, {
        store,
        policy,
        // Governance is trusted only through the policy's genesis electorate; without one it fails closed.
        ...(policy.genesis !== undefined ? { governance: createGovernanceVerifier(store) } : {}),
        ...(at ? { at } : {}),
        ...sigstore,
        ...(values['model-path'] !== undefined ? { modelPath: values['model-path'] } : {}),
        ...('onProgress' in progress && progress.onProgress ? { onProgress: progress.onProgress } : {}),
        signal: interrupt.signal,
      });
    } finally {
      progress.done();
      interrupt.dispose();
    }
    if (credentials) {
      report = { ...report, checks: [credentials, ...report.checks], verified: report.verified && credentials.ok };
    }
    if (format === 'json') printJson(io, report);
    else if (format === 'sarif') printJson(io, reportToSarif(report));
    else io.stderr.write(formatReportText(report));
    return report.verified ? 0 : 1;
  },
};

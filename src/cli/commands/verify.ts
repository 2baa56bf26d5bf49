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
import { verifyChain, type VerifyTarget } from '../../verify/chain.js';
import { loadPolicy, policyFromKeys, type TrustPolicy } from '../../verify/policy.js';
import { formatReportText, reportToSarif, type VerifyReport } from '../../verify/report.js';
import { interruptSignal, loadPublicKey, parseCommandArgs, printJson, progressBar, type CliIo, type Command } from '../io.js';

const usage =
  'provenant verify TARGET|--content FILE [--policy FILE | --trust KEY.pub...] [--store DIR|FILE.car] [--model-path DIR] [--at TIME] [--json] [--format text|json|sarif]';

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

/** A record id, an envelope file, or an artifact whose digest the store is searched for. */
async function targetOf(target: string | undefined, content: string | undefined): Promise<VerifyTarget> {
  if (content !== undefined) {
    if (target !== undefined) throw new InputError('ERR_USAGE', `give TARGET or --content FILE, not both\n\nusage: ${usage}`);
    return { sha256: toHex(await hashFile(content)) };
  }
  if (target === undefined) throw new InputError('ERR_USAGE', `missing TARGET (a record id, an envelope file or an artifact)\n\nusage: ${usage}`);
  if (isRecordId(target)) return target;
  let info;
  try {
    info = await stat(target);
  } catch {
    throw new InputError('ERR_NOT_FOUND', `${target}: neither a record id nor a file`);
  }
  if (!info.isFile()) throw new InputError('ERR_NOT_A_FILE', `${target}: not a regular file`);
  if (info.size <= MAX_ENVELOPE_BYTES) {
    const bytes = new Uint8Array(await readRegularFile(target, 'read the target', MAX_ENVELOPE_BYTES));
    return envelopeIn(bytes) ?? { content: bytes };
  }
  return { sha256: toHex(await hashFile(target)) };
}

async function policyOf(policyPath: string | undefined, trust: readonly string[] | undefined, io: CliIo): Promise<TrustPolicy> {
  if (policyPath !== undefined && trust !== undefined) {
    throw new InputError('ERR_USAGE', `give --policy FILE or --trust KEY.pub, not both (a policy names its own keys)\n\nusage: ${usage}`);
  }
  if (policyPath !== undefined) return loadPolicy(policyPath);
  if (trust === undefined) io.stderr.write('provenant: no --policy and no --trust key: nothing is trusted, so no signature can verify\n');
  return policyFromKeys(await Promise.all((trust ?? []).map((path) => loadPublicKey(path))));
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
    const store = memoStore(await openStore(storePath));
    const target = await targetOf(positionals[0], values.content);
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
        ...(values['model-path'] !== undefined ? { modelPath: values['model-path'] } : {}),
        ...('onProgress' in progress && progress.onProgress ? { onProgress: progress.onProgress } : {}),
        signal: interrupt.signal,
      });
    } finally {
      progress.done();
      interrupt.dispose();
    }
    if (format === 'json') printJson(io, report);
    else if (format === 'sarif') printJson(io, reportToSarif(report));
    else io.stderr.write(formatReportText(report));
    return report.verified ? 0 : 1;
  },
};

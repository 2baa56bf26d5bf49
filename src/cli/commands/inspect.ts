import { stat } from 'node:fs/promises';
import { InputError } from '../../lib/errors.js';
import { isObject, parseJson, type JsonValue } from '../../lib/json.js';
import { parseEnvelope } from '../../envelope/parse.js';
import { MAX_ENVELOPE_BYTES, type ParsedEnvelope } from '../../envelope/types.js';
import { readRegularFile } from '../../lib/fs.js';
import { recordId } from '../../records/id.js';
import { OMS_PREDICATE_TYPE } from '../../records/oms/statement.js';
import { openStore } from '../../store/open.js';
import { parseCommandArgs, printJson, required, type Command } from '../io.js';

const PROVENANT_PREDICATE = /^https:\/\/provenant\.dev\/([a-z-]+)\/v1$/;

/**
 * Name a record's kind and a one-line summary from its payload, without
 * verifying anything (for listings and `inspect`).
 */
export function describeRecord(payload: Uint8Array): { kind: string; summary: string } {
  let statement: JsonValue;
  try {
    statement = parseJson(payload, 'payload');
  } catch {
    return { kind: 'unknown', summary: '(payload is not JSON)' };
  }
  if (!isObject(statement)) return { kind: 'unknown', summary: '(payload is not a statement)' };
  const predicateType = statement.predicateType;
  const predicate = isObject(statement.predicate) ? statement.predicate : {};
  const subject = Array.isArray(statement.subject) && isObject(statement.subject[0]) ? statement.subject[0] : {};
  if (predicateType === OMS_PREDICATE_TYPE) {
    const digest = isObject(subject.digest) ? String(subject.digest.sha256 ?? '') : '';
    const resources = Array.isArray(predicate.resources) ? predicate.resources.length : 0;
    return { kind: 'weights', summary: `${String(subject.name ?? '')} sha256:${digest.slice(0, 16)}… (${resources} resources)` };
  }
  const m = typeof predicateType === 'string' ? PROVENANT_PREDICATE.exec(predicateType) : null;
  if (m) {
    const name = typeof predicate.name === 'string' ? predicate.name : String(subject.name ?? '');
    const version = typeof predicate.version === 'string' ? `@${predicate.version}` : '';
    return { kind: m[1]!, summary: `${name}${version}` };
  }
  return { kind: 'unknown', summary: `predicateType ${JSON.stringify(predicateType)}` };
}

/** Read an envelope from a file: a DSSE envelope, or a Sigstore bundle holding one (e.g. OMS model.sig). */
async function envelopeFromFile(path: string): Promise<ParsedEnvelope> {
  // Refuse an oversized file before reading it (a huge file would otherwise be read whole first).
  const bytes = await readRegularFile(path, 'read the record file', MAX_ENVELOPE_BYTES);
  const value = parseJson(bytes, path);
  if (isObject(value) && value.dsseEnvelope !== undefined) return parseEnvelope(value.dsseEnvelope);
  return parseEnvelope(value);
}

const usage = 'provenant inspect ID|FILE [--store DIR|FILE.car] [--json]';

export const inspect: Command = {
  summary: 'print any record or envelope in readable form (does not verify)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { store: { type: 'string' }, json: { type: 'boolean' } }, usage);
    const target = required(positionals[0], 'ID or FILE', usage);
    let parsed: ParsedEnvelope;
    let source: string;
    const isFile = await stat(target).then(
      (s) => s.isFile(),
      () => false,
    );
    if (isFile) {
      parsed = await envelopeFromFile(target);
      source = target;
    } else {
      if (target.includes('/') || target.endsWith('.json') || target.endsWith('.sig')) {
        throw new InputError('ERR_NOT_FOUND', `${target}: no such file`);
      }
      const store = await openStore(values.store);
      parsed = await store.get(target);
      source = store.location;
    }
    const id = recordId(parsed.payload).toString();
    const { kind, summary } = describeRecord(parsed.payload);
    let statement: unknown;
    try {
      statement = JSON.parse(new TextDecoder().decode(parsed.payload));
    } catch {
      statement = null;
    }
    const signatures = parsed.signatures.map((s) => ({ keyid: s.keyid ?? null, bytes: s.sig.length }));
    if (values.json) {
      printJson(io, { id, kind, source, payloadType: parsed.payloadType, signatures, statement, verified: false });
      return 0;
    }
    const lines = [
      `id           ${id}`,
      `kind         ${kind}  ${summary}`,
      `source       ${source}`,
      `payloadType  ${parsed.payloadType}`,
      `signatures   ${signatures.length} (${signatures.map((s) => s.keyid ?? 'no keyid').join(', ')}); not verified by inspect`,
      '',
      statement === null ? '(payload is not JSON)' : JSON.stringify(statement, null, 2),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

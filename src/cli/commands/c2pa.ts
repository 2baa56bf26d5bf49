import { existsSync } from 'node:fs';
import { InputError } from '../../lib/errors.js';
import { writeFileAtomic } from '../../lib/fs.js';
import { parseRecordId } from '../../records/id.js';
import { openStore } from '../../store/open.js';
import { loadPublicKey, parseCommandArgs, printJson, readInput, required, runSubcommand, type CliIo, type Command } from '../io.js';

// The binding, and with it the C2PA engine (WebAssembly), loads only when a c2pa command runs.
type C2pa = typeof import('../../../bindings/c2pa/index.js');
const loadBinding = (): Promise<C2pa> => import('../../../bindings/c2pa/index.js');

const USES = ['allowed', 'notAllowed', 'constrained'] as const;
type Use = (typeof USES)[number];

function use(value: string | undefined, flag: string): Use | undefined {
  if (value === undefined) return undefined;
  if (!(USES as readonly string[]).includes(value)) throw new InputError('ERR_USAGE', `${flag} expects allowed, notAllowed or constrained, got ${JSON.stringify(value)}`);
  return value as Use;
}

/** The media type of FILE: --format, else its first bytes, else its extension. */
function formatOf(c2pa: C2pa, bytes: Uint8Array, path: string, format: string | undefined): string {
  if (format !== undefined) return c2pa.normalizeMediaType(format);
  const type = c2pa.sniffMediaType(bytes) ?? c2pa.mediaTypeOfPath(path);
  if (type === undefined) {
    throw new InputError('ERR_UNSUPPORTED_FORMAT', `${path}: not a format C2PA credentials can be embedded in here (name one with --format, or use --text for text)`);
  }
  return type;
}

/** `--receipt R`: a file (receipt JSON or CBOR, or an output record's envelope), or a record id in the store. */
async function receiptOf(value: string | undefined, store: string | undefined): Promise<Uint8Array | undefined> {
  if (value === undefined) return undefined;
  if (existsSync(value)) return readInput(value, 'receipt');
  let id;
  try {
    id = parseRecordId(value);
  } catch {
    throw new InputError('ERR_NOT_FOUND', `--receipt ${value}: neither a file nor a record id`);
  }
  return (await (await openStore(store)).get(id)).envelopeBytes;
}

const signUsage =
  'provenant c2pa sign FILE --cert CHAIN.pem --key KEY [--out FILE] [--receipt R] [--model NAME@VERSION] [--tsa URL] [--text] [--format TYPE] [--training USE] [--inference USE] [--mining USE] [--watermark-alg ALG --watermark ID] [--title T] [--store DIR] [--json]';

const sign: Command = {
  summary: 'embed signed C2PA content credentials in an image (or, with --text, in text); FILE is replaced only when --out is not given',
  usage: signUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        cert: { type: 'string' },
        key: { type: 'string', short: 'k' },
        out: { type: 'string', short: 'o' },
        receipt: { type: 'string' },
        model: { type: 'string' },
        tsa: { type: 'string' },
        text: { type: 'boolean' },
        format: { type: 'string' },
        training: { type: 'string' },
        inference: { type: 'string' },
        mining: { type: 'string' },
        'watermark-alg': { type: 'string' },
        watermark: { type: 'string' },
        title: { type: 'string' },
        store: { type: 'string' },
        json: { type: 'boolean' },
      },
      signUsage,
    );
    const file = required(positionals[0], 'FILE', signUsage);
    if (positionals.length > 1) throw new InputError('ERR_USAGE', `one FILE at a time, got ${positionals.length}\n\nusage: ${signUsage}`);
    const chainPath = required(values.cert, '--cert CHAIN.pem', signUsage);
    const keyPath = required(values.key, '--key KEY', signUsage);
    if ((values.watermark === undefined) !== (values['watermark-alg'] === undefined)) {
      throw new InputError('ERR_USAGE', `--watermark and --watermark-alg go together\n\nusage: ${signUsage}`);
    }
    if (values.text && values.format !== undefined) throw new InputError('ERR_USAGE', '--text and --format cannot be combined');
    const training = use(values.training, '--training');
    const trainingMining = {
      ...(training ? { aiTraining: training, aiGenerativeTraining: training } : {}),
      ...(use(values.inference, '--inference') ? { aiInference: use(values.inference, '--inference') } : {}),
      ...(use(values.mining, '--mining') ? { dataMining: use(values.mining, '--mining') } : {}),
    };
    const out = values.out ?? file;
    const [input, chain, key, receipt] = await Promise.all([
      readInput(file, values.text ? 'text' : 'image'),
      readInput(chainPath, 'certificate chain'),
      readInput(keyPath, 'private key'),
      receiptOf(values.receipt, values.store),
    ]);
    const c2pa = await loadBinding();
    const common = {
      certificateChain: chain,
      key,
      ...(receipt ? { receipt } : {}),
      ...(values.model !== undefined ? { model: values.model } : {}),
      ...(values.tsa !== undefined ? { timestampUrl: values.tsa } : {}),
      trainingMining,
      ...(values.watermark !== undefined ? { watermark: { alg: values['watermark-alg']!, value: values.watermark } } : {}),
      ...(values.title !== undefined ? { manifest: { title: values.title } } : {}),
    };
    let written: Uint8Array;
    let summary: Record<string, unknown>;
    if (values.text) {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(input);
      } catch (err) {
        throw new InputError('ERR_ASSET_MALFORMED', `${file}: not UTF-8 text`, { cause: err });
      }
      const signed = await c2pa.signText(text, common);
      written = new TextEncoder().encode(signed.text);
      summary = { mediaType: 'text/plain', manifestBytes: signed.manifestStore.length, replacedCredentials: signed.replacedCredentials };
    } else {
      const mediaType = formatOf(c2pa, input, file, values.format);
      const signed = await c2pa.signImage(input, mediaType, common);
      written = signed.bytes;
      summary = { mediaType: signed.mediaType, manifestBytes: signed.manifestStore.length, hadCredentials: signed.hadCredentials };
    }
    // Written whole to a temporary file, then renamed: FILE (or --out) is either untouched or complete.
    await writeFileAtomic(out, written);
    const credential = receipt ? c2pa.outputCredential(receipt) : undefined;
    if (values.json) {
      printJson(io, {
        out,
        ...summary,
        bytes: written.length,
        ...(credential ? { output: credential.output ?? null, batch: credential.batch ?? null, model: credential.model } : {}),
      });
    } else {
      io.stdout.write(`${out}\n`);
      io.stderr.write(
        `signed ${out} (${String(summary.mediaType)}, ${written.length} bytes, manifest store ${String(summary.manifestBytes)} bytes)` +
          `${summary.hadCredentials || summary.replacedCredentials ? ', previous credentials kept as ingredient' : ''}` +
          `${credential ? `; receipt: ${credential.kind} ${credential.output ?? credential.batch}, model ${credential.model}` : ''}\n`,
      );
    }
    return 0;
  },
};

const readUsage = 'provenant c2pa read FILE [--text] [--format TYPE] [--trust CA.pem...] [--trust-list FILE] [--output-key KEY.pub...] [--json]';

function describeAgent(agent: unknown): string {
  if (typeof agent === 'string') return agent;
  if (agent && typeof agent === 'object' && 'name' in agent) {
    const { name, version } = agent as { name: string; version?: string };
    return version ? `${name} ${version}` : name;
  }
  return '';
}

function reportText(io: CliIo, file: string, result: Awaited<ReturnType<C2pa['readCredentials']>> | Awaited<ReturnType<C2pa['readText']>>): void {
  if (!result.present) {
    io.stderr.write(`${file}: no C2PA credentials (${result.mediaType})\n`);
    return;
  }
  const lines = [`${file}: ${result.state} (${result.mediaType}, ${result.manifests.length} manifest${result.manifests.length === 1 ? '' : 's'})`];
  const sig = result.active.signature;
  lines.push(`  active manifest ${result.activeLabel}`);
  lines.push(`    claim generator: ${result.active.claimGenerator.join(', ')}`);
  if (sig) lines.push(`    signed by ${sig.commonName ?? '?'}${sig.issuer ? ` (${sig.issuer})` : ''}, ${sig.algorithm ?? '?'}${sig.time ? `, time-stamped ${sig.time}` : ''}`);
  for (const a of result.active.actions) {
    const source = a.digitalSourceType ? ` [${a.digitalSourceType.replace(/^.*\//, '')}]` : '';
    const agent = describeAgent(a.softwareAgent);
    lines.push(`    action ${a.action}${source}${agent ? ` by ${agent}` : ''}`);
  }
  if (result.active.trainingMining) {
    lines.push(`    training and mining: ${Object.entries(result.active.trainingMining).map(([k, v]) => `${k.replace(/^(cawg|c2pa)\./, '')}=${v}`).join(', ')}`);
  }
  for (const b of result.active.softBindings) lines.push(`    soft binding ${b.alg}: ${b.value}`);
  for (const i of result.active.ingredients) lines.push(`    ingredient ${i.title ?? '?'} (${i.relationship ?? '?'})${i.manifest ? ` manifest ${i.manifest}` : ''}`);
  if (result.output) {
    const o = result.output;
    lines.push(`  provenant receipt (${o.kind}): ${o.kind === 'output' ? `output record ${o.output}` : `batch ${o.batch} #${o.index}`}`);
    lines.push(`    model record ${o.model}, made ${o.created}`);
    lines.push(
      `    content: ${o.contentMatch === 'match' ? 'the image without its manifest is exactly the signed output' : o.contentMatch === 'mismatch' ? 'DIFFERS from the signed output (edited since, or another output\'s receipt)' : 'not checked for this format'}`,
    );
    if (o.verified) lines.push(`    receipt verified: signed by ${o.verified.signedBy.join(', ')}`);
    if (o.verifyError) lines.push(`    receipt NOT verified: ${o.verifyError.code}: ${o.verifyError.message}`);
    for (const p of o.problems) lines.push(`    problem: ${p}`);
    lines.push(`    continue with: provenant verify ${o.output ?? o.batch} --store DIR --trust KEY.pub`);
  }
  if (result.outputError) lines.push(`  provenant assertion unreadable: ${result.outputError.code}: ${result.outputError.message}`);
  for (const s of result.status) lines.push(`  ${s.code}: ${s.explanation ?? ''}${s.url ? ` (${s.url})` : ''}`);
  io.stderr.write(`${lines.join('\n')}\n`);
}

const read: Command = {
  summary: 'read and validate the C2PA credentials of a file: Trusted, Valid or Invalid, every validation code, the provenant receipt',
  usage: readUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        text: { type: 'boolean' },
        format: { type: 'string' },
        trust: { type: 'string', multiple: true },
        'trust-list': { type: 'string' },
        'output-key': { type: 'string', multiple: true },
        json: { type: 'boolean' },
      },
      readUsage,
    );
    const file = required(positionals[0], 'FILE', readUsage);
    if (values.text && values.format !== undefined) throw new InputError('ERR_USAGE', '--text and --format cannot be combined');
    const [input, anchors, list, keys] = await Promise.all([
      readInput(file, values.text ? 'text' : 'file'),
      Promise.all((values.trust ?? []).map((p) => readInput(p, 'trust anchors'))),
      values['trust-list'] === undefined ? undefined : readInput(values['trust-list'], 'trust list'),
      Promise.all((values['output-key'] ?? []).map((p) => loadPublicKey(p))),
    ]);
    const c2pa = await loadBinding();
    const options = {
      ...(anchors.length ? { trustAnchors: anchors } : {}),
      ...(list ? { trustList: list } : {}),
      ...(keys.length ? { outputKeys: keys } : {}),
    };
    let result;
    if (values.text) {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(input);
      } catch (err) {
        throw new InputError('ERR_ASSET_MALFORMED', `${file}: not UTF-8 text`, { cause: err });
      }
      result = await c2pa.readText(text, options);
    } else {
      result = await c2pa.readCredentials(input, formatOf(c2pa, input, file, values.format), options);
    }
    // Trusted passes; Valid passes unless trust anchors were named (then the signer had to chain to one).
    const trustAsked = anchors.length > 0 || list !== undefined;
    const ok =
      result.present &&
      (result.state === 'Trusted' || (result.state === 'Valid' && !trustAsked)) &&
      (keys.length === 0 || (result.output?.verified !== undefined && result.output.contentMatch !== 'mismatch'));
    if (values.json) {
      const { report, ...rest } = result.present ? result : { ...result, report: undefined };
      printJson(io, {
        file,
        ...rest,
        ...(result.present && result.output ? { output: { ...result.output, receipt: Buffer.from(result.output.receipt).toString('base64'), verified: result.output.verified ? { kind: result.output.verified.kind, model: result.output.verified.model, signedBy: result.output.verified.signedBy } : undefined } } : {}),
        ...(report !== undefined ? { manifestStore: report } : {}),
      });
    } else {
      io.stdout.write(`${result.present ? result.state : 'none'}\n`);
      reportText(io, file, result);
      if (result.present && result.state === 'Valid' && trustAsked) io.stderr.write('  the signer does not chain to any --trust anchor: not trusted\n');
    }
    return ok ? 0 : 1;
  },
};

export const c2pa: Command = {
  summary: 'C2PA content credentials: sign images and text, read and validate anyone\'s (c2pa sign|read)',
  usage: 'provenant c2pa <sign|read> ...',
  run: (argv, io) => runSubcommand('c2pa', { sign, read }, argv, io),
};

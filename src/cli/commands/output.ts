import { approvedParameterLimits } from '../../governance/verifier.js';
import { InputError } from '../../lib/errors.js';
import { createOutputSigner } from '../../outputs/signer.js';
import { openWritableStore } from './store.js';
import { checkKeylessFlags, ephemeralSigner, keylessFlags, storeKeyless } from './keyless.js';
import { loadSigners, parseCommandArgs, printJson, readInput, required, runSubcommand, type Command } from '../io.js';

/** A `--param name=value` flag: numbers and booleans as such, anything else as text. */
function parseParam(text: string): [string, string | number | boolean] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InputError('ERR_USAGE', `--param expects name=value, got ${JSON.stringify(text)}`);
  const name = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  if (raw === 'true' || raw === 'false') return [name, raw === 'true'];
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw) && Number.isFinite(Number(raw))) return [name, Number(raw)];
  return [name, raw];
}

const signUsage =
  'provenant output sign FILE --model ID (--key KEY | --sigstore [--oidc-token TOKEN|FILE] [--fulcio-url URL] [--rekor-url URL] [--rekor-entry-type dsse|intoto] [--tsa-url URL]) ' +
  '[--media-type TYPE] [--param NAME=VALUE...] [--prompt FILE --secret FILE] [--genesis ID] [--at TIME] [--store DIR] [--json]';
const sign: Command = {
  summary: 'sign a generated output into an output record linking its model',
  usage: signUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        model: { type: 'string' },
        key: { type: 'string', short: 'k', multiple: true },
        'media-type': { type: 'string' },
        param: { type: 'string', multiple: true },
        prompt: { type: 'string' },
        secret: { type: 'string' },
        genesis: { type: 'string', multiple: true },
        at: { type: 'string' },
        store: { type: 'string' },
        json: { type: 'boolean' },
        ...keylessFlags,
      },
      signUsage,
    );
    checkKeylessFlags(values, signUsage);
    const file = required(positionals[0], 'FILE', signUsage);
    const model = required(values.model, '--model ID', signUsage);
    // Keyless: the record is built with a throwaway key, then signed with Sigstore (the throwaway signature is dropped).
    const signers = values.sigstore ? [await ephemeralSigner()] : await loadSigners(required(values.key, '--key KEY (or --sigstore)', signUsage));
    if ((values.prompt === undefined) !== (values.secret === undefined)) {
      throw new InputError('ERR_USAGE', `--prompt and --secret go together: the prompt is recorded only as a salted digest\n\nusage: ${signUsage}`);
    }
    const at = values.at !== undefined ? new Date(values.at) : new Date();
    if (!Number.isFinite(at.getTime())) throw new InputError('ERR_USAGE', `--at expects an RFC 3339 time, got ${JSON.stringify(values.at)}`);
    const store = await openWritableStore(values.store);
    const content = await readInput(file, 'output');
    // With --genesis, the limits that governance approved (set-parameter) are enforced before signing.
    const limits = values.genesis ? await approvedParameterLimits(store, { genesis: values.genesis, at }) : [];
    const signer = await createOutputSigner({
      model,
      signers,
      limits,
      ...(values.sigstore ? {} : { store }),
      clock: () => at,
      ...(values.secret !== undefined ? { secret: (await readInput(values.secret, 'prompt secret')).toString('utf8').trim() } : {}),
    });
    const parameters = Object.fromEntries((values.param ?? []).map(parseParam));
    const signed = await signer.sign({
      content,
      mediaType: values['media-type'] ?? 'text/plain; charset=utf-8',
      parameters,
      ...(values.prompt !== undefined ? { prompt: await readInput(values.prompt, 'prompt') } : {}),
    });
    await signer.close();
    const keyless = values.sigstore ? await storeKeyless(signed, values, store) : undefined;
    if (values.json) {
      printJson(io, {
        id: signed.id.toString(),
        kind: 'output',
        model,
        sha256: signed.contentSha256,
        limits: limits.length,
        store: store.location,
        ...(keyless?.identity ? { identity: keyless.identity } : {}),
      });
    } else {
      io.stdout.write(`${signed.id}\n`);
      io.stderr.write(`output ${file} (sha256 ${signed.contentSha256}) signed for model ${model}${limits.length ? `, within ${limits.length} approved limit(s)` : ''}\n`);
    }
    return 0;
  },
};

export const output: Command = {
  summary: 'sign generated outputs (sign)',
  usage: 'provenant output <sign> ...',
  run: (argv, io) => runSubcommand('output', { sign }, argv, io),
};

import { resolve } from 'node:path';
import { InputError, ProvenantError, VerificationError } from '../../lib/errors.js';
import type { PublicKey } from '../../envelope/keys.js';
import { parseRecordId } from '../../records/id.js';
import { attestModel } from '../../records/model.js';
import { defaultSignaturePath } from '../../records/oms/sign-model.js';
import { verifyModel, type VerifiedModel } from '../../records/oms/verify-model.js';
import { openWritableStore } from './store.js';
import { checkKeylessFlags, ephemeralSigner, keylessFlags, storeKeyless } from './keyless.js';
import { interruptSignal, loadPublicKey, loadSigners, parseCommandArgs, printJson, progressBar, recordFlags, required, type Command } from '../io.js';

const usage =
  'provenant model attest MODEL_PATH --name N --version V (--key KEY [--key KEY...] | --sigstore [--oidc-token TOKEN|FILE] [--fulcio-url URL] [--rekor-url URL] [--rekor-entry-type dsse|intoto] [--tsa-url URL]) [--weights model.sig] [--dataset ID...] [--parent ID...] ' +
  '[--card FILE] [--training-config FILE] [--license L] [--format F] [--trust KEY.pub...] [--store DIR] [--json]';

/**
 * Check the weights on disk against their OMS signature with whichever
 * trusted key the signature names, so a model record never vouches for
 * weights that are not there.
 */
async function verifyWeightsOnDisk(
  modelPath: string,
  signature: string,
  keys: readonly PublicKey[],
  signal: AbortSignal,
  onProgress: Parameters<typeof verifyModel>[1]['onProgress'],
): Promise<VerifiedModel> {
  let last: unknown;
  for (const key of keys) {
    try {
      return await verifyModel(modelPath, { key, signature, signal, ...(onProgress ? { onProgress } : {}) });
    } catch (err) {
      if (err instanceof ProvenantError && (err.code === 'ERR_KEY_MISMATCH' || err.code === 'ERR_SIGNATURE_INVALID')) {
        last = err;
        continue;
      }
      throw err;
    }
  }
  throw new VerificationError('ERR_LINK_UNVERIFIED', `the weights signature ${signature} is not signed by a trusted key (--key or --trust)`, {
    cause: last,
  });
}

export const attest: Command = {
  summary: 'write a signed model record linking weights, datasets, parents and model card',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        ...recordFlags,
        weights: { type: 'string' },
        dataset: { type: 'string', multiple: true },
        parent: { type: 'string', multiple: true },
        card: { type: 'string' },
        'training-config': { type: 'string' },
        format: { type: 'string' },
        trust: { type: 'string', multiple: true },
        ...keylessFlags,
      },
      usage,
    );
    const modelPath = required(positionals[0], 'MODEL_PATH', usage);
    const name = required(values.name, '--name N', usage);
    const version = required(values.version, '--version V', usage);
    checkKeylessFlags(values, usage);
    // Keyless: the record is built with a throwaway key whose signature is dropped for the Sigstore one;
    // the weights signature and linked records are checked with the --trust keys only.
    if (values.sigstore && values.trust === undefined) throw new InputError('ERR_USAGE', `--sigstore needs --trust KEY.pub (the key of the weights signature)\n\nusage: ${usage}`);
    const signers = values.sigstore ? [await ephemeralSigner()] : await loadSigners(required(values.key, '--key KEY (or --sigstore)', usage));
    const trusted = [...(values.sigstore ? [] : signers.map((s) => s.publicKey)), ...(await Promise.all((values.trust ?? []).map((k) => loadPublicKey(k))))];
    // A malformed id is bad usage (exit 2), not a failed verification.
    for (const id of [...(values.dataset ?? []), ...(values.parent ?? [])]) parseRecordId(id);
    const weights = resolve(values.weights ?? (await defaultSignaturePath(modelPath)));
    const store = await openWritableStore(values.store);
    const progress = progressBar(io, 'verifying weights');
    const interrupt = interruptSignal();
    try {
      await verifyWeightsOnDisk(modelPath, weights, trusted, interrupt.signal, progress.onProgress);
      progress.done();
      const record = await attestModel({
        name,
        version,
        weights,
        signers,
        store,
        trustedKeys: trusted,
        ...(values.dataset ? { datasets: values.dataset } : {}),
        ...(values.parent ? { parents: values.parent } : {}),
        ...(values.card !== undefined ? { card: values.card } : {}),
        ...(values['training-config'] !== undefined ? { trainingConfig: values['training-config'] } : {}),
        ...(values.license !== undefined ? { license: values.license } : {}),
        ...(values.format !== undefined ? { format: values.format } : {}),
        signal: interrupt.signal,
      });
      const weightsId = await store.put(record.weights.envelopeBytes);
      const keyless = values.sigstore ? await storeKeyless(record, values, store) : undefined;
      const id = keyless ? keyless.id : await store.put(record.envelopeBytes);
      if (values.json) {
        printJson(io, {
          id: id.toString(),
          kind: 'model',
          name,
          version,
          weights: weightsId.toString(),
          datasets: record.datasets.map((d) => d.id.toString()),
          parents: record.parents.map((p) => p.id.toString()),
          store: store.location,
          ...(keyless?.identity ? { identity: keyless.identity } : {}),
        });
      } else {
        io.stdout.write(`${id.toString()}\n`);
        io.stderr.write(
          `model ${name}@${version}: weights ${weightsId.toString()}, ${record.datasets.length} datasets, ${record.parents.length} parents, stored in ${store.location}\n`,
        );
      }
      return 0;
    } finally {
      progress.done();
      interrupt.dispose();
    }
  },
};

import { utf8 } from '../../lib/bytes.js';
import { InputError } from '../../lib/errors.js';
import { generateKeyPair, importSigner, type Signer } from '../../envelope/keys.js';
import { DirectoryStore } from '../../store/directory.js';
import type { WritableRecordStore } from '../../store/types.js';
import type { CID } from 'multiformats/cid';
import { readInput } from '../io.js';

/**
 * `--sigstore` on the record-signing commands (`dataset attest`, `model
 * attest`): the record is signed keylessly (OIDC token, Fulcio, Rekor, an
 * optional timestamp authority), its plain DSSE envelope goes into the store
 * and its Sigstore bundle into the store's sidecar `<id>.sigstore.json`.
 */
export const keylessFlags = {
  sigstore: { type: 'boolean' },
  'oidc-token': { type: 'string' },
  'fulcio-url': { type: 'string' },
  'rekor-url': { type: 'string' },
  'rekor-entry-type': { type: 'string' },
  'tsa-url': { type: 'string' },
} as const;

/** The usage text of the flags. */
export const KEYLESS_USAGE =
  '--sigstore [--oidc-token TOKEN|FILE] [--fulcio-url URL] [--rekor-url URL] [--rekor-entry-type dsse|intoto] [--tsa-url URL]';

interface KeylessValues {
  key?: string[] | undefined;
  sigstore?: boolean | undefined;
  'oidc-token'?: string | undefined;
  'fulcio-url'?: string | undefined;
  'rekor-url'?: string | undefined;
  'rekor-entry-type'?: string | undefined;
  'tsa-url'?: string | undefined;
  store?: string | undefined;
}

/** Check the flags: `--key` or `--sigstore`, service flags only with `--sigstore`. */
export function checkKeylessFlags(values: KeylessValues, usage: string): void {
  if (values.sigstore && values.key !== undefined) throw new InputError('ERR_USAGE', `--key and --sigstore exclude each other\n\nusage: ${usage}`);
  if (!values.sigstore) {
    const stray = (['oidc-token', 'fulcio-url', 'rekor-url', 'rekor-entry-type', 'tsa-url'] as const).filter((f) => values[f] !== undefined);
    if (stray.length) throw new InputError('ERR_USAGE', `${stray.map((f) => `--${f}`).join(', ')} needs --sigstore\n\nusage: ${usage}`);
    return;
  }
  const entryType = values['rekor-entry-type'];
  if (entryType !== undefined && entryType !== 'dsse' && entryType !== 'intoto') {
    throw new InputError('ERR_USAGE', `--rekor-entry-type expects dsse or intoto, got ${JSON.stringify(entryType)}`);
  }
}

/**
 * A throwaway signer for building the record before the keyless signature:
 * its signature is dropped (the stored envelope carries only the Sigstore one).
 */
export async function ephemeralSigner(): Promise<Signer> {
  return importSigner(generateKeyPair('ed25519').privateKeyPem);
}

/**
 * Sign a record keylessly and store it: the bundle's DSSE envelope (same
 * payload and payloadType, so the same record id) in the store, the bundle
 * in the sidecar.
 *
 * @returns the record id and who the certificate was issued to
 */
export async function storeKeyless(
  record: { payload: Uint8Array; envelope: { payloadType: string } },
  values: KeylessValues,
  store: WritableRecordStore,
): Promise<{ id: CID; identity?: { san: string; issuer: string | undefined } }> {
  if (!(store instanceof DirectoryStore)) throw new InputError('ERR_USAGE', '--sigstore needs a directory store (its bundles are sidecar files)');
  const token = values['oidc-token'];
  const identityToken =
    token === undefined
      ? undefined
      : /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token.trim())
        ? token.trim()
        : new TextDecoder().decode(await readInput(token, 'OIDC token file')).trim();
  const entryType = values['rekor-entry-type'] as 'dsse' | 'intoto' | undefined;
  const binding = await import('../../../bindings/sigstore/index.js');
  const signed = await binding.signWithSigstore(record, {
    ...(identityToken !== undefined ? { identityToken } : {}),
    ...(values['fulcio-url'] ? { fulcioUrl: values['fulcio-url'] } : {}),
    ...(values['rekor-url'] ? { rekorUrl: values['rekor-url'] } : {}),
    ...(entryType ? { rekorEntryType: entryType } : {}),
    ...(values['tsa-url'] ? { tsaUrl: values['tsa-url'] } : {}),
  });
  const dsse = signed.bundle.dsseEnvelope;
  if (!dsse) throw new InputError('ERR_SIGSTORE_SERVICE', 'the Sigstore bundle carries no DSSE envelope');
  const id = await store.put(utf8(JSON.stringify(dsse)));
  await store.putBundle(id, utf8(JSON.stringify(signed.bundle)));
  return { id, ...(signed.identity ? { identity: signed.identity } : {}) };
}

import {
  CIContextProvider,
  DSSEBundleBuilder,
  FulcioSigner,
  InternalError,
  RekorWitness,
  TSAWitness,
  type IdentityProvider,
  type Signer as SigstoreSigner,
  type Witness,
} from '@sigstore/sign';
import { InputError, omsKeyHint, type Signer } from 'provenant';
import { bundleToJson, type BundleMessage, type SigstoreBundleJson } from './bundle.js';
import { certificateIdentity } from './certificate.js';
import type { SigstoreIdentity } from './identity.js';

/** The public-good Sigstore services (the defaults of keyless signing). */
export const PUBLIC_GOOD_URLS = Object.freeze({
  fulcio: 'https://fulcio.sigstore.dev',
  rekor: 'https://rekor.sigstore.dev',
  tsa: 'https://timestamp.sigstore.dev',
});

/** Network behaviour shared by both signing modes. */
export interface SigstoreNetworkOptions {
  /** An RFC 3161 timestamp authority to countersign with (e.g. `https://timestamp.sigstore.dev`). Default: none. */
  tsaUrl?: string;
  /** Per-request timeout in milliseconds (default 30,000). */
  timeoutMs?: number;
  /** Retries of a failed request (default 2). */
  retries?: number;
}

/**
 * Keyless signing: an OIDC identity token buys a short-lived Fulcio
 * certificate for an ephemeral key; the signature goes to Rekor.
 */
export interface KeylessSigningOptions extends SigstoreNetworkOptions {
  /**
   * The OIDC identity token (a JWT). Default: ambient CI credentials, found
   * by @sigstore/sign's `CIContextProvider` (GitHub Actions' OIDC endpoint,
   * or the `SIGSTORE_ID_TOKEN` environment variable).
   */
  identityToken?: string;
  /** Or something that fetches a token (takes precedence over `identityToken`). */
  identityProvider?: IdentityProvider;
  /** Fulcio (default the public-good instance). */
  fulcioUrl?: string;
  /** Rekor (default the public-good instance); `false` writes no transparency-log entry. */
  rekorUrl?: string | false;
  /** The Rekor entry kind to write (default `dsse`; `intoto` for older logs). */
  rekorEntryType?: 'dsse' | 'intoto';
  /** The audience of the ambient CI token (default `sigstore`). */
  audience?: string;
}

/** Local-key signing: a `publicKey.hint` bundle, no Fulcio, no Rekor. */
export interface KeySigningOptions extends SigstoreNetworkOptions {
  /** The signer (a local key, a KMS...). */
  signer: Signer;
  /** The `publicKey.hint` to write. Default: OMS's (hex SHA-256 of the SPKI PEM), as `model_signing` writes. */
  hint?: string;
}

/** How {@link signWithSigstore} signs. */
export type SigstoreSigningOptions = KeylessSigningOptions | KeySigningOptions;

/**
 * What can be signed: exact payload bytes and their DSSE payloadType; a
 * `StoredRecord` or `ParsedEnvelope` (which have both), or a `CreatedRecord`
 * (whose envelope has the payloadType).
 */
export type SigstoreSignable = { payload: Uint8Array; payloadType: string } | { payload: Uint8Array; envelope: { payloadType: string } };

/** What {@link signWithSigstore} produced. */
export interface SigstoreSignature {
  /** The Sigstore bundle v0.3, JSON form. */
  bundle: SigstoreBundleJson;
  /** Keyless: the Fulcio certificate (PEM) and who it was issued to. */
  certificate?: string;
  identity?: SigstoreIdentity;
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function isKeySigning(options: SigstoreSigningOptions): options is KeySigningOptions {
  return (options as KeySigningOptions).signer !== undefined;
}

function serviceError(err: unknown): Error {
  if (err instanceof InternalError) {
    if (err.code === 'IDENTITY_TOKEN_READ_ERROR' || err.code === 'IDENTITY_TOKEN_PARSE_ERROR') {
      const why = err.cause instanceof Error ? err.cause.message : typeof err.cause === 'string' ? err.cause : err.message;
      return new InputError(
        'ERR_OIDC_TOKEN',
        `no usable OIDC identity token (${why}): give one, or sign where ambient credentials exist ` +
          '(GitHub Actions with `id-token: write`, or the SIGSTORE_ID_TOKEN environment variable)',
        { cause: err },
      );
    }
    return new InputError('ERR_SIGSTORE_SERVICE', `Sigstore signing failed: ${err.message}`, { cause: err });
  }
  if (err instanceof InputError) return err;
  return new InputError('ERR_SIGSTORE_SERVICE', `Sigstore signing failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

function tokenProvider(options: KeylessSigningOptions): IdentityProvider {
  if (options.identityProvider) return options.identityProvider;
  if (options.identityToken !== undefined) {
    const token = options.identityToken.trim();
    if (!JWT.test(token)) throw new InputError('ERR_OIDC_TOKEN', 'the OIDC identity token is not a JWT (header.payload.signature)');
    return { getToken: async () => token };
  }
  return new CIContextProvider(options.audience ?? 'sigstore');
}

/**
 * Sign a DSSE payload, such as a provenant record's exact payload (any
 * record, or an OMS weights statement), as a Sigstore bundle v0.3. The
 * bundle's envelope has the same payload and payloadType as the record, so
 * the record id is unchanged; Sigstore's rules allow one signature, which is
 * the Sigstore one (the record's own signatures stay in the record).
 *
 * Keyless: OIDC token -> Fulcio certificate -> Rekor entry (+ an optional
 * RFC 3161 timestamp), URLs configurable for a private deployment. With a
 * local key: a `publicKey.hint` bundle, no Fulcio and no Rekor.
 *
 * @param record the payload and payloadType to sign (a `StoredRecord`, `ParsedEnvelope`, `CreatedRecord`...)
 * @param options keyless (token, service URLs) or local key (`signer`)
 * @returns the bundle, and for keyless the certificate and identity
 * @throws InputError `ERR_OIDC_TOKEN` (no or bad token), `ERR_SIGSTORE_SERVICE` (a service refused or was unreachable)
 * @example
 * ```ts
 * const { bundle, identity } = await signWithSigstore(record, { identityToken: process.env.OIDC_TOKEN });
 * await writeFile('record.sigstore.json', JSON.stringify(bundle));
 * ```
 */
export async function signWithSigstore(record: SigstoreSignable, options: SigstoreSigningOptions): Promise<SigstoreSignature> {
  const payload = Buffer.from(record.payload);
  const payloadType = 'payloadType' in record ? record.payloadType : record.envelope?.payloadType;
  if (typeof payloadType !== 'string') throw new TypeError('"record" expected a payloadType (or an envelope with one)');
  const fetchOptions = { timeout: options.timeoutMs ?? 30_000, retry: options.retries ?? 2 };
  const witnesses: Witness[] = [];
  let signer: SigstoreSigner;
  if (isKeySigning(options)) {
    const local = options.signer;
    const hint = options.hint ?? omsKeyHint(local.publicKey);
    signer = {
      sign: async (data: Buffer) => ({
        signature: Buffer.from(await local.sign(new Uint8Array(data))),
        key: { $case: 'publicKey', publicKey: local.publicKey.pem, hint },
      }),
    };
  } else {
    signer = new FulcioSigner({
      identityProvider: tokenProvider(options),
      fulcioBaseURL: options.fulcioUrl ?? PUBLIC_GOOD_URLS.fulcio,
      ...fetchOptions,
    });
    if (options.rekorUrl !== false) {
      witnesses.push(
        new RekorWitness({
          rekorBaseURL: options.rekorUrl ?? PUBLIC_GOOD_URLS.rekor,
          entryType: options.rekorEntryType ?? 'dsse',
          fetchOnConflict: true,
          ...fetchOptions,
        }),
      );
    }
  }
  if (options.tsaUrl) witnesses.push(new TSAWitness({ tsaBaseURL: options.tsaUrl, ...fetchOptions }));

  let built: BundleMessage;
  try {
    built = await new DSSEBundleBuilder({ signer, witnesses }).create({ data: payload, type: payloadType });
  } catch (err) {
    throw serviceError(err);
  }
  const bundle = bundleToJson(built);
  const content = built.verificationMaterial?.content;
  if (content?.$case === 'certificate') {
    const der = content.certificate.rawBytes;
    const pem = `-----BEGIN CERTIFICATE-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
    return { bundle, certificate: pem, identity: certificateIdentity(der) };
  }
  return { bundle };
}

/**
 * Engine settings (c2pa-rs `Settings`, passed as context JSON): trust
 * material for readers, and no network on any path (no OCSP, no remote
 * manifests): verification uses only what the caller passes in.
 *
 * @internal
 */
import { C2PA_TRUST_CONFIG } from './certificate.js';

/** PEM text or bytes of one or more certificates. */
export type PemInput = string | Uint8Array;

/** Trust material for reading credentials. */
export interface TrustOptions {
  /**
   * Root (or intermediate) certificates you trust, PEM: a credential whose
   * chain reaches one is `Trusted`. For `provenant cert dev` credentials,
   * the `ca.pem` it wrote.
   */
  trustAnchors?: PemInput | readonly PemInput[];
  /** A published trust list, PEM (for example the C2PA trust list); joined with `trustAnchors`. */
  trustList?: PemInput | readonly PemInput[];
  /**
   * Extended key usages accepted for signing certificates, one dotted OID
   * per line (default: emailProtection, documentSigning, C2PA signing,
   * Microsoft C2PA signing, timeStamping, OCSPSigning).
   */
  trustConfig?: string;
}

function pemText(input: PemInput | readonly PemInput[] | undefined, what: string): string | undefined {
  if (input === undefined) return undefined;
  const list = Array.isArray(input) ? (input as readonly PemInput[]) : [input as PemInput];
  const parts = list.map((p) => {
    if (typeof p === 'string') return p;
    if (p instanceof Uint8Array) return new TextDecoder().decode(p);
    throw new TypeError(`"${what}" expected PEM text or bytes`);
  });
  const text = parts.join('\n');
  return text.includes('-----BEGIN CERTIFICATE-----') ? text : undefined;
}

/** Settings shared by every engine call: never fetch anything. */
const OFFLINE = { ocsp_fetch: false, remote_manifest_fetch: false };

/**
 * The context JSON for a reader.
 *
 * @throws TypeError for anchors that are not PEM text or bytes
 */
export function readerContext(options: TrustOptions = {}): string {
  const anchors = pemText(options.trustAnchors, 'trustAnchors');
  const list = pemText(options.trustList, 'trustList');
  return JSON.stringify({
    trust: {
      ...(anchors ? { user_anchors: anchors } : {}),
      ...(list ? { trust_anchors: list } : {}),
      trust_config: options.trustConfig ?? C2PA_TRUST_CONFIG,
    },
    verify: { ...OFFLINE },
  });
}

/** The context JSON for a builder. */
export function builderContext(): string {
  return JSON.stringify({ verify: { ...OFFLINE, verify_after_sign: false } });
}

/**
 * The Sigstore project's own mock services (@sigstore/mock: a Fulcio CA with
 * a CT log, a Rekor log, an RFC 3161 timestamp authority) served over HTTP
 * on 127.0.0.1, so signing goes through the real network clients of
 * @sigstore/sign. @sigstore/mock ships request handlers; it normally mounts
 * them with nock (in-process interception); here a plain node:http server
 * calls the same handlers, so a child process (the CLI) can use them too.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
} from '@sigstore/mock';

/** A running mock deployment. */
export interface MockSigstore {
  /** Base URL of all three services (they use distinct paths). */
  url: string;
  /** A trusted_root.json (object) for this deployment. */
  trustedRoot: Record<string, unknown>;
  /** Requests seen, by path. */
  requests: string[];
  close(): Promise<void>;
}

/** Options: shift the CA's clock (certificates issued "then"), or the validity of the trusted root. */
export interface MockOptions {
  caClock?: Date;
  /** validFor of every authority in the trusted root (default: from an hour ago, no end). */
  validFor?: { start: string; end?: string };
}

const b64 = (bytes: ArrayBufferView | Buffer) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** Start the mock services on an ephemeral loopback port. */
export async function startMockSigstore(options: MockOptions = {}): Promise<MockSigstore> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const ctlog = await initializeCTLog(ecKey());
  const ca = await initializeCA(ecKey(), ctlog, options.caClock);
  const tlog = await initializeTLog(url, ecKey());
  // @sigstore/core 3.x reads a GeneralizedTime fraction only as exactly three
  // digits, while DER drops trailing zeros (".12Z"): the mock writes proper
  // DER, so about one timestamp in ten would be unreadable. The TSA's clock
  // here ticks in whole seconds (set just before each request) instead.
  const tsaClock = new Date();
  const tsa = await initializeTSA(ecKey(), tsaClock);
  const handlers = [fulcioHandler(ca), rekorHandler(tlog), tsaHandler(tsa)];
  const requests: string[] = [];

  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', url).pathname;
      requests.push(path);
      const handler = req.method === 'POST' ? handlers.find((h) => h.path === path) : undefined;
      tsaClock.setTime(Math.floor(Date.now() / 1000) * 1000);
      if (!handler) {
        res.writeHead(404).end('not found');
        return;
      }
      handler.fn(Buffer.concat(chunks).toString('utf8')).then(
        ({ statusCode, response, contentType }) => {
          res.writeHead(statusCode, { 'Content-Type': contentType ?? 'text/plain' });
          res.end(typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength));
        },
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
  });

  const validFor = options.validFor ?? { start: new Date(Date.now() - 3_600_000).toISOString() };
  const key = (raw: Buffer) => ({ rawBytes: b64(raw), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: url, hashAlgorithm: 'SHA2_256', publicKey: key(tlog.publicKey), logId: { keyId: b64(createHash('sha256').update(tlog.publicKey).digest()) } }],
    certificateAuthorities: [
      { subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: url, certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] }, validFor },
    ],
    ctlogs: [{ baseUrl: url, hashAlgorithm: 'SHA2_256', publicKey: key(ctlog.publicKey), logId: { keyId: b64(ctlog.logID) } }],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
        validFor,
      },
    ],
  };
  return {
    url,
    trustedRoot,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * An OIDC identity token as Fulcio reads it. The mock CA does not check the
 * token's signature (a real Fulcio does, against the issuer's keys), so an
 * unsigned JWT with the right claims stands in for one.
 */
export function mockIdentityToken(claims: { iss: string; sub: string; email?: string }): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({
    aud: 'sigstore',
    iat: now,
    exp: now + 600,
    ...claims,
    ...(claims.email ? { email_verified: true } : {}),
  })}.c2lnbmF0dXJl`;
}

/**
 * RFC 3161 time-stamps on C2PA claim signatures (issue 6, `--tsa`): a
 * time-stamp authority on localhost (its token built here: CMS SignedData
 * over a TSTInfo, ESS signing-certificate-v2, a TSA certificate with the
 * critical timeStamping EKU), and c2pa-rs validating the `sigTst2` token
 * provenant embeds.
 */
import { createHash, createPrivateKey, sign as cryptoSign, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCertificates, readCredentials, signImage, type C2paCredentials } from '../bindings/c2pa/index.js';
import { buildDevCertificates } from '../bindings/c2pa/certificate.js';
import { children, explicit, octetString, oid, readTlv, sequence, set, smallInteger, tlv, type Der } from '../bindings/c2pa/der.js';
import { makeJpeg, makePng } from './c2pa-images.mjs';
import { expectCode } from './helpers.js';

const OIDS = {
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  policy: '1.3.6.1.4.1.99999.1',
};

const tsaCerts = buildDevCertificates({ commonName: 'provenant test TSA', organization: 'provenant tests' }, { ekus: ['1.3.6.1.5.5.7.3.8'], ekuCritical: true });
const tsaCert = new X509Certificate(tsaCerts.chainPem);
const tsaKey = createPrivateKey(tsaCerts.keyPem);
const dev = createDevCertificates();

function generalizedTime(date: Date): Der {
  return tlv(0x18, new TextEncoder().encode(`${date.toISOString().slice(0, 19).replace(/[-T:]/g, '')}Z`));
}

/** The issuer Name and serial number of a certificate, as DER. */
function issuerAndSerial(cert: X509Certificate): Der {
  const raw = new Uint8Array(cert.raw);
  const tbs = children(readTlv(raw).content)[0]!;
  const [, serial, , issuer] = children(tbs.content);
  return sequence(tbs.content.slice(issuer!.start, issuer!.end), tbs.content.slice(serial!.start, serial!.end));
}

let requests = 0;

/** A TimeStampResp granting a token over the request's message imprint, echoing its nonce. */
function timeStampResponse(request: Uint8Array): Uint8Array {
  requests++;
  const body = readTlv(request).content;
  const [, imprint, nonce] = children(body);
  const tstInfo = sequence(
    smallInteger(1),
    oid(OIDS.policy),
    body.slice(imprint!.start, imprint!.end),
    smallInteger(requests),
    generalizedTime(new Date()),
    ...(nonce?.tag === 0x02 ? [body.slice(nonce.start, nonce.end)] : []),
  );
  const certDer = new Uint8Array(tsaCert.raw);
  const attributes = [
    sequence(oid(OIDS.contentType), set(oid(OIDS.tstInfo))),
    sequence(oid(OIDS.messageDigest), set(octetString(createHash('sha256').update(tstInfo).digest()))),
    sequence(oid(OIDS.signingCertificateV2), set(sequence(sequence(sequence(octetString(createHash('sha256').update(certDer).digest())))))),
  ].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const signature = cryptoSign('sha256', set(...attributes), tsaKey);
  const signerInfo = sequence(
    smallInteger(1),
    issuerAndSerial(tsaCert),
    sequence(oid(OIDS.sha256)),
    tlv(0xa0, ...attributes),
    sequence(oid(OIDS.ecdsaWithSha256)),
    octetString(signature),
  );
  const signedData = sequence(
    smallInteger(3),
    set(sequence(oid(OIDS.sha256))),
    sequence(oid(OIDS.tstInfo), explicit(0, octetString(tstInfo))),
    tlv(0xa0, certDer),
    set(signerInfo),
  );
  const token = sequence(oid(OIDS.signedData), explicit(0, signedData));
  return sequence(sequence(smallInteger(0)), token);
}

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/refuse') {
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(Buffer.from(sequence(sequence(smallInteger(2)))));
        return;
      }
      if (req.headers['content-type'] !== 'application/timestamp-query') {
        res.writeHead(415).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(Buffer.from(timeStampResponse(new Uint8Array(Buffer.concat(chunks)))));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('time-stamped claim signatures (sigTst2)', () => {
  for (const [mediaType, make] of [['image/png', makePng], ['image/jpeg', makeJpeg]] as const) {
    it(`${mediaType}: c2pa-rs validates the token provenant embeds, and reports the signing time`, async () => {
      const before = requests;
      const signed = await signImage(make(), mediaType, { certificateChain: dev.chainPem, key: dev.keyPem, timestampUrl: `${url}/tsa` });
      expect(requests).toBe(before + 1);
      const c = (await readCredentials(signed.bytes, mediaType, { trustAnchors: [dev.caPem, tsaCerts.caPem] })) as C2paCredentials;
      expect(c.present).toBe(true);
      const all = [...c.validation.success, ...c.validation.informational, ...c.validation.failure].map((s) => s.code);
      expect(all).toContain('timeStamp.validated');
      expect(all).not.toContain('timeStamp.mismatch');
      expect(c.state).toBe('Trusted');
      expect(c.active.signature?.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    });
  }

  it('a refusal (PKIStatus rejection) is ERR_TSA_FAILED', async () => {
    await expectCode(signImage(makePng(), 'image/png', { certificateChain: dev.chainPem, key: dev.keyPem, timestampUrl: `${url}/refuse` }), 'ERR_TSA_FAILED');
  });
});

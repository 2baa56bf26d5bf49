/**
 * Model records: link the OMS weights signature, training datasets, parent
 * models and the model card; every link must exist and verify.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CID } from 'multiformats/cid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, importSigner, type Signer } from '../src/envelope/keys.js';
import { toHex, utf8 } from '../src/lib/bytes.js';
import { attestDataset } from '../src/records/dataset.js';
import { recordId } from '../src/records/id.js';
import { resolveLinks } from '../src/records/links.js';
import { attestModel, type AttestModelOptions } from '../src/records/model.js';
import { signModel, type SignedModel } from '../src/records/oms/sign-model.js';
import { openRecord } from '../src/records/open-record.js';
import { SchemaValidationError } from '../src/records/schema/validate.js';
import { DirectoryStore } from '../src/store/directory.js';
import type { RecordSource } from '../src/records/types.js';
import { cleanupTemp, expectCode, makeTemp, rejection } from './helpers.js';

/** An in-memory store: envelopes by id, with a count of lookups. */
class MemoryStore implements RecordSource {
  readonly records = new Map<string, Uint8Array>();
  lookups = 0;
  put(record: { id: CID; envelopeBytes: Uint8Array }): string {
    this.records.set(record.id.toString(), record.envelopeBytes);
    return record.id.toString();
  }
  async get(id: CID): Promise<{ envelopeBytes: Uint8Array } | undefined> {
    this.lookups++;
    const bytes = this.records.get(id.toString());
    return bytes && { envelopeBytes: bytes };
  }
}

let alice: Signer;
let mallory: Signer;
let modelDir: string;
let signed: SignedModel;
let store: MemoryStore;
let datasetId: string;
let otherDatasetId: string;
let untrustedDatasetId: string;
let cardPath: string;
let configPath: string;

beforeAll(async () => {
  alice = await importSigner(generateKeyPair('p256').privateKeyPem);
  mallory = await importSigner(generateKeyPair('ed25519').privateKeyPem);
  modelDir = await makeTemp('provenant-model-');
  await writeFile(join(modelDir, 'model.safetensors'), 'weights'.repeat(1000));
  await writeFile(join(modelDir, 'config.json'), '{"layers":2}');
  signed = await signModel(modelDir, { signer: alice });
  const dataDir = await makeTemp('provenant-data-');
  await writeFile(join(dataDir, 'train.jsonl'), '{"x":1}\n');
  store = new MemoryStore();
  datasetId = store.put(await attestDataset(dataDir, { name: 'train', version: '1', signer: alice }));
  otherDatasetId = store.put(await attestDataset(dataDir, { name: 'train', version: '2', signer: alice }));
  untrustedDatasetId = store.put(await attestDataset(dataDir, { name: 'train', version: '3', signer: mallory }));
  const docs = await makeTemp('provenant-docs-');
  cardPath = join(docs, 'README.md');
  configPath = join(docs, 'train.yaml');
  await writeFile(cardPath, '# tiny model\n');
  await writeFile(configPath, 'lr: 0.001\n');
});
afterAll(cleanupTemp);

function options(overrides: Partial<AttestModelOptions> = {}): AttestModelOptions {
  return { name: 'tiny', version: '1.0', weights: signed.signaturePath!, signer: alice, store, ...overrides };
}

describe('attestModel', () => {
  it('links the weights record, datasets, card and config, and signs the weights root as the subject', async () => {
    const record = await attestModel(options({ datasets: [datasetId, otherDatasetId], card: cardPath, trainingConfig: configPath, license: 'Apache-2.0', format: 'safetensors' }));
    const root = toHex(signed.manifest.rootDigest);
    const weightsId = recordId(signed.payload);
    expect(record.weights.id.equals(weightsId)).toBe(true);
    expect(record.weights.rootDigest).toBe(root);
    const opened = openRecord(record.envelopeBytes, { keys: [alice.publicKey], kinds: ['model'] });
    expect(opened.statement.subject).toEqual([{ name: 'tiny', digest: { sha256: root } }]);
    expect(opened.predicate).toEqual({
      name: 'tiny',
      version: '1.0',
      license: 'Apache-2.0',
      format: 'safetensors',
      weights: { id: weightsId.toString(), rootDigest: root },
      datasets: [datasetId, otherDatasetId],
      card: { name: 'README.md', sha256: createHash('sha256').update('# tiny model\n').digest('hex'), size: 13 },
      trainingConfig: { name: 'train.yaml', sha256: createHash('sha256').update('lr: 0.001\n').digest('hex'), size: 10 },
    });
    expect(record.datasets.map((d) => d.id.toString())).toEqual([datasetId, otherDatasetId]);
    expect(record.datasets[0]!.predicate.name).toBe('train');
    // The weights envelope is returned so the caller can store it: it opens as the linked weights record.
    const weights = openRecord(record.weights.envelopeBytes, { keys: [alice.publicKey], kinds: ['weights'], id: weightsId });
    expect(weights.statement.subject[0].digest.sha256).toBe(root);
  });

  it('accepts the signature as bytes, and gives the same id for the same inputs', async () => {
    const a = await attestModel(options({ datasets: [datasetId] }));
    const b = await attestModel(options({ datasets: [datasetId], weights: new Uint8Array(await readFile(signed.signaturePath!)) }));
    expect(b.id.toString()).toBe(a.id.toString());
    const c = await attestModel(options({ datasets: [datasetId], version: '1.1' }));
    expect(c.id.toString()).not.toBe(a.id.toString());
  });

  it('links parent models, which must be model records', async () => {
    const base = await attestModel(options());
    const baseId = store.put(base);
    const tuned = await attestModel(options({ version: '1.0-ft', parents: [baseId], datasets: [datasetId] }));
    expect(tuned.statement.predicate.parents).toEqual([baseId]);
    expect(tuned.parents[0]!.predicate.version).toBe('1.0');
    store.put(tuned);
    // A parent given as a dataset, and a dataset given as a parent.
    await expectCode(attestModel(options({ datasets: [baseId] })), 'ERR_LINK_KIND');
    const err = await expectCode(attestModel(options({ parents: [datasetId] })), 'ERR_LINK_KIND');
    expect(err.message).toContain('is a dataset record, expected a model record');
  });

  it('refuses a link to a record that is not in the store', async () => {
    const missing = recordId(utf8('nothing')).toString();
    const err = await expectCode(attestModel(options({ datasets: [datasetId, missing] })), 'ERR_LINK_MISSING');
    expect(err.details).toEqual([`dataset ${missing}: not in the store`]);
  });

  it('refuses a link signed by a key that is not trusted, unless that key is trusted', async () => {
    const err = await expectCode(attestModel(options({ datasets: [untrustedDatasetId] })), 'ERR_LINK_UNVERIFIED');
    expect(err.details?.[0]).toContain('ERR_SIGNATURE_INVALID');
    const ok = await attestModel(options({ datasets: [untrustedDatasetId], trustedKeys: [alice.publicKey, mallory.publicKey] }));
    expect(ok.datasets[0]!.signedBy).toEqual([mallory.publicKey.keyId]);
  });

  it('refuses a weights signature made by a key that is not trusted', async () => {
    await expectCode(attestModel(options({ signer: mallory })), 'ERR_LINK_UNVERIFIED');
    const ok = await attestModel(options({ signer: mallory, trustedKeys: [alice.publicKey] }));
    expect(ok.envelope.signatures).toHaveLength(1);
  });

  it('refuses a store that answers with another record than the one asked for', async () => {
    const lying: RecordSource = { get: async () => ({ envelopeBytes: store.records.get(otherDatasetId)! }) };
    const err = await expectCode(attestModel(options({ datasets: [datasetId], store: lying })), 'ERR_LINK_UNVERIFIED');
    expect(((err.cause as { code?: string }).code)).toBe('ERR_RECORD_ID_MISMATCH');
  });

  it('lists every bad link at once', async () => {
    const missing = recordId(utf8('nothing')).toString();
    const err = await expectCode(attestModel(options({ datasets: [missing, untrustedDatasetId, datasetId] })), 'ERR_LINK_MISSING');
    expect(err.details).toHaveLength(2);
    expect(err.details?.[1]).toContain(untrustedDatasetId);
  });

  it('checks metadata and link ids before reading anything', async () => {
    const counting = new MemoryStore();
    const err = await rejection(
      attestModel(options({ name: '\u001b[2J', version: '', datasets: ['not-an-id', datasetId, datasetId], store: counting, weights: '/nonexistent/model.sig' })),
    );
    expect(err).toBeInstanceOf(SchemaValidationError);
    expect((err as SchemaValidationError).fields.map((f) => f.path)).toEqual(['predicate.name', 'predicate.version', 'predicate.datasets', 'predicate.datasets[0]']);
    expect(counting.lookups).toBe(0);
  });

  it('refuses a dataset listed as a parent as well', async () => {
    const err = await rejection(attestModel(options({ datasets: [datasetId], parents: [datasetId] })));
    expect((err as { code?: string }).code).toBe('ERR_LINK_KIND');
  });

  it('refuses weights that are not an OMS signature, and unreadable inputs', async () => {
    const dataset = store.records.get(datasetId)!;
    const bundle = { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: { publicKey: { hint: 'x' }, tlogEntries: [] }, dsseEnvelope: JSON.parse(new TextDecoder().decode(dataset)) as unknown };
    await expectCode(attestModel(options({ weights: utf8(JSON.stringify(bundle)) })), 'ERR_LINK_KIND');
    await expectCode(attestModel(options({ weights: utf8('{}') })), 'ERR_UNKNOWN_MEDIA_TYPE');
    await expectCode(attestModel(options({ weights: join(modelDir, 'missing.sig') })), 'ERR_NOT_FOUND');
    await expectCode(attestModel(options({ card: join(modelDir, 'missing.md') })), 'ERR_NOT_FOUND');
    await expectCode(attestModel(options({ card: modelDir })), 'ERR_NOT_A_FILE');
  });
});

describe('with the directory store', () => {
  it('links records from a DirectoryStore, and reports a record it does not hold as missing', async () => {
    const dir = new DirectoryStore(await makeTemp('provenant-store-'));
    const dataset = await dir.put(store.records.get(datasetId)!);
    const record = await attestModel(options({ datasets: [dataset], store: dir }));
    expect(record.datasets[0]!.id.toString()).toBe(datasetId);
    const err = await expectCode(attestModel(options({ datasets: [otherDatasetId], store: dir })), 'ERR_LINK_MISSING');
    expect(err.details).toEqual([`dataset ${otherDatasetId}: not in the store`]);
  });
});

describe('resolveLinks', () => {
  it('returns the verified records in order, and refuses malformed ids', async () => {
    const records = await resolveLinks([otherDatasetId, datasetId], { store, keys: [alice.publicKey], kind: 'dataset', role: 'dataset' });
    expect(records.map((r) => r.predicate.version)).toEqual(['2', '1']);
    await expectCode(resolveLinks(['bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'], { store, keys: [], kind: 'dataset', role: 'dataset' }), 'ERR_MALFORMED');
  });
});

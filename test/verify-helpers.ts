/**
 * A real provenance chain on disk for the verification tests: keys (and
 * their .pub files), a model directory signed with OMS, three datasets signed
 * 2-of-2 by two curators, a parent model version, the model record, all in a
 * directory store, and a trust policy naming those keys.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, importSigner, type Signer } from '../src/envelope/keys.js';
import { signEnvelope } from '../src/envelope/sign.js';
import { parseEnvelope } from '../src/envelope/parse.js';
import { attestDataset } from '../src/records/dataset.js';
import { attestModel } from '../src/records/model.js';
import { signModel } from '../src/records/oms/sign-model.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../src/records/oms/bundle.js';
import { DirectoryStore } from '../src/store/directory.js';
import { makeTemp } from './helpers.js';

export interface TestKeys {
  publisher: Signer;
  curatorA: Signer;
  curatorB: Signer;
  server: Signer;
  mallory: Signer;
}

export interface TestChain {
  dir: string;
  storeDir: string;
  store: DirectoryStore;
  keys: TestKeys;
  /** Public key files, by key name, relative to `dir`. */
  pubFiles: Record<keyof TestKeys, string>;
  modelDir: string;
  signaturePath: string;
  weightsId: string;
  modelId: string;
  parentId: string;
  datasetIds: string[];
  /** One file of dataset 0, and its content. */
  datasetFile: string;
  /** `dir/policy.yaml`: publisher signs weights and models, 2-of-2 curators sign datasets, server signs outputs. */
  policyPath: string;
}

/** The policy every test starts from; `extra` is appended (YAML) to it. */
export function policyYaml(extra = ''): string {
  return [
    'version: 1',
    'roles:',
    '  publisher: { keys: [keys/publisher.pub] }',
    '  curator:',
    '    keys: [keys/curatorA.pub, keys/curatorB.pub]',
    '    threshold: 2',
    '  server: { keys: [keys/server.pub] }',
    'kinds:',
    '  weights: { signedBy: publisher }',
    '  model: { signedBy: publisher }',
    '  dataset: { signedBy: curator }',
    '  output: { signedBy: server }',
    extra,
  ].join('\n');
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Sign `payload` again with other signers, as an envelope's bytes (what a forger would store). */
export async function resign(envelopeBytes: Uint8Array, signers: readonly Signer[]): Promise<Uint8Array> {
  const { payload } = parseEnvelope(envelopeBytes);
  return new TextEncoder().encode(JSON.stringify(await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, signers)));
}

export async function buildChain(): Promise<TestChain> {
  const dir = await makeTemp('provenant-verify-');
  const algorithms = { publisher: 'ed25519', curatorA: 'p256', curatorB: 'ed25519', server: 'ed25519', mallory: 'ed25519' } as const;
  const keys = {} as TestKeys;
  const pubFiles = {} as Record<keyof TestKeys, string>;
  await mkdir(join(dir, 'keys'));
  for (const [name, alg] of Object.entries(algorithms) as [keyof TestKeys, 'ed25519' | 'p256'][]) {
    const pair = generateKeyPair(alg);
    keys[name] = await importSigner(pair.privateKeyPem);
    pubFiles[name] = `keys/${name}.pub`;
    await writeFile(join(dir, pubFiles[name]), pair.publicKeyPem);
    await writeFile(join(dir, `keys/${name}.pem`), pair.privateKeyPem, { mode: 0o600 });
  }

  const modelDir = join(dir, 'model');
  await mkdir(modelDir);
  await writeFile(join(modelDir, 'model.safetensors'), 'weights'.repeat(2000));
  await writeFile(join(modelDir, 'config.json'), '{"layers":2}');
  const signed = await signModel(modelDir, { signer: keys.publisher });

  const storeDir = join(dir, 'store');
  const store = new DirectoryStore(storeDir);
  const datasetIds: string[] = [];
  let datasetFile = '';
  for (const name of ['web', 'books', 'code']) {
    const data = join(dir, `data-${name}`);
    await mkdir(data);
    await writeFile(join(data, `${name}.jsonl`), `{"text":"${name} 1"}\n{"text":"${name} 2"}\n`);
    if (!datasetFile) datasetFile = join(data, `${name}.jsonl`);
    const record = await attestDataset(data, { name, version: '1', signers: [keys.curatorA, keys.curatorB] });
    datasetIds.push((await store.put(record.envelopeBytes)).toString());
  }
  const trustedKeys = [keys.publisher, keys.curatorA, keys.curatorB].map((k) => k.publicKey);
  const parent = await attestModel({ name: 'tiny', version: '0.9', weights: signed.signaturePath!, datasets: [datasetIds[0]!], signer: keys.publisher, store, trustedKeys });
  await store.put(parent.weights.envelopeBytes);
  const parentId = (await store.put(parent.envelopeBytes)).toString();
  const model = await attestModel({
    name: 'tiny',
    version: '1.0',
    weights: signed.signaturePath!,
    datasets: datasetIds,
    parents: [parentId],
    signer: keys.publisher,
    store,
    trustedKeys,
  });
  const weightsId = (await store.put(model.weights.envelopeBytes)).toString();
  const modelId = (await store.put(model.envelopeBytes)).toString();
  const policyPath = join(dir, 'policy.yaml');
  await writeFile(policyPath, policyYaml());
  return {
    dir,
    storeDir,
    store,
    keys,
    pubFiles,
    modelDir,
    signaturePath: signed.signaturePath!,
    weightsId,
    modelId,
    parentId,
    datasetIds,
    datasetFile,
    policyPath,
  };
}

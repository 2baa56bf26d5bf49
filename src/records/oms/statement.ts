import { fromHex, toHex } from '../../lib/bytes.js';
import { VerificationError } from '../../lib/errors.js';
import { isObject } from '../../lib/json.js';
import { assertContainedPath } from '../../digest/paths.js';
import type { ModelManifest, SerializationMethod } from '../../digest/model.js';

/** in-toto Statement v1 type. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** OMS v1.0 predicate type. */
export const OMS_PREDICATE_TYPE = 'https://model_signing/signature/v1.0';

/** The OMS predicate's `serialization` block. */
export interface OmsSerialization {
  method: SerializationMethod;
  hash_type: 'sha256';
  allow_symlinks: boolean;
  shard_size?: number;
  ignore_paths?: string[];
}

/** An OMS v1.0 in-toto statement. */
export interface OmsStatement {
  _type: typeof STATEMENT_TYPE;
  subject: [{ name: string; digest: { sha256: string } }];
  predicateType: typeof OMS_PREDICATE_TYPE;
  predicate: {
    serialization: OmsSerialization;
    resources: { name: string; algorithm: string; digest: string }[];
  };
}

/**
 * Build the OMS v1.0 statement for a hashed model.
 *
 * @param manifest the output of `hashModel`
 * @returns the statement (serialize with canonical JSON)
 */
export function buildOmsStatement(manifest: ModelManifest): OmsStatement {
  const serialization: OmsSerialization = {
    method: manifest.method,
    hash_type: manifest.hashType,
    allow_symlinks: manifest.allowSymlinks,
  };
  if (manifest.method === 'shards') serialization.shard_size = manifest.shardSize!;
  if (manifest.ignorePaths.length) serialization.ignore_paths = [...manifest.ignorePaths];
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: manifest.modelName, digest: { sha256: toHex(manifest.rootDigest) } }],
    predicateType: OMS_PREDICATE_TYPE,
    predicate: {
      serialization,
      resources: manifest.resources.map((r) => ({ name: r.name, algorithm: r.algorithm, digest: toHex(r.digest) })),
    },
  };
}

/** A validated OMS statement, with decoded digests. */
export interface ParsedOmsStatement {
  modelName: string;
  rootDigest: Uint8Array;
  method: SerializationMethod;
  shardSize?: number;
  allowSymlinks: boolean;
  ignorePaths: string[];
  resources: { name: string; algorithm: string; digest: Uint8Array }[];
}

function fail(message: string): never {
  throw new VerificationError('ERR_STATEMENT_INVALID', `invalid OMS statement: ${message}`);
}

/**
 * Validate an OMS v1.0 statement (parsed from the exact signed bytes) and
 * decode it. Anything not understood fails: other hash types, unknown
 * methods, bad digests, names that escape the model directory.
 *
 * @param value the parsed payload
 * @returns the decoded statement
 * @throws VerificationError `ERR_STATEMENT_INVALID`, `ERR_PREDICATE_TYPE`; InputError `ERR_PATH_ESCAPE`
 */
export function parseOmsStatement(value: unknown): ParsedOmsStatement {
  if (!isObject(value)) fail('not a JSON object');
  if (value._type !== STATEMENT_TYPE) fail(`_type is ${JSON.stringify(value._type)}, expected ${STATEMENT_TYPE}`);
  if (value.predicateType !== OMS_PREDICATE_TYPE) {
    throw new VerificationError(
      'ERR_PREDICATE_TYPE',
      `predicateType ${JSON.stringify(value.predicateType)} is not ${OMS_PREDICATE_TYPE}`,
    );
  }
  const subject = value.subject;
  if (!Array.isArray(subject) || subject.length !== 1) fail('expected exactly one subject');
  const s0 = subject[0];
  if (!isObject(s0) || typeof s0.name !== 'string' || !isObject(s0.digest) || typeof s0.digest.sha256 !== 'string') {
    fail('subject[0] must have a name and a sha256 digest');
  }
  const rootDigest = fromHex(s0.digest.sha256 as string);
  if (!rootDigest || rootDigest.length !== 32) fail('subject[0].digest.sha256 is not 64 hex digits');
  const predicate = value.predicate;
  if (!isObject(predicate)) fail('predicate is missing');
  const ser = predicate.serialization;
  if (!isObject(ser)) fail('predicate.serialization is missing');
  if (ser.method !== 'files' && ser.method !== 'shards') fail(`unsupported serialization method ${JSON.stringify(ser.method)}`);
  if (ser.hash_type !== 'sha256') fail(`unsupported hash_type ${JSON.stringify(ser.hash_type)} (only sha256 is accepted)`);
  if (ser.allow_symlinks !== undefined && typeof ser.allow_symlinks !== 'boolean') fail('allow_symlinks must be a boolean');
  let shardSize: number | undefined;
  if (ser.method === 'shards') {
    // The reference writes shard_size through a protobuf Struct, i.e. as a
    // double ("8.0"); any integral value is accepted.
    if (typeof ser.shard_size !== 'number' || !Number.isSafeInteger(ser.shard_size) || ser.shard_size < 1) {
      fail('shard_size must be a positive integer');
    }
    shardSize = ser.shard_size;
  }
  const ignorePaths: string[] = [];
  if (ser.ignore_paths !== undefined) {
    if (!Array.isArray(ser.ignore_paths) || ser.ignore_paths.some((p) => typeof p !== 'string')) {
      fail('ignore_paths must be an array of strings');
    }
    for (const p of ser.ignore_paths as string[]) ignorePaths.push(assertContainedPath(p, 'ignore path'));
  }
  if (!Array.isArray(predicate.resources)) fail('predicate.resources must be an array');
  const expectedAlgorithm = ser.method === 'files' ? 'sha256' : `sha256-sharded-${shardSize}`;
  const seen = new Set<string>();
  const resources = (predicate.resources as unknown[]).map((r, i) => {
    if (!isObject(r) || typeof r.name !== 'string' || typeof r.algorithm !== 'string' || typeof r.digest !== 'string') {
      fail(`resources[${i}] must have string name, algorithm and digest`);
    }
    if (r.algorithm !== expectedAlgorithm) fail(`resources[${i}].algorithm is ${JSON.stringify(r.algorithm)}, expected ${expectedAlgorithm}`);
    const digest = fromHex(r.digest as string);
    if (!digest || digest.length !== 32) fail(`resources[${i}].digest is not 64 hex digits`);
    if (seen.has(r.name as string)) fail(`resources[${i}] repeats the name ${JSON.stringify(r.name)}`);
    seen.add(r.name as string);
    if (ser.method === 'shards') {
      const m = /^(.*):(\d+):(\d+)$/.exec(r.name as string);
      if (!m || Number(m[2]) >= Number(m[3])) fail(`resources[${i}].name ${JSON.stringify(r.name)} is not path:start:end`);
      assertContainedPath(m[1]!, 'resource name');
    } else {
      assertContainedPath(r.name as string, 'resource name');
    }
    return { name: r.name as string, algorithm: r.algorithm as string, digest };
  });
  return {
    modelName: s0.name as string,
    rootDigest,
    method: ser.method,
    ...(shardSize !== undefined ? { shardSize } : {}),
    allowSymlinks: (ser.allow_symlinks as boolean | undefined) ?? false,
    ignorePaths,
    resources,
  };
}

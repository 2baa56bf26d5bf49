import { printableText, recordIdList, relativePath, sha256Hex, token, uri } from './fragments.js';
import type { Schema } from './types.js';

/**
 * Most files one dataset record lists. With short names this keeps the
 * envelope well under the 16 MiB readers accept; a dataset of more (or of
 * very long-named) files is attested as shards or archives.
 */
export const MAX_DATASET_FILES = 50_000;

/** One file of a dataset, as the `dataset` predicate lists it. */
export interface DatasetFile {
  /** Relative POSIX path inside the dataset (the file's base name for a single-file dataset). */
  name: string;
  /** SHA-256 of the file's content, lower-case hex. */
  sha256: string;
  /** Size in bytes. */
  size: number;
}

/** The predicate of a `dataset` record (`https://provenant.dev/dataset/v1`). */
export interface DatasetPredicate {
  name: string;
  version: string;
  /** SPDX licence expression or free text. */
  license?: string;
  /** Where the data came from. */
  source?: string;
  /** Number of records (rows, examples, documents) in the dataset. */
  recordCount?: number;
  /** Every file, in OMS path order. */
  files: DatasetFile[];
  /**
   * SHA-256 over the concatenated raw digests of `files`, in order: the OMS
   * `files` root digest of the dataset directory, and the statement's subject digest.
   */
  rootDigest: string;
  /** Ids of records (e.g. governance decisions) that approved this dataset before it was attested. */
  approvals?: string[];
}

/** JSON Schema of the `dataset` predicate; the validator and `docs/schema/dataset.v1.schema.json` both come from it. */
export const datasetPredicateSchema = {
  title: 'provenant dataset predicate v1',
  description:
    'A training or evaluation dataset: what it is, where it came from, and the SHA-256 of every file. ' +
    'The in-toto subject is the dataset with digest sha256 = rootDigest.',
  type: 'object',
  required: ['name', 'version', 'files', 'rootDigest'],
  additionalProperties: false,
  properties: {
    name: printableText(256, 'the dataset name'),
    version: token(128, 'the dataset version'),
    license: printableText(256, 'SPDX licence expression (or free text)'),
    source: uri('where the dataset came from'),
    recordCount: {
      type: 'integer',
      description: 'number of records (rows, examples, documents)',
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
    },
    files: {
      type: 'array',
      description: 'every file of the dataset, in OMS path order (by path component, then code point)',
      minItems: 1,
      maxItems: MAX_DATASET_FILES,
      items: {
        type: 'object',
        required: ['name', 'sha256', 'size'],
        additionalProperties: false,
        properties: {
          name: relativePath,
          sha256: sha256Hex,
          size: { type: 'integer', description: 'size in bytes', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
        },
      },
    },
    rootDigest: {
      ...sha256Hex,
      description: 'SHA-256 over the concatenated raw digests of files, in order (the OMS files root digest)',
    },
    approvals: recordIdList(256, 'ids of records (e.g. governance decisions) that approved this dataset'),
  },
} as const satisfies Schema;

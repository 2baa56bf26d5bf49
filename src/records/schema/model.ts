import { fileDigest, printableText, recordIdList, recordIdString, sha256Hex, token } from './fragments.js';
import type { Schema } from './types.js';

/** A file the model record refers to by digest (model card, training config). */
export interface DigestedFile {
  /** Base name of the file when it was attested (informative). */
  name: string;
  /** SHA-256 of its content, lower-case hex. */
  sha256: string;
  /** Size in bytes. */
  size?: number;
}

/** The predicate of a `model` record (`https://provenant.dev/model/v1`). */
export interface ModelPredicate {
  name: string;
  version: string;
  /** Weight format, e.g. `safetensors`, `gguf`, `onnx`. */
  format?: string;
  /** SPDX licence expression or free text. */
  license?: string;
  /** The OMS weights signature this model version is. */
  weights: {
    /** Id of the weights record: the DSSE envelope inside `model.sig`. */
    id: string;
    /** The OMS root digest of the weights (the weights statement's subject digest). */
    rootDigest: string;
  };
  /** Ids of the `dataset` records it was trained on. */
  datasets?: string[];
  /** Ids of the `model` records it derives from (fine-tune base, merge inputs). */
  parents?: string[];
  /** The model card. */
  card?: DigestedFile;
  /** The training configuration. */
  trainingConfig?: DigestedFile;
  /** Ids of records (e.g. governance decisions) that approved this model. */
  approvals?: string[];
}

/** Most datasets one model record links. */
export const MAX_MODEL_DATASETS = 1024;
/** Most parents one model record links. */
export const MAX_MODEL_PARENTS = 64;

/** JSON Schema of the `model` predicate; the validator and `docs/schema/model.v1.schema.json` both come from it. */
export const modelPredicateSchema = {
  title: 'provenant model predicate v1',
  description:
    'A model version: its OMS weights signature, the datasets it was trained on, the models it derives from, ' +
    'and the digests of its card and training configuration. The in-toto subject is the model with ' +
    'digest sha256 = weights.rootDigest.',
  type: 'object',
  required: ['name', 'version', 'weights'],
  additionalProperties: false,
  properties: {
    name: printableText(256, 'the model name'),
    version: token(128, 'the model version'),
    format: token(64, 'weight format, e.g. safetensors, gguf, onnx'),
    license: printableText(256, 'SPDX licence expression (or free text)'),
    weights: {
      type: 'object',
      description: 'the OMS weights signature (model.sig) of this model version',
      required: ['id', 'rootDigest'],
      additionalProperties: false,
      properties: {
        id: { ...recordIdString, description: 'id of the weights record (the DSSE envelope inside model.sig)' },
        rootDigest: { ...sha256Hex, description: 'the OMS root digest of the weights' },
      },
    },
    datasets: recordIdList(MAX_MODEL_DATASETS, 'ids of the dataset records the model was trained on'),
    parents: recordIdList(MAX_MODEL_PARENTS, 'ids of the model records this model derives from'),
    card: fileDigest('the model card'),
    trainingConfig: fileDigest('the training configuration'),
    approvals: recordIdList(256, 'ids of records (e.g. governance decisions) that approved this model'),
  },
} as const satisfies Schema;

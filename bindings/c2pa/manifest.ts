/**
 * The manifest provenant writes for an AI output: what a reader needs to
 * know about where the content came from.
 *
 * - `c2pa.actions.v2`: `c2pa.created` with digitalSourceType
 *   trainedAlgorithmicMedia and the model as softwareAgent (or, when the
 *   input already had credentials, `c2pa.opened` on it as a parent
 *   ingredient followed by `c2pa.edited`); `c2pa.watermarked` with a soft binding.
 * - `cawg.training-mining`: the publisher's training and data-mining choices.
 * - `dev.provenant.output`: the output receipt (see `output-assertion.ts`).
 * - `c2pa.soft-binding`: the watermark identifier, when there is one.
 *
 * @internal
 */
import { outputAssertionData, OUTPUT_ASSERTION_LABEL, type OutputCredential } from './output-assertion.js';

/** IPTC digital source type of content made by a trained model. */
export const TRAINED_ALGORITHMIC_MEDIA = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';
/** IPTC digital source type of an edit that mixes in model-made content. */
export const COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = 'http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia';

/** A CAWG training and data-mining permission. */
export type TrainingMiningUse = 'allowed' | 'notAllowed' | 'constrained';

/** The publisher's choices for `cawg.training-mining` (CAWG training and data mining assertion 1.1). */
export interface TrainingMining {
  /** `cawg.ai_generative_training`: training generative models on the content. Default notAllowed. */
  aiGenerativeTraining?: TrainingMiningUse;
  /** `cawg.ai_training`: training any AI model. Default notAllowed. */
  aiTraining?: TrainingMiningUse;
  /** `cawg.ai_inference`: using the content as input to a model. Default notAllowed. */
  aiInference?: TrainingMiningUse;
  /** `cawg.data_mining`: text and data mining. Default notAllowed. */
  dataMining?: TrainingMiningUse;
  /** Free text explaining a `constrained` use (who to ask, what terms). */
  constraintInfo?: string;
}

/** A watermark (or fingerprint) that identifies the content without the manifest. */
export interface Watermark {
  /** The soft-binding algorithm name, from the C2PA soft-binding algorithm list (e.g. `com.digimarc.validate.1`). */
  alg: string;
  /** The identifier the watermark carries: bytes, or text as the algorithm prints it. Stored base64. */
  value: Uint8Array | string;
  /** A resolver that looks the identifier up. */
  url?: string;
}

/** Extra manifest content. */
export interface ManifestOptions {
  /** The asset's title (default: none). */
  title?: string;
  /** More assertions, added after provenant's (label and JSON data). */
  assertions?: readonly { label: string; data: unknown }[];
  /** Overrides the digital source type of the creating (or editing) action. */
  digitalSourceType?: string;
}

/** A model as softwareAgent: `name@version` or parts. */
export type ModelAgent = string | { name: string; version?: string };

/** What goes into the manifest. */
export interface ManifestContent {
  credential: OutputCredential | undefined;
  model: ModelAgent | undefined;
  trainingMining: TrainingMining | false | undefined;
  watermark: Watermark | undefined;
  manifest: ManifestOptions | undefined;
  /** The label given to the parent ingredient when the input had credentials. */
  parentLabel: string | undefined;
  claimGenerator: { name: string; version: string };
  now: Date;
}

const USES = new Set<TrainingMiningUse>(['allowed', 'notAllowed', 'constrained']);

/**
 * Split `name@version` (the last `@` separates them, so `@org/model@1.0` works).
 *
 * @throws TypeError for an empty name
 */
export function softwareAgent(model: ModelAgent): { name: string; version?: string } {
  if (typeof model !== 'string') {
    if (typeof model?.name !== 'string' || model.name === '') throw new TypeError('"model.name" expected a non-empty string');
    return model.version === undefined ? { name: model.name } : { name: model.name, version: model.version };
  }
  const at = model.lastIndexOf('@');
  const name = at > 0 ? model.slice(0, at) : model;
  const version = at > 0 ? model.slice(at + 1) : undefined;
  if (name === '') throw new TypeError('"model" expected NAME or NAME@VERSION');
  return version ? { name, version } : { name };
}

function trainingMiningData(choices: TrainingMining): Record<string, unknown> {
  const entries: Record<string, { use: TrainingMiningUse; constraint_info?: string }> = {};
  const fields = [
    ['cawg.ai_generative_training', choices.aiGenerativeTraining],
    ['cawg.ai_training', choices.aiTraining],
    ['cawg.ai_inference', choices.aiInference],
    ['cawg.data_mining', choices.dataMining],
  ] as const;
  for (const [label, use] of fields) {
    const value = use ?? 'notAllowed';
    if (!USES.has(value)) throw new TypeError(`"trainingMining": ${label} expected allowed, notAllowed or constrained, got ${JSON.stringify(value)}`);
    entries[label] = value === 'constrained' && choices.constraintInfo ? { use: value, constraint_info: choices.constraintInfo } : { use: value };
  }
  return { entries };
}

/** The manifest definition (c2pa-rs `ManifestDefinition` JSON). */
export function manifestDefinition(content: ManifestContent, format: string): Record<string, unknown> {
  const agent = content.model === undefined ? undefined : softwareAgent(content.model);
  const when = content.now.toISOString();
  const sourceType = content.manifest?.digitalSourceType;
  const actions: Record<string, unknown>[] = content.parentLabel
    ? [
        { action: 'c2pa.opened', when, parameters: { ingredientIds: [content.parentLabel] } },
        {
          action: 'c2pa.edited',
          when,
          digitalSourceType: sourceType ?? COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
          ...(agent ? { softwareAgent: agent } : {}),
        },
      ]
    : [{ action: 'c2pa.created', when, digitalSourceType: sourceType ?? TRAINED_ALGORITHMIC_MEDIA, ...(agent ? { softwareAgent: agent } : {}) }];
  if (content.watermark) actions.push({ action: 'c2pa.watermarked', when, ...(agent ? { softwareAgent: agent } : {}) });

  const assertions: { label: string; data: unknown }[] = [{ label: 'c2pa.actions.v2', data: { actions } }];
  if (content.trainingMining !== false) assertions.push({ label: 'cawg.training-mining', data: trainingMiningData(content.trainingMining ?? {}) });
  if (content.credential) assertions.push({ label: OUTPUT_ASSERTION_LABEL, data: outputAssertionData(content.credential) });
  if (content.watermark) {
    const { alg, value, url } = content.watermark;
    if (typeof alg !== 'string' || alg === '') throw new TypeError('"watermark.alg" expected a non-empty string');
    const encoded = typeof value === 'string' ? value : Buffer.from(value).toString('base64');
    if (encoded === '') throw new TypeError('"watermark.value" expected a non-empty identifier');
    assertions.push({ label: 'c2pa.soft-binding', data: { alg, blocks: [{ scope: {}, value: encoded }], ...(url ? { url } : {}) } });
  }
  for (const extra of content.manifest?.assertions ?? []) assertions.push({ label: extra.label, data: extra.data });
  return {
    claim_generator_info: [content.claimGenerator],
    format,
    ...(content.manifest?.title !== undefined ? { title: content.manifest.title } : {}),
    assertions,
  };
}

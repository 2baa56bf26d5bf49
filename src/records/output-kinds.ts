import type { KindRules } from './kinds.js';
import { BATCH_SUBJECT_NAME, checkOutputParameters } from './schema/output.js';
import { PREDICATE_SCHEMAS } from './schema/registry.js';
import type { FieldErrors } from './schema/validate.js';
import type { Statement } from './types.js';

function requireOneSha256Subject(statement: Statement<unknown>, errors: FieldErrors, name?: string): void {
  if (statement.subject.length !== 1) {
    errors.add('subject', `expected exactly one subject, got ${statement.subject.length}`);
    return;
  }
  const subject = statement.subject[0]!;
  if (!Object.hasOwn(subject.digest, 'sha256')) errors.add('subject[0].digest.sha256', 'is required');
  if (name !== undefined && subject.name !== name) errors.add('subject[0].name', `expected ${JSON.stringify(name)}`);
}

/** The rules of the two output kinds (assembled into `KIND_RULES`). */
export const OUTPUT_KIND_RULES: {
  readonly output: KindRules<'output'>;
  readonly 'output-batch': KindRules<'output-batch'>;
} = {
  output: {
    schema: PREDICATE_SCHEMAS.output,
    checkFields(statement, errors) {
      requireOneSha256Subject(statement, errors);
      checkOutputParameters(statement.predicate.parameters as unknown as Record<string, unknown>, 'predicate.parameters', errors);
    },
    checkDigests() {},
    links(statement) {
      return [statement.predicate.model];
    },
  },
  'output-batch': {
    schema: PREDICATE_SCHEMAS['output-batch'],
    checkFields(statement, errors) {
      requireOneSha256Subject(statement, errors, BATCH_SUBJECT_NAME);
      const { start, end } = statement.predicate.window;
      // Leap seconds (":60") do not parse; such a window is left unordered rather than refused.
      if (Date.parse(start) > Date.parse(end)) errors.add('predicate.window.end', 'is before predicate.window.start');
    },
    checkDigests() {},
    links(statement) {
      return [statement.predicate.model];
    },
  },
};

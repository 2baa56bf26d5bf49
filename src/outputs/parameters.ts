import { VerificationError } from '../lib/errors.js';
import { isObject } from '../lib/json.js';
import {
  checkOutputParameters,
  MAX_OUTPUT_PARAMETERS,
  parameterNameProblem,
  parameterValueProblem,
  type OutputParameters,
  type ParameterValue,
} from '../records/schema/output.js';
import { FieldErrors } from '../records/schema/validate.js';

/**
 * A limit on one generation parameter, as approved by a governance
 * `set-parameter` decision. `max` and `min` bound a number; `equals` pins
 * the value. Several limits on one name all apply.
 */
export interface ParameterLimit {
  /** The parameter, e.g. `temperature`. */
  name: string;
  /** Largest value allowed (the parameter must be a number). */
  max?: number;
  /** Smallest value allowed (the parameter must be a number). */
  min?: number;
  /**
   * The only value allowed. A string also matches a number or boolean whose
   * JSON text it is (`"0.7"` matches `0.7`, `"true"` matches `true`), since
   * governance records state the value as text.
   */
  equals?: ParameterValue;
  /** Id of the decision that approved the limit, for messages and audits. */
  decision?: string;
}

/** One parameter that broke a limit. */
export interface ParameterBreach {
  /** The parameter's name. */
  name: string;
  /** Its value, or `undefined` when the output does not give it. */
  value: ParameterValue | undefined;
  /** The limit it broke. */
  limit: ParameterLimit;
  /** What is wrong, e.g. `0.9 is above the maximum 0.8`. */
  reason: string;
}

/**
 * Generation parameters broke limits approved by governance. Every breach is
 * listed in `breaches` (and as lines in `details`), naming the parameter, its
 * value, the limit and the decision that set it.
 *
 * @example
 * ```ts
 * try { await signer.sign(output) }
 * catch (err) { if (err instanceof ParameterLimitError) for (const b of err.breaches) console.error(b.name, b.reason) }
 * ```
 */
export class ParameterLimitError extends VerificationError {
  readonly breaches: readonly ParameterBreach[];

  /** @param breaches the parameters that broke their limits (at least one) */
  constructor(breaches: readonly ParameterBreach[]) {
    const lines = breaches.map((b) => `${b.name}: ${b.reason}${b.limit.decision !== undefined ? ` (decision ${b.limit.decision})` : ''}`);
    super(
      'ERR_PARAMETER_LIMIT',
      breaches.length === 1 ? `generation parameter ${lines[0]}` : `${breaches.length} generation parameters break approved limits:\n  ${lines.join('\n  ')}`,
      { details: lines },
    );
    this.breaches = breaches;
  }
}

function show(value: ParameterValue): string {
  return JSON.stringify(value);
}

function describeLimit(limit: ParameterLimit): string {
  const parts: string[] = [];
  if (limit.min !== undefined) parts.push(`min ${limit.min}`);
  if (limit.max !== undefined) parts.push(`max ${limit.max}`);
  if (limit.equals !== undefined) parts.push(`equals ${show(limit.equals)}`);
  return parts.join(', ');
}

function breachOf(value: ParameterValue | undefined, limit: ParameterLimit): string | undefined {
  if (value === undefined) return `is not given, but a limit applies (${describeLimit(limit)})`;
  if (limit.equals !== undefined) {
    const equal = value === limit.equals || (typeof limit.equals === 'string' && typeof value !== 'string' && JSON.stringify(value) === limit.equals);
    if (!equal) return `${show(value)} is not the required value ${show(limit.equals)}`;
  }
  if (limit.min !== undefined || limit.max !== undefined) {
    if (typeof value !== 'number') return `${show(value)} is not a number, but a limit applies (${describeLimit(limit)})`;
    if (limit.min !== undefined && value < limit.min) return `${show(value)} is below the minimum ${limit.min}`;
    if (limit.max !== undefined && value > limit.max) return `${show(value)} is above the maximum ${limit.max}`;
  }
  return undefined;
}

/**
 * Check that limits are well formed: a name, at least one of max, min or
 * equals, finite bounds with min <= max.
 *
 * @param limits the limits
 * @returns a frozen copy (so later changes by the caller do not apply)
 * @throws TypeError or RangeError for a malformed limit
 * @example
 * ```ts
 * const limits = checkLimits([{ name: 'temperature', max: 1, decision: id }]);
 * ```
 */
export function checkLimits(limits: readonly ParameterLimit[]): readonly ParameterLimit[] {
  if (!Array.isArray(limits)) throw new TypeError('"limits" expected an array');
  return Object.freeze(
    limits.map((input: unknown, i): ParameterLimit => {
      const at = `limits[${i}]`;
      if (!isObject(input) || typeof input.name !== 'string' || parameterNameProblem(input.name) !== undefined) {
        throw new TypeError(`"${at}.name" expected a parameter name`);
      }
      const limit = input as unknown as ParameterLimit;
      for (const bound of ['max', 'min'] as const) {
        if (limit[bound] !== undefined && !(typeof limit[bound] === 'number' && Number.isFinite(limit[bound]))) {
          throw new TypeError(`"${at}.${bound}" expected a finite number`);
        }
      }
      if (limit.equals !== undefined && parameterValueProblem(limit.equals) !== undefined) {
        throw new TypeError(`"${at}.equals" expected a string, a finite number or a boolean`);
      }
      if (limit.max === undefined && limit.min === undefined && limit.equals === undefined) throw new TypeError(`"${at}" needs max, min or equals`);
      if (limit.max !== undefined && limit.min !== undefined && limit.min > limit.max) throw new RangeError(`"${at}.min" is above its max`);
      if (limit.decision !== undefined && typeof limit.decision !== 'string') throw new TypeError(`"${at}.decision" expected a record id string`);
      return Object.freeze({ ...limit });
    }),
  );
}

/**
 * Check generation parameters against approved limits. A parameter a limit
 * names must be present; `max`/`min` need a number within bounds; `equals`
 * needs that value. Every breach is reported at once.
 *
 * @param parameters the output's generation parameters
 * @param limits the approved limits (e.g. from `set-parameter` decisions)
 * @returns nothing when every limit holds
 * @throws ParameterLimitError (a VerificationError, code `ERR_PARAMETER_LIMIT`) listing each breach
 * @example
 * ```ts
 * checkParameters({ temperature: 1.4 }, [{ name: 'temperature', max: 1, decision: 'bagaaiera...' }]);
 * // throws ERR_PARAMETER_LIMIT: temperature: 1.4 is above the maximum 1 (decision bagaaiera...)
 * ```
 */
export function checkParameters(parameters: OutputParameters, limits: readonly ParameterLimit[]): void {
  let breaches: ParameterBreach[] | undefined;
  for (const limit of limits) {
    const value = Object.hasOwn(parameters, limit.name) ? parameters[limit.name] : undefined;
    const reason = breachOf(value, limit);
    if (reason !== undefined) (breaches ??= []).push({ name: limit.name, value, limit, reason });
  }
  if (breaches) throw new ParameterLimitError(breaches);
}

function invalidParameters(parameters: unknown): never {
  const errors = new FieldErrors();
  if (!isObject(parameters)) errors.add('parameters', 'expected an object of name: string | number | boolean');
  else checkOutputParameters(parameters, 'parameters', errors);
  errors.throwIfAny('output parameters');
  throw new Error('unreachable: invalid parameters without a field error');
}

// Names already checked, with their JSON text: a server sends the same few
// names with every output, so each is checked and quoted once.
const quotedNames = new Map<string, string>();

function quotedName(name: string): string | undefined {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    if (parameterNameProblem(name) !== undefined) return undefined;
    quoted = JSON.stringify(name);
    if (quotedNames.size < 4096) quotedNames.set(name, quoted);
  }
  return quoted;
}

/**
 * Validate generation parameters and write their RFC 8785 canonical JSON in
 * one pass. This is on the signing hot path: names are sorted only when they
 * are not already in order, and nothing else is allocated per value.
 *
 * @param parameters the parameters (`undefined` is `{}`)
 * @returns the canonical JSON text
 * @throws VerificationError `ERR_SCHEMA` (SchemaValidationError) for bad names, values or too many
 */
// The last parameters written: a server usually sends the same settings with
// output after output, and comparing names and values is far cheaper than
// checking and writing them again. Compared by value, never by identity, so a
// caller who changes an object between calls gets its new values.
let lastNames: readonly string[] = [];
let lastValues: readonly unknown[] = [];
let lastJson = '{}';

export function canonicalParameters(parameters: unknown): string {
  if (parameters === undefined) return '{}';
  if (!isObject(parameters)) invalidParameters(parameters);
  let names = Object.keys(parameters);
  if (names.length > MAX_OUTPUT_PARAMETERS) invalidParameters(parameters);
  if (names.length === lastNames.length) {
    let same = true;
    for (let i = 0; i < names.length && same; i++) same = names[i] === lastNames[i] && parameters[names[i]!] === lastValues[i];
    if (same) return lastJson;
  }
  const givenNames = names;
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1]! > names[i]!) {
      names = [...names].sort();
      break;
    }
  }
  let out = '{';
  // Each value is read once (a getter could answer differently twice).
  const read = new Map<string, unknown>();
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const value = (parameters as Record<string, unknown>)[name];
    read.set(name, value);
    const quoted = quotedName(name);
    if (quoted === undefined || parameterValueProblem(value) !== undefined) invalidParameters(parameters);
    if (i > 0) out += ',';
    out += quoted;
    out += ':';
    out += typeof value === 'string' ? JSON.stringify(value) : String(value as number | boolean);
  }
  lastNames = givenNames;
  lastValues = givenNames.map((name) => read.get(name));
  lastJson = `${out}}`;
  return lastJson;
}

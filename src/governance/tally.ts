/**
 * The voting tally engine: pure functions that turn an ordered list of votes
 * into per-choice scores, reproducing Snapshot's results (snapshot.js
 * `src/voting/*.ts`, the reference named in DESIGN.md "Governance semantics")
 * bit for bit.
 *
 * What "bit for bit" takes:
 *
 * - Every sum starts at `0` and adds in vote order, per choice, exactly as
 *   snapshot.js's `reduce((a, b) => a + b, 0)` does. Floating-point addition
 *   is not associative, so the vote order is part of the input.
 * - Each formula keeps snapshot.js's grouping, e.g. weighted's
 *   `((v / sum) * 100 / 100) * balance` and `(total / 100) * percent`, and
 *   quadratic's `Math.sqrt(share * balance)`; these are not simplified.
 * - With one strategy, Snapshot's `scoresByStrategy` equals its `scores`
 *   (each method's per-strategy code runs the same arithmetic on
 *   `vote.scores[0]`), so `scoresByStrategy[i]` is `[scores[i]]`.
 *
 * Where provenant differs from snapshot.js, on purpose:
 *
 * - `scoresTotal` counts valid votes only. snapshot.js's `getScoresTotal`
 *   sums every vote's balance, invalid ones included, for every method but
 *   copeland. The scores themselves are unaffected: snapshot.js computes them
 *   from valid votes only (weighted and quadratic also scale them by the valid
 *   total).
 * - Choices are read without JavaScript coercion. snapshot.js tests an index
 *   `c` with `choices[c - 1] !== undefined`, so it accepts `"2"`, `true` or
 *   `[2]` inside an approval or ranked-choice array, non-canonical keys such as
 *   `"01"`, `"1.0"` or `" 1"` in a weighted or quadratic object (whose values
 *   then count only in the denominator), and `Infinity` as a weight (whose
 *   share becomes `NaN`, then 0). Here an index must be a number, a key must
 *   be the canonical decimal `"1"`..`"n"`, and a weight finite (with a finite
 *   sum). Only own data properties of a plain object or of an array without
 *   holes are read. For any ballot that Snapshot's UI produces, the results
 *   are the same.
 *
 * Choice shapes (1-based indices into the proposal's `choiceCount` choices):
 *
 * | method          | choice                                   | example          |
 * |-----------------|------------------------------------------|------------------|
 * | `single-choice` | one index                                | `2`              |
 * | `approval`      | distinct indices, possibly none          | `[1, 3]`, `[]`   |
 * | `weighted`      | `{ index: weight }`, weights >= 0, one > 0 | `{ "1": 2, "3": 1 }` |
 * | `quadratic`     | as weighted                              | `{ "2": 1 }`     |
 * | `ranked-choice` | every index exactly once, best first     | `[2, 3, 1]`      |
 * | `copeland`      | as ranked-choice                         | `[3, 1, 2]`      |
 */

/** The voting methods, by provenant's ids (Snapshot's `type` values). */
export type VotingMethod = 'single-choice' | 'approval' | 'weighted' | 'quadratic' | 'ranked-choice' | 'copeland';

/** Every {@link VotingMethod}, in a fixed order. */
export const VOTING_METHODS: readonly VotingMethod[] = Object.freeze([
  'single-choice',
  'approval',
  'weighted',
  'quadratic',
  'ranked-choice',
  'copeland',
] as const);

/** A vote: Snapshot's choice shape for the method (1-based choice indices), and the voter's power (`balance`; in provenant, the member's weight). */
export interface Vote {
  /** The choice, in the method's shape; anything else makes the vote invalid (dropped). */
  choice: unknown;
  /** The voter's power: a finite number >= 0. */
  balance: number;
}

/** The result of {@link tallyVotes}, in Snapshot's terms. */
export interface Tally {
  /** Score per choice, index 0 = choice 1. */
  scores: number[];
  /** Score per choice and strategy; provenant has one strategy, so `[[scores[0]], [scores[1]], ...]`. */
  scoresByStrategy: number[][];
  /** Sum of the balances of the counted (valid) votes, added in vote order. */
  scoresTotal: number;
  /** number of votes counted (valid) */
  counted: number;
}

/** Most choices a proposal may have. */
const MAX_CHOICES = 256;

/** A weighted or quadratic key: canonical decimal, 1 to 3 digits (range-checked after). */
const WEIGHT_KEY = /^[1-9][0-9]{0,2}$/;

/** A valid choice, read once into plain data with 0-based indices. */
type Ballot =
  | { readonly kind: 'one'; readonly index: number }
  | { readonly kind: 'list'; readonly indices: readonly number[] }
  | { readonly kind: 'weights'; readonly weights: readonly (number | undefined)[]; readonly sum: number };

/** A weighted or quadratic ballot. */
type WeightsBallot = Extract<Ballot, { kind: 'weights' }>;

/** A valid vote, ready to count. */
interface Counted {
  readonly ballot: Ballot;
  readonly balance: number;
}

function checkMethod(method: unknown): asserts method is VotingMethod {
  if (!(VOTING_METHODS as readonly unknown[]).includes(method)) {
    throw new RangeError(`unknown voting method ${JSON.stringify(String(method))}; expected one of ${VOTING_METHODS.join(', ')}`);
  }
}

function checkChoiceCount(choiceCount: unknown): asserts choiceCount is number {
  if (typeof choiceCount !== 'number') throw new TypeError(`"choiceCount" expected a number, got ${typeof choiceCount}`);
  if (!Number.isInteger(choiceCount) || choiceCount < 1 || choiceCount > MAX_CHOICES) {
    throw new RangeError(`"choiceCount" expected an integer from 1 to ${MAX_CHOICES}, got ${choiceCount}`);
  }
}

/**
 * Check a vote and read its fields once (a getter could answer differently on
 * a second read). A `choice` that cannot be read is `undefined`: invalid.
 */
function readVote(vote: unknown, where: string): { choice: unknown; balance: number } {
  if (typeof vote !== 'object' || vote === null) throw new TypeError(`${where} expected an object with "choice" and "balance"`);
  const balance: unknown = (vote as { balance?: unknown }).balance;
  if (typeof balance !== 'number') throw new TypeError(`${where}.balance expected a number, got ${typeof balance}`);
  if (!Number.isFinite(balance) || balance < 0) throw new RangeError(`${where}.balance expected a finite number >= 0, got ${balance}`);
  let choice: unknown;
  try {
    choice = (vote as { choice?: unknown }).choice;
  } catch {
    choice = undefined;
  }
  return { choice, balance };
}

/** A 1-based index of one of `n` choices, as a 0-based index; undefined otherwise. */
function readIndex(value: unknown, n: number): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= n ? value - 1 : undefined;
}

/**
 * Distinct 1-based indices as 0-based ones; `complete` demands every choice.
 * The length is checked before any element is read, so a huge array costs
 * nothing; holes and accessor elements make the list invalid.
 */
function readIndexList(value: unknown, n: number, complete: boolean): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const length: unknown = value.length;
  if (typeof length !== 'number' || length > n || (complete && length !== n)) return undefined;
  const seen = new Array<boolean>(n).fill(false);
  const indices: number[] = [];
  for (let k = 0; k < length; k++) {
    const slot = Object.getOwnPropertyDescriptor(value, k);
    if (slot === undefined || !('value' in slot)) return undefined;
    const index = readIndex(slot.value, n);
    if (index === undefined || seen[index]) return undefined;
    seen[index] = true;
    indices.push(index);
  }
  return indices;
}

/**
 * `{ "i": weight }` as weights by 0-based index, and their sum in ascending
 * key order (the order `Object.values` gives such keys, which snapshot.js
 * sums in).
 */
function readWeights(value: unknown, n: number): Ballot | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== null && proto !== Object.prototype) return undefined;
  const keys = Object.keys(value);
  if (keys.length === 0 || keys.length > n) return undefined;
  const weights = new Array<number | undefined>(n).fill(undefined);
  for (const key of keys) {
    if (!WEIGHT_KEY.test(key)) return undefined;
    const index = Number(key) - 1;
    if (index >= n) return undefined;
    const slot = Object.getOwnPropertyDescriptor(value, key);
    if (slot === undefined || !('value' in slot)) return undefined;
    const weight: unknown = slot.value;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) return undefined;
    weights[index] = weight;
  }
  let sum = 0;
  let positive = false;
  for (const weight of weights) {
    if (weight === undefined) continue;
    sum += weight;
    if (weight > 0) positive = true;
  }
  if (!positive || !Number.isFinite(sum)) return undefined;
  return { kind: 'weights', weights, sum };
}

/** Read `choice` for `method`; undefined when it is not a valid choice. Never throws. */
function readBallot(method: VotingMethod, choice: unknown, n: number): Ballot | undefined {
  try {
    switch (method) {
      case 'single-choice': {
        const index = readIndex(choice, n);
        return index === undefined ? undefined : { kind: 'one', index };
      }
      case 'approval': {
        const indices = readIndexList(choice, n, false);
        return indices && { kind: 'list', indices };
      }
      case 'ranked-choice':
      case 'copeland': {
        const indices = readIndexList(choice, n, true);
        return indices && { kind: 'list', indices };
      }
      case 'weighted':
      case 'quadratic':
        return readWeights(choice, n);
    }
  } catch {
    // A proxy trap or getter threw: not a choice we can count.
    return undefined;
  }
}

/** The share `weight / sum` of a weighted or quadratic ballot, or 0 for an absent key (snapshot.js's `NaN` guard). */
function shareOf(ballot: WeightsBallot, i: number): number {
  const weight = ballot.weights[i];
  return weight === undefined ? 0 : weight / ballot.sum;
}

/** snapshot.js's `weightedPower`: `(percentageOfTotal(...) / 100) * balance`. */
function weightedPower(ballot: WeightsBallot, i: number, balance: number): number {
  const weight = ballot.weights[i];
  const percent = weight === undefined ? 0 : (weight / ballot.sum) * 100;
  return (percent / 100) * balance;
}

/** `part / whole` with `NaN` read as 0, as snapshot.js's percentage helpers do. */
function ratio(part: number, whole: number): number {
  const r = part / whole;
  return Number.isNaN(r) ? 0 : r;
}

/** Sum from 0 in array order. */
function sumOf(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum;
}

const zeros = (n: number): number[] => new Array<number>(n).fill(0);

function tallySingle(n: number, votes: readonly Counted[]): number[] {
  const scores = zeros(n);
  for (const { ballot, balance } of votes) {
    if (ballot.kind === 'one') scores[ballot.index]! += balance;
  }
  return scores;
}

function tallyApproval(n: number, votes: readonly Counted[]): number[] {
  const scores = zeros(n);
  for (const { ballot, balance } of votes) {
    if (ballot.kind === 'list') for (const index of ballot.indices) scores[index]! += balance;
  }
  return scores;
}

function tallyWeighted(n: number, votes: readonly Counted[], total: number): number[] {
  const powers = zeros(n);
  for (const { ballot, balance } of votes) {
    if (ballot.kind === 'weights') for (let i = 0; i < n; i++) powers[i]! += weightedPower(ballot, i, balance);
  }
  const powerSum = sumOf(powers);
  return powers.map((power) => {
    const percent = (power / powerSum) * 100;
    return (total / 100) * (Number.isNaN(percent) ? 0 : percent);
  });
}

function tallyQuadratic(n: number, votes: readonly Counted[], total: number): number[] {
  const roots = zeros(n);
  for (const { ballot, balance } of votes) {
    if (ballot.kind === 'weights') for (let i = 0; i < n; i++) roots[i]! += Math.sqrt(shareOf(ballot, i) * balance);
  }
  const squares = roots.map((root) => root * root);
  const squareSum = sumOf(squares);
  return squares.map((square) => total * ratio(square, squareSum));
}

/**
 * Instant runoff as snapshot.js's `irv`: each round counts every ballot for its
 * highest-ranked remaining choice (balances added in vote order). It stops when
 * one choice has more than half the round's total, or when fewer than 3 choices
 * remain; otherwise it eliminates the choice with the fewest votes, the lowest
 * index among equals. The scores are the last round's counts; eliminated
 * choices score 0.
 */
function tallyRankedChoice(n: number, votes: readonly Counted[]): number[] {
  const ballots = votes.flatMap(({ ballot, balance }) => (ballot.kind === 'list' ? [{ ranking: ballot.indices, balance }] : []));
  if (ballots.length === 0) return zeros(n);
  const alive = new Array<boolean>(n).fill(true);
  let aliveCount = n;
  // Each ballot's position of its best remaining choice; only moves forward.
  const position = new Array<number>(ballots.length).fill(0);
  for (;;) {
    const counts = zeros(n);
    let roundTotal = 0;
    ballots.forEach(({ ranking, balance }, b) => {
      let p = position[b]!;
      while (p < ranking.length && !alive[ranking[p]!]) p++;
      position[b] = p;
      if (p === ranking.length) return; // exhausted (cannot happen with complete rankings)
      counts[ranking[p]!]! += balance;
      roundTotal += balance;
    });
    let top = -Infinity;
    let bottom = -1;
    for (let i = 0; i < n; i++) {
      if (!alive[i]) continue;
      if (counts[i]! > top) top = counts[i]!;
      if (bottom === -1 || counts[i]! < counts[bottom]!) bottom = i;
    }
    if (top > roundTotal / 2 || aliveCount < 3) return counts;
    alive[bottom] = false;
    aliveCount--;
  }
}

/**
 * Copeland as snapshot.js computes it: a point per pairwise win and half a
 * point per pairwise tie (each matchup is seen from both sides, so a win adds
 * 2 and a tie 1 in all), plus `0.5 * average support` as a tie-break, then
 * normalised so the scores share out the total.
 */
function tallyCopeland(n: number, votes: readonly Counted[], total: number): number[] {
  const margin = Array.from({ length: n }, () => zeros(n));
  const support = zeros(n);
  for (const { ballot, balance } of votes) {
    if (ballot.kind !== 'list') continue;
    const ranking = ballot.indices;
    for (let hi = 0; hi < ranking.length; hi++) {
      const preferred = ranking[hi]!;
      for (let lo = hi + 1; lo < ranking.length; lo++) {
        const lower = ranking[lo]!;
        margin[preferred]![lower]! += balance;
        margin[lower]![preferred]! -= balance;
        support[preferred]! += balance;
      }
    }
  }
  const points = zeros(n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      if (a === b) continue;
      const m = margin[a]![b]!;
      if (m > 0) points[a]!++;
      else if (m < 0) points[b]!++;
      else {
        points[a]! += 0.5;
        points[b]! += 0.5;
      }
    }
  }
  const matchups = n - 1;
  if (total > 0 && matchups > 0) {
    for (let i = 0; i < n; i++) points[i]! += 0.5 * (support[i]! / (matchups * total));
  }
  const pointSum = sumOf(points);
  if (pointSum > 0) return points.map((p) => (p / pointSum) * total);
  return points.map(() => total / n);
}

/**
 * Whether `choice` is a valid choice for `method` on a proposal with
 * `choiceCount` choices: Snapshot's `isValidChoice` for the method, read
 * without JavaScript coercion (see the module notes).
 *
 * - `single-choice`: an integer from 1 to `choiceCount`.
 * - `approval`: an array of distinct such integers; the empty array is valid
 *   (a vote that approves nothing, counted in `scoresTotal`).
 * - `weighted`, `quadratic`: a plain object, at least one key, every key a
 *   canonical index `"1"`..`"choiceCount"`, every value a finite number >= 0,
 *   at least one value > 0 (and a finite sum).
 * - `ranked-choice`, `copeland`: an array holding every index exactly once
 *   (Snapshot rejects partial rankings for both).
 *
 * Never throws for any `choice`: hostile values (proxies, getters, sparse or
 * huge arrays, `__proto__` keys, `NaN`, `Infinity`, `-0`, fractions, strings)
 * are simply invalid.
 *
 * @param method the voting method
 * @param choice the vote's choice, any value
 * @param choiceCount how many choices the proposal has (1..256)
 * @returns true when a vote with this choice is counted
 * @throws RangeError for an unknown method or a `choiceCount` that is not an integer in 1..256
 * @throws TypeError when `choiceCount` is not a number
 * @example
 * ```ts
 * isValidChoice('approval', [1, 3], 3)        // true
 * isValidChoice('approval', [1, 1], 3)        // false (duplicate)
 * isValidChoice('weighted', { 2: 0 }, 3)      // false (no positive weight)
 * isValidChoice('ranked-choice', [2, 1], 3)   // false (must rank every choice)
 * ```
 */
export function isValidChoice(method: VotingMethod, choice: unknown, choiceCount: number): boolean {
  checkMethod(method);
  checkChoiceCount(choiceCount);
  return readBallot(method, choice, choiceCount) !== undefined;
}

/**
 * Tally in the given order (Snapshot semantics; the order matters for floating-point sums exactly as in snapshot.js).
 * One strategy: scoresByStrategy[i] = [scores[i]].
 *
 * Votes whose choice is invalid ({@link isValidChoice}) are dropped: they count
 * neither in `scores` nor in `scoresTotal` nor in `counted`. Per method:
 *
 * - `single-choice`, `approval`: the sum of the balances of the votes naming
 *   the choice.
 * - `weighted`: each vote splits its balance by its weights; the per-choice
 *   sums are then rescaled to share out `scoresTotal`.
 * - `quadratic`: per choice, the square of the sum over votes of
 *   `sqrt(share * balance)`; the squares are then rescaled to share out
 *   `scoresTotal`.
 * - `ranked-choice`: instant runoff (see Snapshot's `irv`): rounds of
 *   first-preference counts, eliminating the lowest (the lowest index among
 *   equals) until a choice holds more than half or fewer than 3 remain; the
 *   scores are the last round's counts and eliminated choices score 0.
 * - `copeland`: pairwise wins (1) and ties (1/2) from both sides, plus half
 *   the choice's average pairwise support as a tie-break, rescaled to share
 *   out `scoresTotal`.
 *
 * @param method the voting method
 * @param choiceCount how many choices the proposal has (1..256)
 * @param votes the votes, in the order to add them (e.g. by ballot time)
 * @returns scores per choice (index 0 = choice 1), one strategy's breakdown, the valid total and count
 * @throws RangeError for an unknown method, a `choiceCount` not an integer in 1..256, a balance that is negative or
 *   not finite, or counted balances whose sum is not finite
 * @throws TypeError when `votes` is not an array, a vote is not an object, or `choiceCount` or a balance is not a number
 * @example
 * ```ts
 * tallyVotes('single-choice', 3, [{ choice: 1, balance: 2 }, { choice: 3, balance: 1 }, { choice: 9, balance: 5 }])
 * // { scores: [2, 0, 1], scoresByStrategy: [[2], [0], [1]], scoresTotal: 3, counted: 2 }
 * ```
 */
export function tallyVotes(method: VotingMethod, choiceCount: number, votes: readonly Vote[]): Tally {
  checkMethod(method);
  checkChoiceCount(choiceCount);
  if (!Array.isArray(votes)) throw new TypeError('"votes" expected an array');
  const valid: Counted[] = [];
  let total = 0;
  for (let k = 0; k < votes.length; k++) {
    const { choice, balance } = readVote(votes[k], `votes[${k}]`);
    const ballot = readBallot(method, choice, choiceCount);
    if (ballot === undefined) continue;
    valid.push({ ballot, balance });
    total += balance;
  }
  if (!Number.isFinite(total)) throw new RangeError('the sum of the counted balances is not a finite number');

  let scores: number[];
  switch (method) {
    case 'single-choice':
      scores = tallySingle(choiceCount, valid);
      break;
    case 'approval':
      scores = tallyApproval(choiceCount, valid);
      break;
    case 'weighted':
      scores = tallyWeighted(choiceCount, valid, total);
      break;
    case 'quadratic':
      scores = tallyQuadratic(choiceCount, valid, total);
      break;
    case 'ranked-choice':
      scores = tallyRankedChoice(choiceCount, valid);
      break;
    case 'copeland':
      scores = tallyCopeland(choiceCount, valid, total);
      break;
  }
  return { scores, scoresByStrategy: scores.map((score) => [score]), scoresTotal: total, counted: valid.length };
}

/**
 * Per-voter contribution of one valid vote to each choice (for explaining a tally), same units as scores.
 *
 * - `single-choice`, `approval`: the balance on each chosen choice; the scores
 *   are exactly the sums of these.
 * - `weighted`: the balance split by the vote's weights (snapshot.js's
 *   `weightedPower`); the scores are the sums of these, rescaled so they add
 *   up to `scoresTotal`.
 * - `quadratic`: the balance split by the vote's weights. Not additive: the
 *   tally sums `sqrt` of these per choice across voters, squares, and rescales.
 * - `ranked-choice`: the first-preference contribution (the balance on the
 *   first-ranked choice), i.e. the vote's part in the first round; later rounds
 *   move it to the best remaining choice.
 * - `copeland`: undefined; a ranking's effect depends on every other vote.
 *
 * @param method the voting method
 * @param choiceCount how many choices the proposal has (1..256)
 * @param vote the vote
 * @returns one number per choice (index 0 = choice 1), or undefined when the vote is invalid (dropped) or the method
 *   is `copeland`
 * @throws RangeError for an unknown method, a bad `choiceCount`, or a negative or non-finite balance
 * @throws TypeError when `vote` is not an object, or `choiceCount` or the balance is not a number
 * @example
 * ```ts
 * voteContribution('weighted', 3, { choice: { 1: 1, 3: 3 }, balance: 8 }) // [2, 0, 6]
 * voteContribution('ranked-choice', 3, { choice: [2, 3, 1], balance: 5 }) // [0, 5, 0]
 * ```
 */
export function voteContribution(method: VotingMethod, choiceCount: number, vote: Vote): number[] | undefined {
  checkMethod(method);
  checkChoiceCount(choiceCount);
  const { choice, balance } = readVote(vote, 'vote');
  const ballot = readBallot(method, choice, choiceCount);
  if (ballot === undefined || method === 'copeland') return undefined;
  const out = zeros(choiceCount);
  switch (ballot.kind) {
    case 'one':
      out[ballot.index] = balance;
      return out;
    case 'list':
      if (method === 'ranked-choice') out[ballot.indices[0]!] = balance;
      else for (const index of ballot.indices) out[index] = balance;
      return out;
    case 'weights':
      return out.map((_, i) => (method === 'weighted' ? weightedPower(ballot, i, balance) : shareOf(ballot, i) * balance));
  }
}

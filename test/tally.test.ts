/**
 * The voting tally engine: snapshot.js's examples reproduced exactly, small
 * hand-computed cases per method, Snapshot's validity rules (invalid votes are
 * dropped), instant-runoff rounds and ties, and fast-check properties.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isValidChoice,
  tallyVotes,
  voteContribution,
  VOTING_METHODS,
  type Tally,
  type Vote,
  type VotingMethod,
} from '../src/governance/tally.js';
import { HAVE_VECTORS, VECTORS } from './helpers.js';

/** snapshot.js's `src/voting/examples/*.json` (see the vectors' README). */
const TALLY_VECTORS = join(VECTORS, 'attestation/snapshot-tally');
const HAVE_TALLY_VECTORS = HAVE_VECTORS && existsSync(TALLY_VECTORS);

/** Vector file (snapshot.js's example name) to our method id. */
const VECTOR_METHODS: Readonly<Record<string, VotingMethod>> = {
  singleChoice: 'single-choice',
  approval: 'approval',
  quadratic: 'quadratic',
  weighted: 'weighted',
  copeland: 'copeland',
};

interface SnapshotExample {
  proposal: { choices: string[] };
  votes: { choice: unknown; balance: number; scores: number[] }[];
  scores: number[];
  scoresByStrategy: number[][];
  scoresTotal: number;
}

function loadExample(name: string): SnapshotExample {
  return JSON.parse(readFileSync(join(TALLY_VECTORS, `${name}.json`), 'utf8')) as SnapshotExample;
}

function tallyExample(method: VotingMethod, example: SnapshotExample, balance?: number): Tally {
  const votes = example.votes.map((v) => ({ choice: v.choice, balance: balance ?? v.balance }));
  return tallyVotes(method, example.proposal.choices.length, votes);
}

const sumInOrder = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Insert `vote` at `at` (clamped), without touching `votes`. */
function insertAt(votes: readonly Vote[], vote: Vote, at: number): Vote[] {
  const i = Math.min(Math.max(at, 0), votes.length);
  return [...votes.slice(0, i), vote, ...votes.slice(i)];
}

describe.skipIf(!HAVE_TALLY_VECTORS)(
  'snapshot.js examples (skipped when ../shared/vectors/attestation/snapshot-tally is absent)',
  () => {
    it('maps every vector file to a method', () => {
      const files = readdirSync(TALLY_VECTORS).filter((f) => f.endsWith('.json'));
      expect(files.sort()).toEqual(Object.keys(VECTOR_METHODS).map((name) => `${name}.json`).sort());
    });

    for (const [name, method] of Object.entries(VECTOR_METHODS)) {
      if (name === 'copeland') continue;
      it(`${name}.json as ${method}: scores, scoresByStrategy and scoresTotal exactly`, () => {
        const example = loadExample(name);
        const tally = tallyExample(method, example);
        expect(tally.scores).toEqual(example.scores);
        expect(tally.scoresByStrategy).toEqual(example.scoresByStrategy);
        expect(tally.scoresTotal).toEqual(example.scoresTotal);
        // Every example vote is valid, so counting only valid votes changes nothing here.
        expect(tally.counted).toBe(example.votes.length);
      });
    }

    it('copeland.json as copeland: snapshot.js HEAD results (the file\'s own score fields are stale)', () => {
      // copeland.spec.js never compares with the JSON's scores/scoresTotal: it uses toMatchSnapshot, and these are
      // its __snapshots__/copeland.spec.js.snap "getScores 1", "getScoresByStrategy 1" and "getScoresTotal 1". The
      // JSON's [2.5, 2, 0.5, 1] / 4 came with the first commit (f0a4066d, whose own snapshot was [5, 5, 2, 0]) and
      // were never updated: since #1214 the fourth ballot, the partial [2, 1], is invalid.
      const example = loadExample('copeland');
      const tally = tallyExample('copeland', example);
      expect(tally.scores).toEqual([1.4871794871794872, 1, 0.5128205128205128, 0]);
      expect(tally.scoresByStrategy).toEqual([[1.4871794871794872], [1], [0.5128205128205128], [0]]);
      expect(tally.scoresTotal).toBe(3);
      expect(tally.counted).toBe(3);
      expect(isValidChoice('copeland', example.votes[3]!.choice, 4)).toBe(false);
      expect(example.scoresTotal).toBe(4);
    });

    // snapshot.js's example2(): the same ballots with balance 3 (its three 1-point strategies summed).
    const BALANCE_3: readonly [string, number[], number][] = [
      ['singleChoice', [1758, 222, 177, 120], 2277],
      ['approval', [771, 513, 417, 375], 1218],
      ['quadratic', [854.6690338964088, 135.07224932254462, 119.01320657080512, 73.24551021024158], 1182],
      ['weighted', [1056.126494229336, 267.57865596652977, 150.23400677711683, 155.06084302701717], 1629],
      ['copeland', [4.461538461538462, 3, 1.5384615384615385, 0], 9],
    ];
    for (const [name, scores, scoresTotal] of BALANCE_3) {
      it(`${name}.json with balance 3 (snapshot.js example2): scores and scoresTotal exactly`, () => {
        const tally = tallyExample(VECTOR_METHODS[name]!, loadExample(name), 3);
        expect(tally.scores).toEqual(scores);
        expect(tally.scoresTotal).toBe(scoresTotal);
      });
    }

    // snapshot.js's votesWithInvalidChoices(): invalid ballots put in front change nothing.
    const INVALID_PREFIX: Readonly<Record<string, unknown[]>> = {
      singleChoice: [-1, 1000000, 0, [1], '1'],
      approval: [[2, -1], [1000000], [0, 2], [2, undefined], [2, 2]],
      quadratic: [{}, { 2: -1 }, { 1: 0, 2: 0, 3: 0 }, { 0: 1 }],
      weighted: [{}, { 2: -1 }, { 1: 0, 2: 0, 3: 0 }, { 5: 1 }],
      copeland: [[0, 1], [1, 5], [1, 1], [], [1, 2, 3, 4, 5], [2, 1]],
    };
    for (const [name, method] of Object.entries(VECTOR_METHODS)) {
      it(`${name}.json with invalid ballots in front: the same tally`, () => {
        const example = loadExample(name);
        const base = tallyExample(method, example);
        const invalid = INVALID_PREFIX[name]!.map((choice) => ({ choice, balance: 7 }));
        const votes = [...invalid, ...example.votes.map((v) => ({ choice: v.choice, balance: v.balance }))];
        expect(tallyVotes(method, example.proposal.choices.length, votes)).toEqual(base);
      });
    }
  },
);

describe('hand-computed tallies', () => {
  it('single-choice: balances summed per choice; an invalid vote is not counted', () => {
    const tally = tallyVotes('single-choice', 3, [
      { choice: 1, balance: 2 },
      { choice: 3, balance: 1 },
      { choice: 9, balance: 5 },
      { choice: 1, balance: 0.5 },
    ]);
    expect(tally).toEqual({ scores: [2.5, 0, 1], scoresByStrategy: [[2.5], [0], [1]], scoresTotal: 3.5, counted: 3 });
  });

  it('approval: every approved choice gets the full balance; an empty approval counts in the total only', () => {
    const tally = tallyVotes('approval', 3, [
      { choice: [1, 2], balance: 2 },
      { choice: [], balance: 1 },
      { choice: [3], balance: 4 },
      { choice: [2, 2], balance: 7 },
    ]);
    expect(tally).toEqual({ scores: [2, 2, 4], scoresByStrategy: [[2], [2], [4]], scoresTotal: 7, counted: 3 });
  });

  it('weighted: each vote splits its balance by its weights', () => {
    expect(tallyVotes('weighted', 3, [{ choice: { 1: 1, 3: 3 }, balance: 8 }]).scores).toEqual([2, 0, 6]);
    const tally = tallyVotes('weighted', 3, [
      { choice: { 1: 1 }, balance: 1 },
      { choice: { 1: 1, 2: 1 }, balance: 2 },
    ]);
    expect(tally.scoresTotal).toBe(3);
    expect(tally.scores[0]).toBeCloseTo(2, 12);
    expect(tally.scores[1]).toBeCloseTo(1, 12);
    expect(tally.scores[2]).toBe(0);
  });

  it('weighted: zero weights are allowed next to a positive one', () => {
    const tally = tallyVotes('weighted', 2, [{ choice: { 1: 0, 2: 5 }, balance: 4 }]);
    expect(tally.scores).toEqual([0, 4]);
    expect(tally.counted).toBe(1);
  });

  it('quadratic: many small voters outweigh one large one (square of summed square roots)', () => {
    // Choice 1: sqrt(1) + sqrt(1) = 2 -> 4; choice 2: sqrt(4) = 2 -> 4. Equal, shared out over the total 6.
    expect(
      tallyVotes('quadratic', 2, [
        { choice: { 1: 1 }, balance: 1 },
        { choice: { 1: 1 }, balance: 1 },
        { choice: { 2: 1 }, balance: 4 },
      ]).scores,
    ).toEqual([3, 3]);
    // One voter with 9 matches three voters with 1 each: sqrt(9) = 3 = 3 * sqrt(1).
    const tally = tallyVotes('quadratic', 2, [
      { choice: { 1: 1 }, balance: 9 },
      { choice: { 2: 1 }, balance: 1 },
      { choice: { 2: 2 }, balance: 1 },
      { choice: { 2: 1 }, balance: 1 },
    ]);
    expect(tally.scores).toEqual([6, 6]);
    expect(tally.scoresTotal).toBe(12);
  });

  it('quadratic: a split vote takes sqrt of each share', () => {
    // shares 1/2 of 2 -> sqrt(1) = 1 on each choice.
    expect(tallyVotes('quadratic', 2, [{ choice: { 1: 1, 2: 1 }, balance: 2 }]).scores).toEqual([1, 1]);
  });

  it('copeland: a Condorcet winner, with the average-support tie-break folded in', () => {
    // 1 beats 2 and 3, 2 beats 3: points 4, 2, 0 (each matchup seen from both sides). Support for each choice
    // over its matchups: 4, 4, 1; bonus 0.5 * support / (2 matchups * total 3): 1/3, 1/3, 1/12.
    const tally = tallyVotes('copeland', 3, [
      { choice: [1, 2, 3], balance: 2 },
      { choice: [2, 3, 1], balance: 1 },
    ]);
    const points = [4 + 1 / 3, 2 + 1 / 3, 1 / 12];
    const sum = points[0]! + points[1]! + points[2]!;
    points.forEach((p, i) => expect(tally.scores[i]).toBeCloseTo((p / sum) * 3, 12));
    expect(tally.scoresTotal).toBe(3);
  });

  it('copeland: a cycle ties every choice', () => {
    const tally = tallyVotes('copeland', 3, [
      { choice: [1, 2, 3], balance: 1 },
      { choice: [2, 3, 1], balance: 1 },
      { choice: [3, 1, 2], balance: 1 },
    ]);
    for (const score of tally.scores) expect(score).toBeCloseTo(1, 12);
  });

  it('copeland: snapshot.js "mixed voting powers" and "0 votes" snapshots, exactly', () => {
    const tally = tallyVotes('copeland', 3, [
      { choice: [1, 2, 3], balance: 1000000.75 },
      { choice: [2, 3, 1], balance: 0.25 },
      { choice: [3, 1, 2], balance: 2500.5 },
    ]);
    expect(tally.scores).toEqual([668241.7037037036, 334074.5648148148, 185.23148148148144]);
    expect(tallyVotes('copeland', 3, []).scores).toEqual([0, 0, 0]);
  });

  it('copeland: one choice takes the whole total', () => {
    expect(tallyVotes('copeland', 1, [{ choice: [1], balance: 5 }]).scores).toEqual([5]);
  });

  it('no votes: zero scores for every method', () => {
    for (const method of VOTING_METHODS) {
      expect(tallyVotes(method, 4, [])).toEqual({ scores: [0, 0, 0, 0], scoresByStrategy: [[0], [0], [0], [0]], scoresTotal: 0, counted: 0 });
    }
  });

  it('zero balances: counted, but nothing to share out', () => {
    for (const method of VOTING_METHODS) {
      const choice = { 'single-choice': 1, approval: [1], weighted: { 1: 1 }, quadratic: { 1: 1 }, 'ranked-choice': [1, 2, 3], copeland: [1, 2, 3] }[method];
      const tally = tallyVotes(method, 3, [{ choice, balance: 0 }]);
      expect(tally.scores, method).toEqual([0, 0, 0]);
      expect(tally.counted, method).toBe(1);
    }
  });
});

describe('ranked-choice (instant runoff, as snapshot.js)', () => {
  const irv = (n: number, votes: [number[], number][]): number[] =>
    tallyVotes('ranked-choice', n, votes.map(([choice, balance]) => ({ choice, balance }))).scores;

  it('transfers eliminated choices\' ballots round by round', () => {
    // Round 1: 40, 35, 20, 5 (no majority of 100) -> drop 4; round 2: 40, 35, 25 -> drop 3;
    // 2 remain: 1 keeps 40, 2 gets 35 + 20 + 5.
    expect(
      irv(4, [
        [[1, 3, 2, 4], 40],
        [[2, 3, 1, 4], 35],
        [[3, 2, 1, 4], 20],
        [[4, 3, 2, 1], 5],
      ]),
    ).toEqual([40, 60, 0, 0]);
  });

  it('stops at the first round with a majority; the others keep their first preferences', () => {
    expect(
      irv(4, [
        [[1, 2, 3, 4], 60],
        [[2, 1, 3, 4], 30],
        [[3, 2, 1, 4], 10],
      ]),
    ).toEqual([60, 30, 10, 0]);
  });

  it('a choice nobody ranks first is still a candidate (and is eliminated first)', () => {
    // snapshot.js's "choices with no first-place votes": 2 has 450 of 750, a majority.
    expect(
      irv(4, [
        [[1, 2, 3, 4], 100],
        [[1, 3, 2, 4], 200],
        [[2, 1, 3, 4], 150],
        [[2, 3, 1, 4], 300],
      ]),
    ).toEqual([300, 450, 0, 0]);
    // No majority (3 of 6): 3 and 4 have 0 each; 3 goes first (the lowest index among equals), then 4; the last two tie.
    expect(
      irv(4, [
        [[1, 2, 3, 4], 2],
        [[2, 4, 1, 3], 2],
        [[1, 4, 2, 3], 1],
        [[2, 1, 4, 3], 1],
      ]),
    ).toEqual([3, 3, 0, 0]);
  });

  it('a tie at the bottom eliminates the lowest choice index, whatever the ballot order', () => {
    const ballots: [number[], number][] = [
      [[1, 2, 3], 10],
      [[2, 3, 1], 10],
      [[3, 1, 2], 10],
    ];
    // All at 10: 1 is eliminated, its ballot goes to 2.
    expect(irv(3, ballots)).toEqual([0, 20, 10]);
    expect(irv(3, [...ballots].reverse())).toEqual([0, 20, 10]);
  });

  it('a tie between some of the lowest: the lowest index among them goes', () => {
    // Round 1: 40, 20, 20, 20 -> drop 2 (its ballot to 3); round 2: 40, 0, 40, 20 -> drop 4 (to 3); 3 wins 60-40.
    expect(
      irv(4, [
        [[1, 2, 3, 4], 40],
        [[2, 3, 4, 1], 20],
        [[3, 4, 2, 1], 20],
        [[4, 2, 3, 1], 20],
      ]),
    ).toEqual([40, 0, 60, 0]);
  });

  it('exactly half is not a majority; the final two may tie', () => {
    expect(
      irv(3, [
        [[1, 2, 3], 50],
        [[2, 3, 1], 30],
        [[3, 2, 1], 20],
      ]),
    ).toEqual([50, 50, 0]);
  });

  it('multiple rounds as in snapshot.js\'s getFinalRound test', () => {
    // 100, 200, 150, 50 -> drop 4 (to 1): 150, 200, 150 -> tie at the bottom, drop 1 (to 2): 350 vs 150.
    expect(
      irv(4, [
        [[1, 2, 3, 4], 100],
        [[2, 1, 3, 4], 200],
        [[3, 1, 2, 4], 150],
        [[4, 1, 2, 3], 50],
      ]),
    ).toEqual([0, 350, 150, 0]);
  });

  it('two or fewer choices: no elimination at all', () => {
    expect(
      irv(2, [
        [[1, 2], 3],
        [[2, 1], 5],
      ]),
    ).toEqual([3, 5]);
    expect(irv(1, [[[1], 2]])).toEqual([2]);
  });

  it('all-zero balances still eliminate (the lowest index first) down to two', () => {
    expect(
      irv(3, [
        [[1, 2, 3], 0],
        [[3, 2, 1], 0],
      ]),
    ).toEqual([0, 0, 0]);
  });
});

describe('isValidChoice and dropped votes', () => {
  let deep: Record<string, unknown> = {};
  const deepRoot = deep;
  for (let i = 0; i < 10_000; i++) {
    const next: Record<string, unknown> = {};
    deep['1'] = next;
    deep = next;
  }
  const thrower = (): never => {
    throw new Error('hostile');
  };
  const traps = { get: thrower, ownKeys: thrower, getPrototypeOf: thrower, getOwnPropertyDescriptor: thrower, has: thrower };
  const revoked = Proxy.revocable([1, 2, 3], {});
  revoked.revoke();
  const sparse: number[] = [];
  sparse[1] = 1;
  const sparseFull: number[] = [1, 2];
  sparseFull[3] = 3;
  const getterArray = Object.defineProperty([0, 2, 3], 0, { get: thrower, enumerable: true });
  const getterObject = Object.defineProperty({}, '1', { get: () => 1, enumerable: true });
  const manyKeys = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [String(i + 1), 1]));

  /** Invalid for every method, on a 3-choice proposal. */
  const HOSTILE: readonly [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['-0', -0],
    ['0', 0],
    ['1.5', 1.5],
    ['4 (out of range)', 4],
    ['2 ** 53', 2 ** 53],
    ['"1"', '1'],
    ['""', ''],
    ['true', true],
    ['1n', 1n],
    ['a symbol', Symbol('1')],
    ['a function', () => 1],
    ['a Map', new Map([[1, 1]])],
    ['a Date', new Date(1)],
    ['a Number object', Object(1)],
    ['a deep object', deepRoot],
    ['an object with 100000 keys', manyKeys],
    ['a huge sparse array', new Array(2 ** 32 - 1)],
    ['a long dense array', Array.from({ length: 100_000 }, (_, i) => (i % 3) + 1)],
    ['a sparse array', sparse],
    ['a sparse array of full length', sparseFull],
    ['an array with a throwing getter', getterArray],
    ['an object with a getter', getterObject],
    ['a throwing proxy of an object', new Proxy({}, traps)],
    ['a throwing proxy of an array', new Proxy([1, 2, 3], traps)],
    ['a revoked proxy', revoked.proxy],
    ['[NaN]', [NaN]],
    ['[Infinity]', [Infinity]],
    ['[-0]', [-0]],
    ['[1.5, 2, 3]', [1.5, 2, 3]],
    ['["1", "2", "3"]', ['1', '2', '3']],
    ['[[1], [2], [3]]', [[1], [2], [3]]],
    ['[true, 2, 3]', [true, 2, 3]],
    ['[null]', [null]],
    ['[1, 1, 2]', [1, 1, 2]],
    ['[0, 1, 2]', [0, 1, 2]],
    ['[1, 2, 3, 4]', [1, 2, 3, 4]],
    ['{}', {}],
    ['{"__proto__": 1}', JSON.parse('{"__proto__": 1}')],
    ['{"1": 1, "__proto__": {"2": 5}}', JSON.parse('{"1": 1, "__proto__": {"2": 5}}')],
    ['a prototype with keys', Object.create({ 1: 1 })],
    ['{"0": 1}', { 0: 1 }],
    ['{"4": 1}', { 4: 1 }],
    ['{"1": -1}', { 1: -1 }],
    ['{"1": NaN}', { 1: NaN }],
    ['{"1": Infinity}', { 1: Infinity }],
    ['{"1": "1"}', { 1: '1' }],
    ['{"1": 0}', { 1: 0 }],
    ['{"1": 0, "2": -0}', { 1: 0, 2: -0 }],
    ['{"01": 1}', { '01': 1 }],
    ['{"1.0": 1}', { '1.0': 1 }],
    ['{" 1": 1}', { ' 1': 1 }],
    ['{"1e0": 1}', { '1e0': 1 }],
    ['{"1": 1e308, "2": 1e308} (the sum overflows)', { 1: 1e308, 2: 1e308 }],
    ['{"1": {"1": 1}}', { 1: { 1: 1 } }],
  ];

  /** Per method on a 3-choice proposal: valid choices, and invalid ones beyond HOSTILE. */
  const CASES: Readonly<Record<VotingMethod, { valid: unknown[]; invalid: unknown[] }>> = {
    'single-choice': { valid: [1, 2, 3, 1.0], invalid: [[1], { 1: 1 }, -1, 1000000] },
    approval: { valid: [[], [1], [3, 1], [1, 2, 3]], invalid: [1, { 1: 1 }, [4], [1, 2, 2], [2, undefined]] },
    weighted: { valid: [{ 1: 1 }, { 3: 0.5 }, { 1: 0, 2: 2 }, { 1: -0, 3: 1 }, JSON.parse('{"2": 1e-300}')], invalid: [1, [1], [1, 2, 3]] },
    quadratic: { valid: [{ 1: 1 }, { 1: 1, 2: 1, 3: 1 }, { 2: 0, 3: 7 }], invalid: [1, [1], [1, 2, 3]] },
    'ranked-choice': { valid: [[1, 2, 3], [3, 1, 2]], invalid: [1, [1], [2, 1], [1, 2, 2], [], { 1: 1 }] },
    copeland: { valid: [[1, 2, 3], [2, 3, 1]], invalid: [1, [1], [2, 1], [1, 2, 2], [], { 1: 1 }] },
  };

  const BASE: Readonly<Record<VotingMethod, Vote[]>> = {
    'single-choice': [{ choice: 1, balance: 3 }, { choice: 2, balance: 1.25 }, { choice: 1, balance: 0.1 }],
    approval: [{ choice: [1, 2], balance: 3 }, { choice: [3], balance: 0.7 }, { choice: [], balance: 2 }],
    weighted: [{ choice: { 1: 1, 2: 2 }, balance: 3 }, { choice: { 3: 1 }, balance: 0.7 }, { choice: { 1: 0.3, 3: 0.1 }, balance: 5 }],
    quadratic: [{ choice: { 1: 1, 2: 2 }, balance: 3 }, { choice: { 3: 1 }, balance: 0.7 }, { choice: { 1: 0.3, 3: 0.1 }, balance: 5 }],
    'ranked-choice': [{ choice: [1, 2, 3], balance: 3 }, { choice: [2, 3, 1], balance: 2.5 }, { choice: [3, 2, 1], balance: 1 }],
    copeland: [{ choice: [1, 2, 3], balance: 3 }, { choice: [2, 3, 1], balance: 2.5 }, { choice: [3, 2, 1], balance: 1 }],
  };

  for (const method of VOTING_METHODS) {
    it(`${method}: valid choices are accepted and counted`, () => {
      for (const choice of CASES[method].valid) {
        expect(isValidChoice(method, choice, 3), JSON.stringify(choice)).toBe(true);
        expect(tallyVotes(method, 3, [...BASE[method], { choice, balance: 1 }]).counted).toBe(4);
      }
    });

    it(`${method}: invalid and hostile choices are rejected and dropped (scores and total unchanged)`, () => {
      const base = tallyVotes(method, 3, BASE[method]);
      const invalid: [string, unknown][] = [...HOSTILE, ...CASES[method].invalid.map((c): [string, unknown] => [JSON.stringify(c), c])];
      for (const [label, choice] of invalid) {
        expect(isValidChoice(method, choice, 3), label).toBe(false);
        for (const at of [0, 1, 3]) {
          expect(tallyVotes(method, 3, insertAt(BASE[method], { choice, balance: 4 }, at)), label).toEqual(base);
        }
        expect(voteContribution(method, 3, { choice, balance: 4 }), label).toBeUndefined();
      }
    });
  }

  it('a vote whose choice cannot be read is dropped', () => {
    const vote = Object.defineProperty({ balance: 1 }, 'choice', { get: thrower, enumerable: true }) as Vote;
    expect(tallyVotes('single-choice', 3, [vote, { choice: 2, balance: 1 }]).scores).toEqual([0, 1, 0]);
  });

  it('ranked-choice and copeland need a complete ranking; approval and weighted do not', () => {
    expect(isValidChoice('ranked-choice', [1, 2, 3, 4], 4)).toBe(true);
    expect(isValidChoice('ranked-choice', [1, 2, 3], 4)).toBe(false);
    expect(isValidChoice('copeland', [4, 3, 2, 1], 4)).toBe(true);
    expect(isValidChoice('copeland', [4, 3, 2], 4)).toBe(false);
    expect(isValidChoice('approval', [4], 4)).toBe(true);
    expect(isValidChoice('weighted', { 4: 1 }, 4)).toBe(true);
  });

  it('indices up to 256 choices', () => {
    expect(isValidChoice('single-choice', 256, 256)).toBe(true);
    expect(isValidChoice('single-choice', 257, 256)).toBe(false);
    expect(isValidChoice('weighted', { 256: 1 }, 256)).toBe(true);
    expect(isValidChoice('weighted', { 257: 1 }, 256)).toBe(false);
    expect(isValidChoice('weighted', { 1000: 1 }, 256)).toBe(false);
    const all = Array.from({ length: 256 }, (_, i) => 256 - i);
    expect(isValidChoice('ranked-choice', all, 256)).toBe(true);
    expect(tallyVotes('copeland', 256, [{ choice: all, balance: 1 }]).counted).toBe(1);
  });
});

describe('argument checks (programmer errors)', () => {
  it('an unknown method is a RangeError', () => {
    expect(() => tallyVotes('basic' as VotingMethod, 3, [])).toThrow(RangeError);
    expect(() => isValidChoice('rankedChoice' as VotingMethod, [1], 1)).toThrow(RangeError);
    expect(() => voteContribution(undefined as unknown as VotingMethod, 1, { choice: 1, balance: 1 })).toThrow(RangeError);
  });

  it('choiceCount must be an integer from 1 to 256', () => {
    for (const n of [0, -1, 257, 2.5, NaN, Infinity]) {
      expect(() => tallyVotes('approval', n, []), String(n)).toThrow(RangeError);
      expect(() => isValidChoice('approval', [], n), String(n)).toThrow(RangeError);
    }
    expect(() => tallyVotes('approval', '3' as unknown as number, [])).toThrow(TypeError);
    expect(tallyVotes('approval', 256, []).scores).toHaveLength(256);
  });

  it('a balance must be a finite number >= 0', () => {
    for (const balance of [-1, -Infinity, Infinity, NaN]) {
      expect(() => tallyVotes('single-choice', 2, [{ choice: 1, balance }]), String(balance)).toThrow(RangeError);
      // Checked even when the choice is invalid.
      expect(() => tallyVotes('single-choice', 2, [{ choice: 9, balance }]), String(balance)).toThrow(RangeError);
      expect(() => voteContribution('single-choice', 2, { choice: 1, balance }), String(balance)).toThrow(RangeError);
    }
    for (const balance of ['1', undefined, null, 1n]) {
      expect(() => tallyVotes('single-choice', 2, [{ choice: 1, balance } as unknown as Vote])).toThrow(TypeError);
    }
    expect(tallyVotes('single-choice', 2, [{ choice: 1, balance: -0 }]).scores).toEqual([0, 0]);
  });

  it('votes must be an array of objects', () => {
    expect(() => tallyVotes('single-choice', 2, null as unknown as Vote[])).toThrow(TypeError);
    expect(() => tallyVotes('single-choice', 2, [null as unknown as Vote])).toThrow(TypeError);
    expect(() => tallyVotes('single-choice', 2, [1 as unknown as Vote])).toThrow(TypeError);
  });

  it('counted balances whose sum overflows are a RangeError; an invalid vote\'s balance is not added', () => {
    expect(() =>
      tallyVotes('single-choice', 2, [
        { choice: 1, balance: Number.MAX_VALUE },
        { choice: 2, balance: Number.MAX_VALUE },
      ]),
    ).toThrow(RangeError);
    const tally = tallyVotes('single-choice', 2, [
      { choice: 1, balance: Number.MAX_VALUE },
      { choice: 3, balance: Number.MAX_VALUE },
    ]);
    expect(tally.scoresTotal).toBe(Number.MAX_VALUE);
  });
});

describe('voteContribution', () => {
  it('per method', () => {
    expect(voteContribution('single-choice', 3, { choice: 2, balance: 5 })).toEqual([0, 5, 0]);
    expect(voteContribution('approval', 3, { choice: [1, 3], balance: 2 })).toEqual([2, 0, 2]);
    expect(voteContribution('approval', 3, { choice: [], balance: 2 })).toEqual([0, 0, 0]);
    expect(voteContribution('weighted', 3, { choice: { 1: 1, 3: 3 }, balance: 8 })).toEqual([2, 0, 6]);
    expect(voteContribution('quadratic', 2, { choice: { 1: 1, 2: 1 }, balance: 2 })).toEqual([1, 1]);
    expect(voteContribution('ranked-choice', 3, { choice: [2, 3, 1], balance: 5 })).toEqual([0, 5, 0]);
    expect(voteContribution('copeland', 3, { choice: [2, 3, 1], balance: 5 })).toBeUndefined();
    expect(voteContribution('single-choice', 3, { choice: 4, balance: 5 })).toBeUndefined();
  });

  it('single-choice and approval scores are exactly the sums of the contributions, in vote order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<VotingMethod>('single-choice', 'approval'),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.anything(), fc.double({ min: 0, max: 1e9, noNaN: true })), { maxLength: 20 }),
        (method, n, raw) => {
          const votes = raw.map(([choice, balance]) => ({ choice: choice as unknown, balance }));
          const sums = new Array<number>(n).fill(0);
          for (const vote of votes) {
            const c = voteContribution(method, n, vote);
            if (c) c.forEach((x, i) => (sums[i]! += x));
          }
          expect(tallyVotes(method, n, votes).scores).toEqual(sums);
        },
      ),
    );
  });
});

describe('properties (fast-check)', () => {
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

  /** A valid choice for `method` on `n` choices. */
  function validChoice(method: VotingMethod, n: number): fc.Arbitrary<unknown> {
    const index = fc.integer({ min: 1, max: n });
    switch (method) {
      case 'single-choice':
        return index;
      case 'approval':
        return fc.uniqueArray(index, { maxLength: n });
      case 'weighted':
      case 'quadratic':
        return fc
          .uniqueArray(index, { minLength: 1, maxLength: n })
          .chain((keys) =>
            fc
              .array(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 100, noNaN: true })), {
                minLength: keys.length,
                maxLength: keys.length,
              })
              .map((weights) => Object.fromEntries(keys.map((k, i) => [String(k), weights[i]]))),
          )
          .filter((choice) => isValidChoice(method, choice, n));
      case 'ranked-choice':
      case 'copeland':
        return fc.shuffledSubarray(range(n), { minLength: n, maxLength: n });
    }
  }

  /** An invalid choice for `method` on `n` choices: near misses and arbitrary values. */
  function invalidChoice(method: VotingMethod, n: number): fc.Arbitrary<unknown> {
    const nearMiss = fc.oneof(
      fc.integer({ min: -3, max: n + 3 }),
      fc.double(),
      fc.array(fc.integer({ min: -1, max: n + 1 }), { maxLength: n + 2 }),
      fc.dictionary(fc.constantFrom('0', '1', '2', `${n + 1}`, '01', '1.0', '__proto__', 'x'), fc.oneof(fc.double(), fc.integer({ min: -2, max: 2 }))),
    );
    return fc.oneof(nearMiss, fc.anything()).filter((choice) => !isValidChoice(method, choice, n));
  }

  const anyBalance = fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: 0, max: 1e6, noNaN: true }));

  function votesOf(method: VotingMethod, n: number, balance: fc.Arbitrary<number>, withInvalid: boolean): fc.Arbitrary<Vote[]> {
    const choice = withInvalid ? fc.oneof(validChoice(method, n), invalidChoice(method, n)) : validChoice(method, n);
    return fc.array(fc.record({ choice, balance }), { maxLength: 15 });
  }

  /** A method, a choice count and votes. */
  const election = (methods: readonly VotingMethod[], balance: fc.Arbitrary<number>, withInvalid: boolean) =>
    fc
      .constantFrom(...methods)
      .chain((method) =>
        fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(fc.constant(method), fc.constant(n), votesOf(method, n, balance, withInvalid))),
      );

  it('single-choice and approval: the tally does not depend on vote order', () => {
    fc.assert(
      fc.property(
        election(['single-choice', 'approval'], fc.integer({ min: 0, max: 1_000_000 }), true).chain(([method, n, votes]) =>
          fc.tuple(fc.constant(method), fc.constant(n), fc.constant(votes), fc.shuffledSubarray(votes, { minLength: votes.length, maxLength: votes.length })),
        ),
        ([method, n, votes, shuffled]) => {
          expect(tallyVotes(method, n, shuffled)).toEqual(tallyVotes(method, n, votes));
        },
      ),
    );
  });

  it('ranked-choice and copeland with whole balances: the tally does not depend on vote order', () => {
    fc.assert(
      fc.property(
        election(['ranked-choice', 'copeland'], fc.integer({ min: 0, max: 1_000 }), false).chain(([method, n, votes]) =>
          fc.tuple(fc.constant(method), fc.constant(n), fc.constant(votes), fc.shuffledSubarray(votes, { minLength: votes.length, maxLength: votes.length })),
        ),
        ([method, n, votes, shuffled]) => {
          expect(tallyVotes(method, n, shuffled)).toEqual(tallyVotes(method, n, votes));
        },
      ),
    );
  });

  it('adding a vote with an invalid choice never changes the tally (every method)', () => {
    fc.assert(
      fc.property(
        election(VOTING_METHODS, anyBalance, true).chain(([method, n, votes]) =>
          fc.tuple(fc.constant(method), fc.constant(n), fc.constant(votes), invalidChoice(method, n), anyBalance, fc.nat()),
        ),
        ([method, n, votes, choice, balance, at]) => {
          const withInvalid = insertAt(votes, { choice, balance }, at % (votes.length + 1));
          expect(tallyVotes(method, n, withInvalid)).toEqual(tallyVotes(method, n, votes));
        },
      ),
    );
  });

  it('scoresTotal is the sum of the valid votes\' balances, and counted their number (every method)', () => {
    fc.assert(
      fc.property(election(VOTING_METHODS, anyBalance, true), ([method, n, votes]) => {
        const valid = votes.filter((v) => isValidChoice(method, v.choice, n));
        const tally = tallyVotes(method, n, votes);
        expect(tally.scoresTotal).toBe(sumInOrder(valid.map((v) => v.balance)));
        expect(tally.counted).toBe(valid.length);
        expect(tally.scores).toHaveLength(n);
        expect(tally.scoresByStrategy).toEqual(tally.scores.map((s) => [s]));
      }),
    );
  });

  it('weighted, quadratic, copeland and ranked-choice share out the total; single-choice adds it up', () => {
    fc.assert(
      fc.property(election(['single-choice', 'weighted', 'quadratic', 'ranked-choice', 'copeland'], anyBalance, true), ([method, n, votes]) => {
        const tally = tallyVotes(method, n, votes);
        for (const score of tally.scores) expect(score).toBeGreaterThanOrEqual(0);
        const sum = sumInOrder(tally.scores);
        // Weighted and quadratic share out nothing when every counted vote has balance 0.
        expect(Math.abs(sum - tally.scoresTotal)).toBeLessThanOrEqual(1e-9 * Math.max(1, tally.scoresTotal));
      }),
    );
  });
});

/**
 * Governance through the real CLI (dist/cli.js as a child process): a whole
 * vote run from shell commands, the timeline, and the bad inputs with their
 * codes and exit codes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryStore } from '../src/store/directory.js';
import { createRecord } from '../src/records/create-record.js';
import { recordSubject } from '../src/records/governance-kinds.js';
import { importSigner } from '../src/envelope/keys.js';
import type { DecisionPredicate } from '../src/records/schema/governance.js';
import { cleanupTemp, HAVE_DIST, makeTemp, runCli } from './helpers.js';

afterAll(cleanupTemp);

const OPENS = '2026-03-01T00:00:00Z';
const CLOSES = '2026-03-01T01:00:00Z';

describe.skipIf(!HAVE_DIST)('provenant gov and log (built CLI)', () => {
  let dir: string;
  let store: string;
  const key = (name: string) => join(dir, 'keys', name);
  const ok = async (args: string[]) => {
    const r = await runCli([...args, '--store', store]);
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };
  let electorate: string;
  let proposal: string;

  beforeAll(async () => {
    dir = await makeTemp('provenant-gov-cli-');
    store = join(dir, 'store');
    for (const name of ['alice', 'bob', 'carol', 'mallory']) {
      const r = await runCli(['keygen', '--out', key(name)]);
      expect(r.code, r.stderr).toBe(0);
    }
    writeFileSync(
      join(dir, 'members.yaml'),
      [
        'members:',
        '  - { id: alice, name: Alice, keys: [keys/alice.pub], weight: 2, roles: [developer] }',
        '  - { id: bob, keys: [keys/bob.pub], weight: 1, roles: [curator] }',
        '  - { id: carol, keys: [keys/carol.pub], weight: 1, roles: [user] }',
        '',
      ].join('\n'),
    );
    const created = await ok([
      'gov', 'electorate', 'create', '--name', 'stewards', '--members', join(dir, 'members.yaml'), '--threshold', '2',
      '--quorum', '0.5', '--approval', '0.5', '--proposers', 'developer,curator', '--key', key('alice'), '--key', key('bob'),
      '--at', '2026-02-01T00:00:00Z', '--json',
    ]);
    const out = JSON.parse(created.stdout);
    expect(out).toMatchObject({ kind: 'electorate', version: 1, complete: true, signedBy: ['alice', 'bob'] });
    electorate = out.id;
    const proposed = await ok([
      'gov', 'propose', '--electorate', electorate, '--as', 'alice', '--key', key('alice'), '--action', 'set-parameter',
      '--parameter', 'temperature', '--max', '1.0', '--title', 'Cap the temperature', '--rationale', 'Incoherent above 1.0',
      '--opens', OPENS, '--closes', CLOSES,
    ]);
    proposal = proposed.stdout.trim();
    expect(proposal).toMatch(/^bagaaiera/);
  });

  it('runs a whole vote: ballots, a refused early tally, the decision, show and log', async () => {
    await ok(['gov', 'vote', proposal, '--as', 'alice', '--key', key('alice'), '--choice', 'for', '--at', '2026-03-01T00:10:00Z']);
    await ok(['gov', 'vote', proposal, '--as', 'bob', '--key', key('bob'), '--choice', '2', '--reason', 'too strict', '--at', '2026-03-01T00:11:00Z']);
    // Not everyone voted and the window is open: no decision yet.
    const early = await runCli(['gov', 'tally', proposal, '--key', key('carol'), '--at', '2026-03-01T00:30:00Z', '--store', store]);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('ERR_WINDOW_OPEN');
    // A dry run reports without writing.
    const dry = JSON.parse((await ok(['gov', 'tally', proposal, '--dry-run', '--at', '2026-03-01T00:30:00Z', '--json'])).stdout);
    expect(dry).toMatchObject({ outcome: 'approved', tally: { scores: [2, 1, 0], scoresTotal: 3, totalWeight: 4 } });
    expect(dry.id).toBeUndefined();
    await ok(['gov', 'vote', proposal, '--as', 'carol', '--key', key('carol'), '--choice', 'against', '--at', '2026-03-01T00:12:00Z']);
    const tallied = JSON.parse((await ok(['gov', 'tally', proposal, '--key', key('carol'), '--at', '2026-03-01T00:30:00Z', '--json'])).stdout);
    expect(tallied).toMatchObject({ kind: 'decision', outcome: 'rejected', reason: 'not-preferred', quorumMet: true, tally: { scores: [2, 2, 0] } });

    const shown = await ok(['gov', 'show', tallied.id]);
    expect(shown.stdout).toContain('verified: the recomputed tally matches (rejected: ERR_NOT_PREFERRED)');
    const shownJson = JSON.parse((await ok(['gov', 'show', tallied.id, '--json', '--genesis', electorate])).stdout);
    expect(shownJson.verification).toMatchObject({ ok: true, approved: false, outcome: 'rejected' });

    const log = JSON.parse((await ok(['log', '--json'])).stdout);
    expect(log.map((e: { type: string }) => e.type)).toEqual(['electorate', 'proposal']);
    const entry = log[1];
    expect(entry).toMatchObject({ title: 'Cap the temperature', rationale: 'Incoherent above 1.0', parameter: { name: 'temperature', max: 1 } });
    expect(entry.ballots.map((b: { voter: string; labels: string[]; counts: boolean }) => [b.voter, b.labels, b.counts])).toEqual([
      ['alice', ['for'], true],
      ['bob', ['against'], true],
      ['carol', ['against'], true],
    ]);
    expect(entry.decisions[0]).toMatchObject({ verified: true, outcome: 'rejected', scores: [2, 2, 0] });
    const text = (await ok(['log'])).stdout;
    expect(text).toContain('proposal "Cap the temperature" (set-parameter) by alice');
    expect(text).toContain('bob: against ("too strict")');
    expect(text).toContain('decision ✓ verified: rejected (not-preferred)');
  });

  it('refuses bad votes with stable codes, and gov show fails (exit 1) on an edited tally', async () => {
    const late = await runCli(['gov', 'vote', proposal, '--as', 'alice', '--key', key('alice'), '--choice', 'for', '--at', '2026-03-01T02:00:00Z', '--store', store]);
    expect([late.code, late.stderr.includes('ERR_WINDOW_CLOSED')]).toEqual([2, true]);
    const outsider = await runCli(['gov', 'vote', proposal, '--as', 'mallory', '--key', key('mallory'), '--choice', 'for', '--at', '2026-03-01T00:20:00Z', '--store', store]);
    expect([outsider.code, outsider.stderr.includes('ERR_NOT_MEMBER')]).toEqual([2, true]);
    const wrongKey = await runCli(['gov', 'vote', proposal, '--as', 'alice', '--key', key('bob'), '--choice', 'for', '--at', '2026-03-01T00:20:00Z', '--store', store]);
    expect([wrongKey.code, wrongKey.stderr.includes('ERR_NOT_MEMBER')]).toEqual([2, true]);
    const badChoice = await runCli(['gov', 'vote', proposal, '--as', 'alice', '--key', key('alice'), '--choice', 'maybe', '--at', '2026-03-01T00:20:00Z', '--store', store]);
    expect([badChoice.code, badChoice.stderr.includes('ERR_USAGE')]).toEqual([2, true]);
    const notProposer = await runCli([
      'gov', 'propose', '--electorate', electorate, '--as', 'carol', '--key', key('carol'), '--action', 'revoke', '--target', electorate,
      '--title', 'x', '--rationale', 'y', '--duration', '1h', '--store', store,
    ]);
    expect([notProposer.code, notProposer.stderr.includes('ERR_PROPOSER_NOT_ALLOWED')]).toEqual([2, true]);
    const missing = await runCli(['gov', 'electorate', 'create', '--name', 'x', '--members', join(dir, 'nope.yaml'), '--threshold', '1', '--quorum', '0.5', '--approval', '0.5', '--key', key('alice'), '--store', store]);
    expect([missing.code, missing.stderr.includes('ERR_NOT_FOUND')]).toEqual([2, true]);

    // A decision whose tally was edited (signed by anyone: the signature is not what makes it valid).
    const s = new DirectoryStore(store);
    const log = JSON.parse((await ok(['log', '--json'])).stdout);
    const honestId = log[1].decisions[0].id;
    const honest = (await import('../src/governance/read.js')).readRecord;
    const record = await honest(s, honestId, ['decision']);
    const predicate: DecisionPredicate = { ...record.predicate, outcome: 'approved', tally: { ...record.predicate.tally, scores: [3, 1, 0] } };
    delete predicate.reason;
    const signer = await importSigner(readFileSync(key('mallory')));
    const forged = await createRecord({ kind: 'decision', subject: [recordSubject(predicate.proposal)], predicate, signers: [signer] });
    await s.put(forged.envelopeBytes);
    const shown = await runCli(['gov', 'show', forged.id.toString(), '--store', store]);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toContain('ERR_TALLY_MISMATCH');
    expect(shown.stdout).toContain('ERR_OUTCOME_MISMATCH');
    const logText = (await ok(['log'])).stdout;
    expect(logText).toContain('✗ NOT VERIFIED');
  });

  it('amends the electorate only with the old threshold, and co-signing completes a partial version', async () => {
    writeFileSync(join(dir, 'members2.yaml'), 'members:\n  - { id: alice, keys: [keys/alice.pub], weight: 2, roles: [developer] }\n  - { id: mallory, keys: [keys/mallory.pub], weight: 1 }\n');
    const args = ['gov', 'electorate', 'amend', electorate, '--members', join(dir, 'members2.yaml'), '--threshold', '2', '--at', '2026-04-01T00:00:00Z'];
    const oldShort = await runCli([...args, '--key', key('alice'), '--key', key('mallory'), '--store', store]);
    expect([oldShort.code, oldShort.stderr.includes('ERR_ROTATION_OLD_THRESHOLD')]).toEqual([1, true]);
    const partial = JSON.parse((await ok([...args, '--key', key('alice'), '--key', key('mallory'), '--partial', '--json'])).stdout);
    expect(partial).toMatchObject({ version: 2, complete: false });
    const notYet = await runCli(['gov', 'show', partial.id, '--store', store]);
    expect(notYet.code).toBe(1);
    expect(notYet.stdout).toContain('ERR_ROTATION_OLD_THRESHOLD');
    await ok(['gov', 'cosign', partial.id, '--key', key('bob')]);
    const done = await ok(['gov', 'show', partial.id, '--genesis', electorate]);
    expect(done.stdout).toContain('electorate stewards v2: 2 members');
  });
});

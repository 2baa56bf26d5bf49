/**
 * The verification report: what `verifyChain` returns and `provenant verify
 * --json` prints, and its text and SARIF renderings.
 */

/**
 * The checks the chain walk makes (plug-ins add their own names, e.g.
 * `tally`). Stable: CI may match on them.
 */
export const CHECK_NAMES = [
  'target',
  'envelope',
  'record-id',
  'schema',
  'signature',
  'link',
  'weights-files',
  'approval',
  'governance',
  'revocation',
  'parameters',
  'age',
] as const;

/** One of {@link CHECK_NAMES}. */
export type CheckName = (typeof CHECK_NAMES)[number];

/** One check of one record. */
export interface VerifyCheck {
  /** The record checked (its id), or the target for a check about the target itself. */
  record: string;
  /** The record's kind (`unknown` when it could not be read). */
  kind: string;
  /** What was checked: one of {@link CHECK_NAMES}, or a plug-in's check name. */
  check: string;
  ok: boolean;
  /** The stable failure code (e.g. `ERR_THRESHOLD_NOT_MET`); present exactly when `ok` is false. */
  code?: string;
  /** What was found, readable. */
  message: string;
  /** Per-item detail (e.g. every file that differs). */
  details?: readonly string[];
}

/** A link from a record, as walked. */
export interface ChainLink {
  /** The linked record's id. */
  id: string;
  /** What the link is: `weights`, `dataset`, `parent`, `approval`, `electorate`, `ballot`, ... */
  role: string;
}

/** One record of the chain. */
export interface ChainRecord {
  id: string;
  kind: string;
  /** Breadth-first distance from the target. */
  depth: number;
  /** A short description (`name@version`), when the record has one. */
  summary?: string;
  /** Key ids of the policy role's keys that signed. */
  signedBy: readonly string[];
  links: readonly ChainLink[];
}

/** The result of verifying a chain. */
export interface VerifyReport {
  /** True exactly when there is at least one check and every check passed. */
  verified: boolean;
  /** The target as given: a record id, or `sha256:<hex>` for an artifact. */
  target: string;
  /** The records the walk started from (the target record, or every record naming the artifact). */
  roots: readonly string[];
  /** The time the chain was verified as of (RFC 3339). */
  at: string;
  /** Every check, in walk order. */
  checks: readonly VerifyCheck[];
  /** Every record walked, breadth-first. */
  chain: readonly ChainRecord[];
}

function shortId(id: string): string {
  return id.length > 24 ? `${id.slice(0, 14)}…${id.slice(-6)}` : id;
}

/** Remove control characters so a hostile name or message cannot drive the terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

/**
 * The report as a readable tree: each record once (a record reached again is
 * shown as a reference), its checks with ✓ or ✗, the code and reason of each
 * failure, and a final verdict line.
 *
 * @param report the report
 * @param options `ascii` marks (`ok`/`FAIL`) instead of ✓/✗; `failuresOnly` hides passing checks
 * @returns the text, ending in a newline
 * @throws nothing
 * @example
 * ```ts
 * process.stderr.write(formatReportText(await verifyChain(id, { store, policy })));
 * ```
 */
export function formatReportText(report: VerifyReport, options: { ascii?: boolean; failuresOnly?: boolean } = {}): string {
  const pass = options.ascii ? 'ok  ' : '✓';
  const failMark = options.ascii ? 'FAIL' : '✗';
  const records = new Map(report.chain.map((r) => [r.id, r]));
  const checksOf = new Map<string, VerifyCheck[]>();
  for (const c of report.checks) {
    const list = checksOf.get(c.record) ?? [];
    list.push(c);
    checksOf.set(c.record, list);
  }
  const lines: string[] = [];
  const printed = new Set<string>();
  const printChecks = (record: string, indent: string): void => {
    for (const c of checksOf.get(record) ?? []) {
      if (c.ok && options.failuresOnly) continue;
      const head = `${indent}${c.ok ? pass : failMark} ${c.check}`;
      lines.push(printable(c.ok ? `${head}: ${c.message}` : `${head} ${c.code ?? ''}: ${c.message}`));
      if (!c.ok) for (const d of c.details ?? []) lines.push(printable(`${indent}    ${d}`));
    }
  };
  const visit = (id: string, role: string | undefined, indent: string, stack: Set<string>): void => {
    const r = records.get(id);
    const own = checksOf.get(id) ?? [];
    const label = `${role ? `${role}: ` : ''}${r?.kind ?? 'record'} ${shortId(id)}${r?.summary ? ` ${r.summary}` : ''}`;
    if (r === undefined && own.length === 0) {
      // Not read by the walk (a dangling link, reported on the record linking it; a decision a plug-in consulted).
      lines.push(printable(`${indent}· ${label} (not in the chain)`));
      return;
    }
    const ok = own.every((c) => c.ok);
    if (printed.has(id) || stack.has(id)) {
      lines.push(printable(`${indent}${ok ? pass : failMark} ${label} (see above)`));
      return;
    }
    printed.add(id);
    lines.push(printable(`${indent}${ok ? pass : failMark} ${label}`));
    printChecks(id, `${indent}    `);
    stack.add(id);
    for (const link of r?.links ?? []) visit(link.id, link.role, `${indent}    `, stack);
    stack.delete(id);
  };
  // Checks about the target itself (an artifact no record names, a record not in the store).
  if (checksOf.has(report.target) && !records.has(report.target)) printChecks(report.target, '');
  for (const root of report.roots) visit(root, undefined, '', new Set());
  // Records reached only through a plug-in (none today) still get listed.
  for (const r of report.chain) if (!printed.has(r.id)) visit(r.id, undefined, '', new Set());
  const failed = report.checks.filter((c) => !c.ok).length;
  lines.push('');
  lines.push(
    report.verified
      ? `verified: ${report.target} (${report.chain.length} records, ${report.checks.length} checks passed)`
      : `NOT verified: ${report.target} (${failed} of ${report.checks.length} checks failed)`,
  );
  return `${lines.join('\n')}\n`;
}

/** The SARIF version `reportToSarif` writes. */
export const SARIF_VERSION = '2.1.0';

/**
 * The report as a SARIF 2.1.0 log (for code-scanning dashboards): one result
 * per failed check, `ruleId` = the failure code, `level` `error`, the record
 * as a logical location. A verified chain gives a run with no results.
 *
 * @param report the report
 * @param tool the tool's version, for `tool.driver.version`
 * @returns the SARIF log, ready for `JSON.stringify`
 * @throws nothing
 * @example
 * ```ts
 * await writeFile('provenance.sarif', JSON.stringify(reportToSarif(report), null, 2));
 * ```
 */
export function reportToSarif(report: VerifyReport, tool: { version?: string } = {}): Record<string, unknown> {
  const failed = report.checks.filter((c) => !c.ok);
  const rules = [...new Set(failed.map((c) => c.code ?? 'ERR_UNKNOWN'))].sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: SARIF_VERSION,
    runs: [
      {
        tool: {
          driver: {
            name: 'provenant',
            ...(tool.version ? { version: tool.version } : {}),
            informationUri: 'https://provenant.dev/',
            rules: rules.map((id) => ({
              id,
              shortDescription: { text: id },
              helpUri: 'https://provenant.dev/docs/guides/verification#failure-codes',
            })),
          },
        },
        invocations: [{ executionSuccessful: true }],
        results: failed.map((c) => ({
          ruleId: c.code ?? 'ERR_UNKNOWN',
          ruleIndex: rules.indexOf(c.code ?? 'ERR_UNKNOWN'),
          level: 'error',
          message: { text: `${c.check}: ${c.message}${c.details?.length ? `\n${c.details.join('\n')}` : ''}` },
          locations: [
            {
              logicalLocations: [{ name: c.record, fullyQualifiedName: `${c.kind}/${c.record}`, kind: 'object' }],
            },
          ],
          properties: { check: c.check, record: c.record, kind: c.kind, target: report.target },
        })),
        properties: { verified: report.verified, target: report.target, at: report.at },
      },
    ],
  };
}

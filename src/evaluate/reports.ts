import type { RunComparison } from './compare-runs.ts';
import type { GateOutcome } from './gates.ts';
import type { MetricSummary } from './types.ts';

/**
 * Run reports for humans (Markdown), CI (JUnit XML: one test case per gate and per compared metric, so a
 * CI server shows which gate failed) and machines (JSON).
 */
export interface EvaluationReport {
  readonly runId: string;
  readonly dataset: string;
  readonly mode: string;
  readonly caseCount: number;
  readonly errors: number;
  readonly metrics: Readonly<Record<string, MetricSummary>>;
  readonly gates: readonly GateOutcome[];
  readonly comparison?: RunComparison;
  readonly passed: boolean;
  readonly durationMs?: number;
}

export type ReportFormat = 'json' | 'md' | 'junit';

const fmt = (value: number, digits = 4) => (Number.isFinite(value) ? value.toFixed(digits) : String(value));

export function renderMarkdown(report: EvaluationReport): string {
  const lines: string[] = [];
  lines.push(`# Evaluation ${report.runId}`, '');
  lines.push(`- Dataset: \`${report.dataset}\` · mode: ${report.mode} · cases: ${report.caseCount} · errors: ${report.errors}`);
  lines.push(`- Result: **${report.passed ? 'PASSED' : 'FAILED'}**`, '');
  lines.push('| Metric | Mean | n | Std | Min | Max | Spread over samples (mean ± std) |', '|---|---:|---:|---:|---:|---:|---|');
  for (const [name, s] of Object.entries(report.metrics)) {
    const spread = s.samples
      ? `${fmt(s.samples.mean)} ± ${fmt(s.samples.std)} [${fmt(s.samples.min)}, ${fmt(s.samples.max)}]`
      : '';
    lines.push(`| ${name} | ${fmt(s.mean)} | ${s.n} | ${fmt(s.std)} | ${fmt(s.min)} | ${fmt(s.max)} | ${spread} |`);
  }
  if (report.gates.length > 0) {
    lines.push('', '## Gates', '', '| Gate | Value | Result |', '|---|---:|---|');
    for (const gate of report.gates) {
      lines.push(
        `| \`${gate.expression}\` | ${gate.value === null ? '—' : fmt(gate.value)} | ${gate.failed ? 'FAILED' : 'passed'} |`,
      );
    }
  }
  const comparison = report.comparison;
  if (comparison) {
    lines.push(
      '',
      `## Compared with ${comparison.baseline.id}${comparison.baseline.labels.length ? ` (${comparison.baseline.labels.join(', ')})` : ''}`,
      '',
      `${comparison.pairedCases} paired cases; paired bootstrap, ${comparison.resamples} resamples, seed ${comparison.seed}.`,
      '',
      '| Metric | Baseline | Candidate | Δ | 95% CI | Wins / losses / ties | |',
      '|---|---:|---:|---:|---|---|---|',
    );
    for (const m of comparison.metrics) {
      lines.push(
        `| ${m.metric} | ${fmt(m.baseline)} | ${fmt(m.candidate)} | ${fmt(m.difference)} | [${fmt(m.low)}, ${fmt(m.high)}] | ${m.wins} / ${m.losses} / ${m.ties} | ${m.significance === 'none' ? '' : m.significance} |`,
      );
    }
    if (comparison.changedCases.length > 0) {
      lines.push(
        '',
        `### Changed cases (${comparison.changedCases.length}${comparison.hiddenChangedCases ? `, ${comparison.hiddenChangedCases} not visible to you` : ''})`,
        '',
      );
      for (const changed of comparison.changedCases.slice(0, 50)) {
        const parts = Object.entries(changed.changes).map(([m, v]) => `${m} ${fmt(v.baseline, 3)} → ${fmt(v.candidate, 3)}`);
        lines.push(`- \`${changed.externalId}\`: ${parts.join(', ')}`);
      }
      if (comparison.changedCases.length > 50) lines.push(`- … ${comparison.changedCases.length - 50} more`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderJUnit(report: EvaluationReport): string {
  const cases: string[] = [];
  let failures = 0;
  for (const gate of report.gates) {
    const name = xml(`gate: ${gate.expression}`);
    if (gate.failed) {
      failures++;
      cases.push(
        `    <testcase classname="groundwork.evaluation.gates" name="${name}"><failure message="${xml(gate.reason)}"/></testcase>`,
      );
    } else cases.push(`    <testcase classname="groundwork.evaluation.gates" name="${name}"/>`);
  }
  for (const m of report.comparison?.metrics ?? []) {
    const name = xml(`no regression: ${m.metric}`);
    if (m.significance === 'worse' && m.metric !== 'latency_ms') {
      failures++;
      const message = `${m.metric} significantly worse than ${report.comparison?.baseline.id}: Δ ${fmt(m.difference)}, 95% CI [${fmt(m.low)}, ${fmt(m.high)}]`;
      cases.push(
        `    <testcase classname="groundwork.evaluation.comparison" name="${name}"><failure message="${xml(message)}"/></testcase>`,
      );
    } else cases.push(`    <testcase classname="groundwork.evaluation.comparison" name="${name}"/>`);
  }
  if (report.errors > 0) {
    failures++;
    cases.push(
      `    <testcase classname="groundwork.evaluation.cases" name="cases ran without errors"><failure message="${report.errors} case(s) failed"/></testcase>`,
    );
  } else cases.push('    <testcase classname="groundwork.evaluation.cases" name="cases ran without errors"/>');
  const properties = Object.entries(report.metrics)
    .map(([name, s]) => `      <property name="${xml(name)}" value="${fmt(s.mean)}"/>`)
    .join('\n');
  const time = ((report.durationMs ?? 0) / 1000).toFixed(3);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="groundwork-evaluation" tests="${cases.length}" failures="${failures}" time="${time}">
  <testsuite name="${xml(`${report.dataset} ${report.runId}`)}" tests="${cases.length}" failures="${failures}" time="${time}">
    <properties>
${properties}
    </properties>
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}

export function renderReport(report: EvaluationReport, format: ReportFormat): string {
  if (format === 'md') return renderMarkdown(report);
  if (format === 'junit') return renderJUnit(report);
  return `${JSON.stringify(report, null, 2)}\n`;
}

import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  type ClaimItem,
  type ClaimSummary,
  type ClaimsMetrics,
  claimsMetrics,
  getClaim,
  type ImportSummary,
  importClaims,
  listClaims,
  overrideReasonCodes,
  type ProcessResult,
  processAllClaims,
  processClaim,
  recordSiuOutcome,
  reviewClaim,
} from '../../claims/index.ts';
import { GroundworkError, localOperator } from '../../core/index.ts';
import type { CliRuntime } from '../context.ts';
import { exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';
import { parseLimit } from './traces.ts';

type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };
const asJson = <T>(value: T): Json<T> => JSON.parse(JSON.stringify(value)) as Json<T>;

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const hrs = (v: number | null) => (v === null ? '—' : v < 1 ? `${Math.round(v * 60)} min` : `${v.toFixed(1)} h`);

function describeClaim(c: Json<ClaimSummary>): string {
  const lines = [
    `Claim ${c.claimNumber} — policy ${c.policyNumber ?? '?'}, ${c.lineOfBusiness}, loss ${c.lossDate ?? '?'}, reported ${c.reportedDate ?? '?'}`,
    `status ${c.status}  tier ${c.tier ?? '—'}${c.tierReason ? ` (${c.tierReason})` : ''}  adjuster ${c.assignedAdjuster ?? '—'}`,
  ];
  if (c.missing.length > 0) lines.push(`Missing: ${c.missing.join(', ')}`);
  lines.push('', 'Documents:');
  for (const d of c.documents)
    lines.push(
      `  ${d.fileName}  ${d.status}${d.type ? ` (${d.type})` : ''}${d.errorCode ? ` [${d.errorCode}]` : ''}${d.documentId ? `  ${d.documentId}` : ''}`,
    );
  if (c.determination) {
    const d = c.determination;
    lines.push(
      '',
      `Determination: ${d.outcome}, confidence ${d.confidence.toFixed(2)}${d.deductible === null ? '' : `, deductible ${d.deductible}`}${d.estimatedPayable === null ? '' : `, payable ${d.estimatedPayable}`}`,
      `  ${d.rationale}`,
    );
    for (const t of d.terms) lines.push(`  term [${t.documentId} p.${t.page}] ${t.passage.slice(0, 160)}`);
    lines.push('', 'Extracted:');
    for (const [name, f] of Object.entries(c.extracted)) {
      const value = f.withheld ? '[withheld]' : f.status === 'missing' ? '(missing)' : JSON.stringify(f.value);
      lines.push(`  ${name.padEnd(20)} ${value}${f.citation ? `  [${f.citation.documentId} p.${f.citation.page}]` : ''}`);
    }
    lines.push('', `Fraud score ${c.fraud?.score.toFixed(2) ?? '—'}`);
    for (const i of c.fraud?.indicators ?? []) {
      lines.push(`  ${i.code} (${i.weight.toFixed(2)}): ${i.reason}`);
      for (const e of i.evidence)
        lines.push(`    - ${e.fact}${e.citation ? ` [${e.citation.documentId} p.${e.citation.page}]` : ''}`);
    }
  } else lines.push('', `Not assessed yet: groundwork claims process ${c.claimNumber}`);
  for (const r of c.reviews)
    lines.push(
      `Decision by ${r.reviewer}: ${r.action} → ${r.outcome}${r.reasonCode ? ` (${r.reasonCode})` : ''}${r.edits.length > 0 ? `, edited ${r.edits.map((e) => e.field).join(', ')}` : ''}`,
    );
  if (c.withheld > 0) lines.push(`${c.withheld} citation(s) withheld (documents you may not read now)`);
  if (c.mayDecide)
    lines.push(
      '',
      `Decide: groundwork claims review ${c.claimNumber} --accept | --edit field=value… | --override OUTCOME --reason CODE --comment TEXT`,
    );
  return lines.join('\n');
}

function parseEdits(pairs: readonly string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const edits: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new GroundworkError('claims.invalid_review', `--edit "${pair}" is not field=value.`, {
        category: 'usage',
        fix: 'Review with --accept, --edit field=value… (fields of the claim schema) or --override OUTCOME --reason CODE --comment TEXT.',
      });
    }
    edits[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return edits;
}

/** `groundwork claims import|list|show|process|review|metrics|siu` (local store or --server). */
export function registerClaimsCommands(program: Command, runtime: CliRuntime): void {
  const claims = program
    .command('claims')
    .description('the claims workflow: import, process, review queue, metrics (docs/claims.md)');

  claims
    .command('import <dir>')
    .description(
      'import a folder of claim folders (DIR/claims/<claim-no>/claim.json + documents, optional DIR/history.csv); idempotent',
    )
    .action(
      runtime.action(async (context, dir: string) => {
        if (context.api()) {
          throw new GroundworkError(
            'claims.missing_target',
            '`claims import` reads the folder on this machine and runs on the local store.',
            {
              category: 'usage',
              fix: 'Run `groundwork claims process CL-123` or `groundwork claims process --all`; run `claims import` on the server machine (without --server).',
            },
          );
        }
        const platform = await context.platform();
        const progress = context.output.progress('claims import');
        let summary: ImportSummary;
        try {
          summary = await importClaims(platform, localOperator, resolve(context.io.cwd, dir), {
            onProgress: (p) => progress.update(p.done, p.total, `${p.phase}${p.current ? ` ${p.current}` : ''}`),
          });
        } finally {
          progress.finish();
        }
        context.output.result(summary, (s) =>
          [
            `Imported ${s.claims} claim(s) (${s.created} new, ${s.updated} updated), ${s.files} document(s) (${s.filesChanged} new or changed, ${s.indexed} indexed), ${s.history} history row(s) in ${(s.durationMs / 1000).toFixed(1)} s.`,
            ...s.quarantined.map((q) => `  quarantined ${q.claimNumber}/${q.file} [${q.code}]: the claim needs information`),
          ].join('\n'),
        );
        return exitCodes.ok;
      }),
    );

  claims
    .command('list')
    .description('the review queue: claims you may see, most urgent tier first')
    .option('--tier <tier>', 'fast_track | standard | senior_review | siu_referral')
    .option('--adjuster <who>', 'assigned adjuster (e-mail or user name)')
    .option('--status <status>', 'open | needs_information | assessed | decided | closed')
    .option('--limit <n>', 'at most this many (default 200)')
    .action(
      runtime.action(async (context, options: { tier?: string; adjuster?: string; status?: string; limit?: string }) => {
        const limit = parseLimit(options.limit, 200);
        const api = context.api();
        let list: Json<ClaimItem>[];
        if (api) {
          const query = new URLSearchParams({ limit: String(limit) });
          if (options.tier) query.set('tier', options.tier);
          if (options.adjuster) query.set('adjuster', options.adjuster);
          if (options.status) query.set('status', options.status);
          list = (await api.get<{ claims: Json<ClaimItem>[] }>(`/v1/claims?${query}`)).claims;
        } else {
          const platform = await context.platform();
          list = (
            await listClaims(platform, localOperator, {
              ...(options.tier ? { tier: options.tier } : {}),
              ...(options.adjuster ? { adjuster: options.adjuster } : {}),
              ...(options.status ? { status: options.status } : {}),
              limit,
            })
          ).map(asJson);
        }
        context.output.result({ claims: list }, (r) =>
          r.claims.length === 0
            ? 'No claims. Import some with `groundwork claims import DIR`.'
            : table(
                ['CLAIM', 'TIER', 'STATUS', 'OUTCOME', 'ADJUSTER', 'LOSS'],
                r.claims.map((c) => [
                  c.claimNumber,
                  c.tier ?? '',
                  c.status,
                  c.outcome ?? '',
                  c.assignedAdjuster ?? '',
                  c.lossDate ?? '',
                ]),
              ),
        );
        return exitCodes.ok;
      }),
    );

  claims
    .command('show <id>')
    .description('a claim summary: extracted fields with citations, fraud indicators with evidence, determination, tier')
    .action(
      runtime.action(async (context, id: string) => {
        const api = context.api();
        const claim = api
          ? await api.get<Json<ClaimSummary>>(`/v1/claims/${encodeURIComponent(id)}`)
          : asJson(await getClaim(await context.platform(), localOperator, id));
        context.output.result(claim, describeClaim);
        return exitCodes.ok;
      }),
    );

  claims
    .command('process [id]')
    .description('assess one claim (or --all): extraction, fraud indicators, preliminary determination, tier')
    .option('--all', 'every claim you may process')
    .action(
      runtime.action(async (context, id: string | undefined, options: { all?: boolean }) => {
        if (!id && !options.all) {
          throw new GroundworkError('claims.missing_target', 'Name a claim to process, or give --all.', {
            category: 'usage',
            fix: 'Run `groundwork claims process CL-123` or `groundwork claims process --all`; run `claims import` on the server machine (without --server).',
          });
        }
        const api = context.api();
        const results: Json<ProcessResult>[] = [];
        const failed: { claimNumber: string; code: string; message: string }[] = [];
        if (api) {
          const ids = id
            ? [id]
            : (await api.get<{ claims: Json<ClaimItem>[] }>('/v1/claims?limit=5000')).claims
                .filter((c) => c.status !== 'closed')
                .map((c) => c.claimNumber);
          const progress = context.output.progress('claims process');
          for (const [index, one] of ids.entries()) {
            try {
              results.push(await api.post<Json<ProcessResult>>(`/v1/claims/${encodeURIComponent(one)}/process`, {}));
            } catch (error) {
              const e = error as { code?: string; message?: string };
              failed.push({ claimNumber: one, code: e.code ?? 'internal', message: e.message ?? String(error) });
            }
            progress.update(index + 1, ids.length, one);
          }
          progress.finish();
        } else {
          const platform = await context.platform();
          if (id) results.push(asJson(await processClaim(platform, localOperator, id, { trigger: 'cli' })));
          else {
            const progress = context.output.progress('claims process');
            const all = await processAllClaims(platform, localOperator, {
              onProgress: (done, total, claimNumber) => progress.update(done, total, claimNumber),
            });
            progress.finish();
            results.push(...all.processed.map(asJson));
            failed.push(...all.failed);
          }
        }
        context.output.result(
          { processed: results, failed },
          (r) =>
            [
              ...r.processed.map(
                (p) =>
                  `${p.claim.claimNumber}: ${p.outcome} (confidence ${p.confidence.toFixed(2)}, fraud ${p.fraudScore.toFixed(2)}) → ${p.tier}${p.missing.length > 0 ? `; missing ${p.missing.join(', ')}` : ''} [${p.durationMs} ms]`,
              ),
              ...r.failed.map((f) => `${f.claimNumber}: failed [${f.code}] ${f.message}`),
            ].join('\n') || 'Nothing to process.',
        );
        return failed.length > 0 ? exitCodes.partial : exitCodes.ok;
      }),
    );

  claims
    .command('review <id>')
    .description(
      `decide a claim (recorded, audited): --accept | --edit field=value… | --override OUTCOME --reason CODE --comment TEXT`,
    )
    .option('--accept', 'accept the assessment as it is')
    .option('--edit <field=value...>', 'correct extracted fields (JSON values or text)')
    .option('--override <outcome>', 'covered | not_covered | needs_information')
    .option('--reason <code>', `override reason: ${overrideReasonCodes.join(', ')}`)
    .option('--comment <text>', 'why')
    .action(
      runtime.action(
        async (
          context,
          id: string,
          options: { accept?: boolean; edit?: string[]; override?: string; reason?: string; comment?: string },
        ) => {
          const edits = parseEdits(options.edit);
          const input = {
            ...(options.accept ? { accept: true } : {}),
            ...(edits ? { edits } : {}),
            ...(options.override ? { override: options.override } : {}),
            ...(options.reason ? { reason: options.reason } : {}),
            ...(options.comment ? { comment: options.comment } : {}),
          };
          const api = context.api();
          const reviewed = api
            ? await api.post<Json<ClaimSummary & { review: { id: string; action: string; candidate: { id: string } | null } }>>(
                `/v1/claims/${encodeURIComponent(id)}/review`,
                input,
              )
            : asJson(await reviewClaim(await context.platform(), localOperator, id, input));
          context.output.result(
            reviewed,
            (r) =>
              `${r.claimNumber}: ${r.review.action} → ${r.outcome} (recorded ${r.review.id}).${r.review.candidate ? ` Evaluation candidate ${r.review.candidate.id} proposed.` : ''}`,
          );
          return exitCodes.ok;
        },
      ),
    );

  claims
    .command('siu <id>')
    .description('record the SIU finding on a claim: --outcome fraud_confirmed | not_fraud')
    .requiredOption('--outcome <outcome>', 'fraud_confirmed | not_fraud')
    .option('--comment <text>', 'why')
    .action(
      runtime.action(async (context, id: string, options: { outcome: string; comment?: string }) => {
        const input = { outcome: options.outcome, ...(options.comment ? { comment: options.comment } : {}) };
        const api = context.api();
        const recorded = api
          ? await api.post<{ claimNumber: string; outcome: string; flagged: boolean }>(
              `/v1/claims/${encodeURIComponent(id)}/siu-outcome`,
              input,
            )
          : await recordSiuOutcome(await context.platform(), localOperator, id, input);
        context.output.result(
          recorded,
          (r) => `${r.claimNumber}: ${r.outcome}${r.flagged ? ' (was flagged)' : ' (was not flagged)'}.`,
        );
        return exitCodes.ok;
      }),
    );

  claims
    .command('metrics')
    .description(
      'time to determination and decision, straight-through and override rates, fraud-flag precision, field accuracy, cost',
    )
    .action(
      runtime.action(async (context) => {
        const api = context.api();
        const m = api
          ? await api.get<ClaimsMetrics>('/v1/claims/metrics')
          : await claimsMetrics(await context.platform(), localOperator);
        context.output.result(m, (v) =>
          [
            `Claims ${v.claims}, processed ${v.processed}, decided ${v.decided}; by tier ${
              Object.entries(v.byTier)
                .map(([t, n]) => `${t} ${n}`)
                .join(', ') || '—'
            }`,
            `Time to preliminary determination: p50 ${hrs(v.timeToDetermination.p50Hours)}, p90 ${hrs(v.timeToDetermination.p90Hours)} (n ${v.timeToDetermination.n})`,
            `Time to adjuster decision:         p50 ${hrs(v.timeToDecision.p50Hours)}, p90 ${hrs(v.timeToDecision.p90Hours)} (n ${v.timeToDecision.n})`,
            `Straight-through ${pct(v.straightThroughRate)}, override rate ${pct(v.overrideRate)}, edit rate ${pct(v.editRate)}`,
            `Fraud flags: ${v.fraud.flagged} flagged, precision ${pct(v.fraud.precision)}, false-positive rate ${pct(v.fraud.falsePositiveRate)} (${v.fraud.withOutcome} with an outcome)`,
            `Field accuracy ${pct(v.fieldAccuracy.accuracy)} (${v.fieldAccuracy.edited} edited of ${v.fieldAccuracy.fields})`,
            `Cost per claim ${v.cost.perClaimUsd === null ? '—' : `$${v.cost.perClaimUsd.toFixed(4)}`} (${v.cost.inputTokens + v.cost.outputTokens} tokens, ${v.cost.ocrPages} OCR pages)`,
            ...v.overrideRateWeekly.map(
              (w) => `  week of ${w.week}: ${w.overrides}/${w.decisions} overridden, ${w.edits} edited`,
            ),
          ].join('\n'),
        );
        return exitCodes.ok;
      }),
    );
}

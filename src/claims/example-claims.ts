import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Caller } from '../core/index.ts';
import type { ClaimsDeps } from './claims.ts';
import { generateClaimsDataset } from './example/generate.ts';
import { type ImportSummary, importClaims } from './import.ts';
import { processAllClaims } from './process.ts';

/**
 * Example claims for the demo (`groundwork demo`): the seeded generator (src/claims/example) writes a few
 * claims — no scans, so no OCR wait — into `dir`, assigned to `adjuster`, imported through `claims import`
 * (with the policy wording and the history) and processed, so the Claims pages have a queue in every tier.
 */
export async function loadExampleClaims(
  deps: ClaimsDeps,
  caller: Caller,
  dir: string,
  options: { readonly claims?: number; readonly seed?: number; readonly adjuster?: string } = {},
): Promise<{ imported: ImportSummary; processed: number; tiers: Record<string, number> }> {
  const dataset = await generateClaimsDataset({ seed: options.seed ?? 18, claims: options.claims ?? 8, outDir: dir });
  for (const claim of dataset.truth.claims) {
    const folder = join(dir, claim.folder);
    if (claim.documents.some((document) => document.scanned)) {
      await rm(folder, { recursive: true, force: true });
      continue;
    }
    if (options.adjuster) {
      const manifest = JSON.parse(await readFile(join(folder, 'claim.json'), 'utf8'));
      await writeFile(join(folder, 'claim.json'), JSON.stringify({ ...manifest, assignedAdjuster: options.adjuster }, null, 2));
    }
  }
  const imported = await importClaims(deps, caller, dir);
  const { processed } = await processAllClaims(deps, caller);
  const tiers: Record<string, number> = {};
  for (const p of processed) tiers[p.tier] = (tiers[p.tier] ?? 0) + 1;
  return { imported, processed: processed.length, tiers };
}

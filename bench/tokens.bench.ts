/**
 * How close is the chunker's token estimate to real BPE tokenizers? (`npm run bench:tokens`; not a test.)
 *
 * Counts real tokens with gpt-tokenizer (o200k_base: GPT-4o/4.1/5; cl100k_base: GPT-4/3.5 and most
 * embedding models) on chunk-sized passages of the example corpus and of generated text (English prose,
 * German prose, numeric tables), and compares `estimateTokens`. Also times both (the baseline).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { chunkDocument, estimateTokens } from '../src/ingest/chunking/index.ts';

const root = fileURLToPath(new URL('../examples/corpus', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const corpusText = files(root)
  .filter((path) => /\.(md|txt|html|eml)$/.test(path))
  .map((path) =>
    readFileSync(path, 'latin1')
      .replace(/<[^>]+>/g, ' ')
      .replace(/[ \t]+/g, ' '),
  );

const german = [
  'Der Versicherungsnehmer meldete einen Leitungswasserschaden im Badezimmer des Obergeschosses.',
  'Die Selbstbeteiligung für Leitungswasserschäden beträgt gemäß Zusatzvereinbarung 2.500 Euro.',
  'Schadenregulierung erfolgt nach Vorlage der Rechnungen und des Gutachtens des Sachverständigen.',
  'Gebäude, die vor 1940 errichtet wurden, erfordern vor Vertragsabschluss eine Innenbesichtigung.',
];
const english = [
  'The insured reported water damage from a failed supply line under the upstairs bathroom sink.',
  'Roofs older than fifteen years are written with an actual cash value roof settlement endorsement (form MM-ACV-12).',
  'Refer to an underwriting manager when the Coverage A limit exceeds 1,500,000 USD or the dwelling was built before 1940.',
  "Mitigation vendors must be licensed, and they must provide itemised invoices for drying equipment; the adjuster's notes say so.",
];
const table = Array.from(
  { length: 200 },
  (_, i) =>
    `Code: WD-${100 + i}; Cause: Frozen pipe; Reserve: ${(1000 + i * 37).toLocaleString('en-US')} USD; Reported: 2026-0${1 + (i % 9)}-1${i % 10}`,
);

function sample(lines: readonly string[], count: number, seed: number): string {
  return Array.from({ length: count }, (_, i) => lines[(i * 7 + seed) % lines.length]).join(' ');
}

const sets: Record<string, string[]> = {
  'example corpus (chunks)': chunkDocument(
    { sections: corpusText.map((text) => ({ headingPath: [], text, kind: 'text' as const })) },
    { targetTokens: 350, overlapTokens: 0 },
  ).map((chunk) => chunk.text),
  'English prose': Array.from({ length: 100 }, (_, i) => sample(english, 12, i)),
  'German prose': Array.from({ length: 100 }, (_, i) => sample(german, 12, i)),
  'rendered table rows': Array.from({ length: 20 }, (_, i) => table.slice(i * 10, i * 10 + 10).join('\n')),
};

console.log(
  '| text | passages | real tokens o200k | real cl100k | estimate | estimate / o200k | / cl100k | worst passage / o200k |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, passages] of Object.entries(sets)) {
  let o200k = 0;
  let cl100k = 0;
  let estimate = 0;
  let worst = 1;
  for (const text of passages) {
    const real = encodeO200k(text).length;
    const guess = estimateTokens(text);
    o200k += real;
    cl100k += encodeCl100k(text).length;
    estimate += guess;
    if (Math.abs(guess / real - 1) > Math.abs(worst - 1)) worst = guess / real;
  }
  console.log(
    `| ${name} | ${passages.length} | ${o200k} | ${cl100k} | ${estimate} | ${(estimate / o200k).toFixed(2)} | ${(estimate / cl100k).toFixed(2)} | ${worst.toFixed(2)} |`,
  );
}

const all = Object.values(sets).flat();
const time = (run: () => void) => {
  run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < 5; i++) run();
  return Number(process.hrtime.bigint() - start) / 5e6;
};
const bytes = all.reduce((sum, text) => sum + text.length, 0);
const baselineMs = time(() => {
  for (const text of all) encodeO200k(text);
});
const estimateMs = time(() => {
  for (const text of all) estimateTokens(text);
});
console.log(
  `\nspeed on ${(bytes / 1024).toFixed(0)} KB: o200k encode (baseline) ${(bytes / 1024 / 1024 / (baselineMs / 1000)).toFixed(1)} MB/s, estimateTokens ${(bytes / 1024 / 1024 / (estimateMs / 1000)).toFixed(1)} MB/s (${(baselineMs / estimateMs).toFixed(1)}× faster)`,
);

// Chunker throughput on ~2 MB of prose in sections (sentence splitting and packing included).
const longSections = Array.from({ length: 400 }, (_, i) => ({
  headingPath: [`Part ${Math.floor(i / 20)}`, `Topic ${i}`],
  text: Array.from({ length: 8 }, (_, p) => sample(i % 2 ? german : english, 6, i + p)).join('\n\n'),
  kind: 'text' as const,
}));
const sectionBytes = longSections.reduce((sum, section) => sum + section.text.length, 0);
let chunkCount = 0;
const chunkMs = time(() => {
  chunkCount = chunkDocument({ title: 'Manual', sections: longSections }, { targetTokens: 350, overlapTokens: 50 }).length;
});
console.log(
  `chunkDocument on ${(sectionBytes / 1024 / 1024).toFixed(1)} MB (${longSections.length} sections → ${chunkCount} chunks): ${(sectionBytes / 1024 / 1024 / (chunkMs / 1000)).toFixed(1)} MB/s`,
);

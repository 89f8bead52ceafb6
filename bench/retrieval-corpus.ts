/**
 * Generated benchmark corpora written through plain SQL (as ingestion writes them): documents of several
 * chunks, ~120-word chunks from a Zipf-skewed vocabulary, ACLs over 40 groups (each chunk readable by two
 * groups, so a caller in three groups sees ~14%), clustered embeddings.
 */
import { clusteredVectors, prng, vocabulary } from '../src/retrieve/fixtures/generate.ts';
import type { Database } from '../src/store/index.ts';

/** ~20k-word vocabulary: the real words first (most frequent), then pronounceable synthetic words. */
const syllables = [
  'ka',
  'lo',
  'mi',
  'ren',
  'tas',
  'vor',
  'qui',
  'bel',
  'dun',
  'sha',
  'tri',
  'po',
  'gan',
  'fel',
  'zu',
  'mar',
  'nix',
  'ost',
  'pel',
  'run',
];
export const benchVocabulary: readonly string[] = (() => {
  const words = [...vocabulary];
  for (let i = 0; words.length < 20_000; i++) {
    let n = i;
    let word = '';
    do {
      word += syllables[n % syllables.length];
      n = Math.floor(n / syllables.length);
    } while (n > 0);
    words.push(`${word}x`);
  }
  return words;
})();

/**
 * Zipf (s = 1) over content words: the rank is log-uniform over [100, 100 + V), i.e. natural-language Zipf
 * with its top ~100 ranks (the stop words, removed by the analyzer) cut off, so the most frequent content
 * word is ~0.2% of tokens (in ~20% of chunks), as in real prose.
 */
export function benchWord(random: () => number): string {
  const offset = 100;
  const rank = Math.floor(offset * ((benchVocabulary.length + offset) / offset) ** random()) - offset;
  return benchVocabulary[Math.min(rank, benchVocabulary.length - 1)] as string;
}

function benchText(random: () => number, length: number): string {
  return Array.from({ length }, () => benchWord(random)).join(' ');
}

/** Queries of 2-4 words drawn from the same distribution (so frequent and rare terms both occur). */
export function benchQueries(count: number, seed = 5): string[] {
  const random = prng(seed);
  return Array.from({ length: count }, () => benchText(random, 2 + Math.floor(random() * 3)));
}

export const benchGroups = Array.from({ length: 40 }, (_, i) => `group:g${i}`);

export async function generateCorpus(
  db: Database,
  options: { chunks: number; dimensions: number; chunksPerDocument?: number; seed?: number; onProgress?: (done: number) => void },
): Promise<{ insertMs: number }> {
  const random = prng(options.seed ?? 1);
  const perDoc = options.chunksPerDocument ?? 4;
  const started = performance.now();
  await db.query(`INSERT INTO sources (id, name, type) VALUES ('bench', 'bench', 'filesystem') ON CONFLICT DO NOTHING`);
  const batchDocs = 250;
  let written = 0;
  let doc = 0;
  const { centres } = clusteredVectors(prng(99), 0, options.dimensions, 64);
  const gaussian = () => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  while (written < options.chunks) {
    const docIds: string[] = [];
    const docPrincipals: string[] = [];
    const chunkRows: Array<{ id: string; doc: string; ordinal: number; text: string; principals: string; embedding: string }> =
      [];
    for (let d = 0; d < batchDocs && written < options.chunks; d++, doc++) {
      const id = `bd${doc}`;
      const g1 = benchGroups[Math.floor(random() * benchGroups.length)] as string;
      const g2 = benchGroups[Math.floor(random() * benchGroups.length)] as string;
      const principals = `{${g1},${g2}}`;
      docIds.push(id);
      docPrincipals.push(principals);
      for (let c = 0; c < perDoc && written < options.chunks; c++, written++) {
        const centre = centres[Math.floor(random() * centres.length)] as number[];
        const v = centre.map((x) => x + (0.6 * gaussian()) / Math.sqrt(options.dimensions));
        const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
        chunkRows.push({
          id: `${id}-${c}`,
          doc: id,
          ordinal: c,
          text: benchText(random, 80 + Math.floor(random() * 80)),
          principals,
          embedding: `[${v.map((x) => (x / norm).toFixed(5)).join(',')}]`,
        });
      }
    }
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO documents (id, source_id, source_ref, uri, title, principals, status, chunk_count)
         SELECT id, 'bench', id, 'bench://' || id, 'Document ' || id, p::text[], 'indexed', 0
         FROM unnest($1::text[], $2::text[]) AS t(id, p)`,
        [docIds, docPrincipals],
      );
      await tx.query(
        `INSERT INTO chunks (id, document_id, source_id, ordinal, text, token_count, content_hash, principals, embedding)
         SELECT id, doc, 'bench', ord, text, 100, md5(text), p::text[], e::vector
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[]) AS t(id, doc, ord, text, p, e)`,
        [
          chunkRows.map((r) => r.id),
          chunkRows.map((r) => r.doc),
          chunkRows.map((r) => r.ordinal),
          chunkRows.map((r) => r.text),
          chunkRows.map((r) => r.principals),
          chunkRows.map((r) => r.embedding),
        ],
      );
    });
    options.onProgress?.(written);
  }
  return { insertMs: Math.round(performance.now() - started) };
}

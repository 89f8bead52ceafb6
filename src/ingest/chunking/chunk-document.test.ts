import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { GroundworkError } from '../../core/index.ts';
import {
  type ChunkableSection,
  type ChunkDraft,
  chunkContentHash,
  chunkDocument,
  estimateTokens,
  maxTextCharsForChunks,
} from './index.ts';

const visibleCharacters = (sections: readonly { text: string }[]) =>
  sections.reduce((sum, section) => sum + (section.text.match(/\S/g)?.length ?? 0), 0);

/** Small deterministic PRNG (mulberry32) so property checks are reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const vocabulary =
  'the policy claim water damage deductible roof insured adjuster coverage endorsement dwelling inspection underwriting limit referral premium loss reserve'.split(
    ' ',
  );

function randomDocument(seed: number): ChunkableSection[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  let word = 0;
  const sentence = () => {
    const length = 3 + Math.floor(next() * (next() < 0.05 ? 120 : 25));
    const words = Array.from({ length }, () => `${pick(vocabulary)}${word++}`);
    if (next() < 0.3) words.push(String(Math.floor(next() * 100000)));
    if (next() < 0.02) words.push('x'.repeat(2000 + Math.floor(next() * 2000)));
    return `${words.join(next() < 0.1 ? ', ' : ' ')}.`;
  };
  const paragraph = () => Array.from({ length: 1 + Math.floor(next() * 6) }, sentence).join(next() < 0.2 ? '\n' : ' ');
  const sections: ChunkableSection[] = [];
  let page = 1;
  const tops = 1 + Math.floor(next() * 4);
  for (let t = 0; t < tops; t++) {
    const subs = Math.floor(next() * 4);
    for (let s = 0; s <= subs; s++) {
      const headingPath = s === 0 ? [`Part ${t}`] : [`Part ${t}`, `Topic ${t}.${s}`];
      const paged = next() < 0.5;
      const pages = paged ? 1 + Math.floor(next() * 3) : 1;
      for (let p = 0; p < pages; p++) {
        const isTable = next() < 0.15;
        const text = isTable
          ? [
              '| Code | Meaning |',
              '|---|---|',
              ...Array.from({ length: 1 + Math.floor(next() * 60) }, (_, r) => `| C${word++}-${r} | ${sentence()} |`),
            ].join('\n')
          : Array.from({ length: 1 + Math.floor(next() * 5) }, paragraph).join(next() < 0.5 ? '\n\n' : '\r\n\r\n');
        sections.push({
          headingPath,
          text: next() < 0.05 ? '   \n ' : text,
          kind: isTable ? 'table' : next() < 0.1 ? 'notes' : 'text',
          ...(paged ? { pageStart: page, pageEnd: page } : {}),
        });
        if (paged) page++;
      }
    }
  }
  return sections;
}

function checkInvariants(
  sections: readonly ChunkableSection[],
  chunks: readonly ChunkDraft[],
  target: number,
  overlap: number,
): void {
  const minTokens = Math.min(100, Math.max(8, Math.floor(target / 5)));
  // Ordinals sequential, no empty chunks, sizes bounded.
  chunks.forEach((chunk, index) => {
    assert.equal(chunk.ordinal, index);
    assert.ok(chunk.text.slice(chunk.contextLength).trim().length > 0, 'empty chunk');
    assert.equal(chunk.tokenCount, estimateTokens(chunk.text));
    assert.ok(
      chunk.tokenCount <= target + minTokens + 2,
      `chunk ${index}: ${chunk.tokenCount} tokens > ${target} + ${minTokens}`,
    );
    assert.equal(chunk.contentHash, chunkContentHash(chunk.text));
  });
  // Every non-whitespace input character is covered by some chunk, and each covered span is in the chunk's text.
  const covered = sections.map((section) => new Uint8Array(section.text.length));
  for (const chunk of chunks) {
    const tops = new Set<string>();
    const kinds = new Set<string>();
    for (const span of chunk.sourceSpans) {
      const section = sections[span.section] as ChunkableSection;
      covered[span.section]?.fill(1, span.start, span.end);
      const expected = section.text.slice(span.start, span.end).replace(/\r\n/g, ' \n').replace(/\r/g, '\n');
      assert.ok(chunk.text.includes(expected), `chunk ${chunk.ordinal} lacks its source text`);
      tops.add(section.headingPath[0] ?? '');
      // A short text section right before a table is repeated above its rows as a caption.
      const isCaption = chunk.kind === 'table' && section.kind === 'text';
      if (isCaption) assert.ok(estimateTokens(section.text) <= 40, 'only short text sections become captions');
      else kinds.add(section.kind);
      // The section path is a prefix of every covered section's headings.
      assert.deepEqual(section.headingPath.slice(0, chunk.sectionPath.length), chunk.sectionPath);
    }
    assert.equal(tops.size, 1, `chunk ${chunk.ordinal} spans top-level sections ${[...tops].join(', ')}`);
    assert.equal(kinds.size, 1, `chunk ${chunk.ordinal} mixes ${[...kinds].join(', ')}`);
  }
  sections.forEach((section, s) => {
    for (let i = 0; i < section.text.length; i++) {
      if (/\S/.test(section.text.charAt(i))) assert.equal(covered[s]?.[i], 1, `section ${s} char ${i} not in any chunk`);
    }
  });
  // Pages: ranges valid and monotonic in reading order.
  let lastPage = 0;
  for (const chunk of chunks) {
    if (chunk.pageStart === undefined) continue;
    assert.ok(chunk.pageEnd !== undefined && chunk.pageStart <= chunk.pageEnd);
    assert.ok(chunk.pageStart >= lastPage, `pages go backwards at chunk ${chunk.ordinal}`);
    lastPage = chunk.pageStart;
  }
  // overlapLength marks exactly the repeated text: it ends the previous chunk, and the rest is new.
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i] as ChunkDraft;
    if (chunk.overlapLength === 0) continue;
    const repeated = chunk.text.slice(chunk.contextLength, chunk.contextLength + chunk.overlapLength).trimEnd();
    assert.ok((chunks[i - 1] as ChunkDraft).text.endsWith(repeated), `chunk ${i}: overlap is not the end of chunk ${i - 1}`);
    assert.ok(estimateTokens(repeated) <= overlap);
  }
  // Overlap between consecutive chunks of one section is at most overlapTokens (and none in tables).
  for (let i = 1; i < chunks.length; i++) {
    const [previous, current] = [chunks[i - 1] as ChunkDraft, chunks[i] as ChunkDraft];
    for (const a of previous.sourceSpans) {
      for (const b of current.sourceSpans) {
        if (a.section !== b.section || b.start >= a.end || a.start >= b.end) continue;
        const section = sections[a.section] as ChunkableSection;
        const shared = section.text.slice(Math.max(a.start, b.start), Math.min(a.end, b.end));
        if (section.kind === 'table') {
          assert.match(shared, /^\| Code \| Meaning \|\n\|---\|---\|$/, 'only the table header repeats');
        } else if (current.kind === 'table') {
          assert.equal(shared.trim(), section.text.trim(), 'a caption repeats whole');
        } else {
          assert.ok(estimateTokens(shared) <= overlap, `overlap of ${estimateTokens(shared)} tokens > ${overlap}`);
        }
      }
    }
  }
}

describe('chunkDocument: properties over random documents', () => {
  for (const [target, overlap] of [
    [350, 50],
    [64, 16],
    [200, 0],
    [1000, 100],
  ] as const) {
    test(`target ${target}, overlap ${overlap}`, () => {
      for (let seed = 1; seed <= 25; seed++) {
        const sections = randomDocument(seed * 7919 + target);
        const chunks = chunkDocument({ title: 'Claims manual', sections }, { targetTokens: target, overlapTokens: overlap });
        checkInvariants(sections, chunks, target, overlap);
        // The character bound parsers stop at: this many chunks can never hold more text than it says.
        assert.ok(visibleCharacters(sections) <= maxTextCharsForChunks(chunks.length, { targetTokens: target }));
        if (chunks.length > 0) {
          const limited = { targetTokens: target, overlapTokens: overlap, maxChunks: chunks.length };
          assert.equal(chunkDocument({ title: 'Claims manual', sections }, limited).length, chunks.length);
          assert.throws(
            () => chunkDocument({ title: 'Claims manual', sections }, { ...limited, maxChunks: chunks.length - 1 || 0.5 }),
            (error: GroundworkError) => error.code === 'ingest.too_large' && error.category === 'limit',
          );
        }
      }
    });
  }
});

describe('chunkDocument: behaviour', () => {
  const options = { targetTokens: 60, overlapTokens: 12 };

  test('prepends title and heading path; keeps the title out when it is the first heading', () => {
    const [chunk] = chunkDocument(
      {
        title: 'Claims procedures',
        sections: [{ headingPath: ['First notice of loss', 'Steps'], text: 'Record the claim.', kind: 'text' }],
      },
      options,
    );
    assert.equal(chunk?.text, 'Claims procedures › First notice of loss › Steps\n\nRecord the claim.');
    assert.equal(chunk?.contextLength, 'Claims procedures › First notice of loss › Steps\n\n'.length);
    assert.deepEqual(chunk?.sectionPath, ['First notice of loss', 'Steps']);
    const [same] = chunkDocument(
      { title: 'Guide', sections: [{ headingPath: ['Guide'], text: 'Body.', kind: 'text' }] },
      options,
    );
    assert.equal(same?.text, 'Guide\n\nBody.');
    const [opening] = chunkDocument(
      {
        title: 'Homeowners 3 - Special Form',
        sections: [{ headingPath: [], text: 'Homeowners 3 -  Special Form\nAgreement.', kind: 'text' }],
      },
      options,
    );
    assert.equal(
      opening?.text,
      'Homeowners 3 -  Special Form\nAgreement.',
      'a passage opening with its heading line gets no copy',
    );
    const [none] = chunkDocument({ sections: [{ headingPath: [], text: 'Just text.', kind: 'text' }] }, options);
    assert.equal(none?.text, 'Just text.');
    assert.equal(none?.contextLength, 0);
  });

  test('packs small whole sections of one top-level section, never across top-level sections', () => {
    const chunks = chunkDocument(
      {
        sections: [
          { headingPath: ['Eligibility', 'Roof'], text: 'Roofs up to 20 years.', kind: 'text' },
          { headingPath: ['Eligibility', 'Wiring'], text: 'No knob-and-tube wiring.', kind: 'text' },
          { headingPath: ['Limits'], text: 'Coverage A minimum 150,000 USD.', kind: 'text' },
        ],
      },
      options,
    );
    assert.deepEqual(
      chunks.map((chunk) => chunk.text),
      [
        'Eligibility\n\nRoof\nRoofs up to 20 years.\n\nWiring\nNo knob-and-tube wiring.',
        'Limits\n\nCoverage A minimum 150,000 USD.',
      ],
    );
    assert.deepEqual(chunks[0]?.sectionPath, ['Eligibility']);
  });

  test('a paragraph running over a page break stays together and carries both pages', () => {
    const chunks = chunkDocument(
      {
        sections: [
          { headingPath: ['Policy'], text: 'Section I covers the dwelling and', kind: 'text', pageStart: 2, pageEnd: 2 },
          { headingPath: ['Policy'], text: 'other structures.', kind: 'text', pageStart: 3, pageEnd: 3 },
          { headingPath: ['Policy'], text: 'Conditions apply.', kind: 'text', pageStart: 5, pageEnd: 5 },
        ],
      },
      options,
    );
    assert.equal(chunks.length, 1);
    assert.deepEqual([chunks[0]?.pageStart, chunks[0]?.pageEnd], [2, 5]);
    assert.equal(chunks[0]?.text, 'Policy\n\nSection I covers the dwelling and\n\nother structures.\n\nConditions apply.');
    const long = 'Coverage applies to sudden and accidental discharge of water. '.repeat(12);
    const split = chunkDocument(
      {
        sections: [
          { headingPath: ['Policy'], text: long, kind: 'text', pageStart: 2, pageEnd: 2 },
          { headingPath: ['Policy'], text: long, kind: 'text', pageStart: 3, pageEnd: 3 },
        ],
      },
      options,
    );
    const pages = split.map((chunk) => `${chunk.pageStart}-${chunk.pageEnd}`);
    assert.equal(pages[0], '2-2');
    assert.equal(pages.at(-1), '3-3');
    assert.ok(pages.includes('2-3'), pages.join(' '));
  });

  test('overlap starts at a sentence and stays within overlapTokens', () => {
    const sentences = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} talks about water damage.`);
    const chunks = chunkDocument({ sections: [{ headingPath: [], text: sentences.join(' '), kind: 'text' }] }, options);
    assert.ok(chunks.length > 3);
    for (const chunk of chunks.slice(1)) assert.match(chunk.text, /^Sentence number \d+ talks/);
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1]?.text ?? '';
      const firstSentence = /^[^.]+\./.exec(chunks[i]?.text ?? '')?.[0] ?? '';
      assert.ok(previous.includes(firstSentence), 'the next chunk begins with the end of the previous one');
    }
  });

  test('a tiny trailing fragment joins the previous chunk', () => {
    const body = `${Array.from({ length: 8 }, (_, i) => `Line ${i} of the adjuster notes about the claim.`).join(' ')} Done.`;
    const chunks = chunkDocument(
      { sections: [{ headingPath: [], text: body, kind: 'text' }] },
      { targetTokens: 60, overlapTokens: 0 },
    );
    assert.ok(chunks.at(-1)?.text.endsWith('claim. Done.'));
    assert.ok(chunks.every((chunk) => chunk.text !== 'Done.'));
  });

  test('big tables split at rows, repeat the Markdown header, no overlap', () => {
    const rows = Array.from({ length: 40 }, (_, i) => `| WD-${i} | Water damage cause ${i} |`);
    const text = ['| Code | Meaning |', '|---|---|', ...rows].join('\n');
    const chunks = chunkDocument({ sections: [{ headingPath: ['Codes'], text, kind: 'table' }] }, options);
    assert.ok(chunks.length > 2);
    for (const chunk of chunks) {
      assert.equal(chunk.kind, 'table');
      assert.ok(chunk.text.startsWith('Codes\n\n| Code | Meaning |\n|---|---|\n| WD-'), chunk.text);
    }
    const seen = chunks.flatMap((chunk) => chunk.text.split('\n').filter((line) => line.startsWith('| WD-')));
    assert.deepEqual(seen, rows, 'every row exactly once, whole and in order');
  });

  test('a short text section right before a table becomes its caption, repeated above the rows', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `Territory: T${i}; Base rate: ${400 + i} USD`);
    const chunks = chunkDocument(
      {
        sections: [
          { headingPath: ['Rates'], text: 'Homeowners base rates 2026', kind: 'text', pageStart: 1, pageEnd: 1 },
          { headingPath: ['Rates'], text: rows.join('\n'), kind: 'table', pageStart: 2, pageEnd: 2 },
        ],
      },
      options,
    );
    assert.ok(chunks.length > 1);
    for (const chunk of chunks) {
      assert.equal(chunk.kind, 'table');
      assert.ok(chunk.text.startsWith('Rates\n\nHomeowners base rates 2026\nTerritory: T'), chunk.text);
      assert.deepEqual([chunk.pageStart, chunk.pageEnd], [2, 2]);
      assert.ok(chunk.tokenCount <= 60 + 12);
    }
  });

  test('rendered rows ("Header: value; …") split at line boundaries', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `Code: L${i}; Cause: Frozen pipe ${i}; Reserve: ${1000 + i} USD`);
    const chunks = chunkDocument({ sections: [{ headingPath: [], text: rows.join('\n'), kind: 'table' }] }, options);
    assert.deepEqual(
      chunks.flatMap((chunk) => chunk.text.split('\n')),
      rows,
    );
  });

  test('a sentence longer than a chunk is split at words; a giant token at characters', () => {
    const long = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const chunks = chunkDocument(
      { sections: [{ headingPath: [], text: long, kind: 'text' }] },
      { targetTokens: 50, overlapTokens: 0 },
    );
    assert.ok(chunks.length >= 5);
    assert.equal(chunks.map((chunk) => chunk.text).join(' '), long);
    const blob = 'A'.repeat(5000);
    const blobChunks = chunkDocument(
      { sections: [{ headingPath: [], text: blob, kind: 'text' }] },
      { targetTokens: 50, overlapTokens: 0 },
    );
    assert.equal(blobChunks.map((chunk) => chunk.text).join(''), blob);
    assert.ok(blobChunks.every((chunk) => chunk.tokenCount <= 60));
  });

  test('a huge single paragraph (hundreds of thousands of words) is chunked without deep recursion', () => {
    const text = 'word '.repeat(150_000);
    const chunks = chunkDocument(
      { sections: [{ headingPath: [], text, kind: 'text' }] },
      { targetTokens: 350, overlapTokens: 50 },
    );
    assert.ok(chunks.length > 400);
    assert.ok(chunks.every((chunk) => chunk.tokenCount <= 420));
  });

  test('maxChunks refuses a document that needs more chunks; the character bound holds for the densest text', () => {
    const text = 'word '.repeat(150_000);
    const options350 = { targetTokens: 350, overlapTokens: 50 };
    assert.throws(
      () => chunkDocument({ sections: [{ headingPath: [], text, kind: 'text' }] }, { ...options350, maxChunks: 100 }),
      (error: GroundworkError) =>
        error.code === 'ingest.too_large' &&
        /ingest\.maxChunksPerDocument/.test(error.message) &&
        /raise ingest\.maxChunksPerDocument/.test(error.fix ?? ''),
    );
    // Seven-letter words are the most characters per estimated token; then long "words", digits, mixed.
    for (const dense of [
      'abcdefg '.repeat(60_000),
      `${'x'.repeat(200_000)} ${'y'.repeat(77_777)}`,
      '1234567 '.repeat(30_000),
      'a1b2c3d, e4f5g6h; '.repeat(20_000),
    ]) {
      const sections = [{ headingPath: [], text: dense, kind: 'text' as const }];
      for (const target of [64, 350]) {
        const chunks = chunkDocument({ sections }, { targetTokens: target, overlapTokens: Math.floor(target / 4) });
        assert.ok(visibleCharacters(sections) <= maxTextCharsForChunks(chunks.length, { targetTokens: target }));
      }
    }
  });

  test('content hash: sha256 of the normalised text', () => {
    assert.equal(chunkContentHash(' a \n\n b '), createHash('sha256').update('a b').digest('hex'));
    assert.equal(chunkContentHash('Cafe\u0301'), chunkContentHash('Café'));
    const [a] = chunkDocument({ sections: [{ headingPath: ['H'], text: 'Same text.', kind: 'text' }] }, options);
    const [b] = chunkDocument({ sections: [{ headingPath: ['H'], text: 'Same   text.\r\n', kind: 'text' }] }, options);
    assert.equal(a?.contentHash, b?.contentHash);
  });

  test('empty documents give no chunks; impossible sizes are a usage error', () => {
    assert.deepEqual(chunkDocument({ sections: [{ headingPath: ['x'], text: ' \n\t ', kind: 'text' }] }, options), []);
    assert.throws(
      () => chunkDocument({ sections: [] }, { targetTokens: 100, overlapTokens: 60 }),
      (error: GroundworkError) => error.code === 'chunking.invalid_options' && error.category === 'usage',
    );
  });

  test('estimateTokens approximates GPT-style token counts', () => {
    assert.equal(estimateTokens(''), 0);
    assert.equal(estimateTokens('Hello world'), 3);
    assert.equal(estimateTokens('The water damage deductible is 2,500 USD under endorsement MM-HO-WD-04.'), 22);
    assert.equal(estimateTokens('保险公司'), 4);
    assert.ok(estimateTokens('x'.repeat(400)) >= 98);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OcrLine, OcrWord } from './ocr-engine.ts';
import { analyzeLayout, layoutText } from './page-layout.ts';

/** Lays out words as an engine would report them: ~20 px per character, 40 px tall, 12 px spaces. */
function line(text: string, x: number, y: number, options: { slope?: number; cell?: number } = {}): OcrLine {
  const words: OcrWord[] = [];
  let at = x;
  for (const word of text.split(' ')) {
    const width = word.length * 20;
    const drift = (options.slope ?? 0) * at;
    words.push({ text: word, confidence: 0.95, box: { x0: at, y0: y + drift, x1: at + width, y1: y + drift + 40 } });
    at += width + 12;
  }
  return { words, slope: options.slope ?? 0 };
}

/** A table row: cells at fixed x positions on one engine line (the engine often reads a row as one line). */
function row(cells: readonly string[], xs: readonly number[], y: number): OcrLine {
  return { words: cells.flatMap((cell, index) => line(cell, xs[index] ?? 0, y).words), slope: 0 };
}

const leftColumn = ['alpha one two three four five six', 'alpha seven eight nine ten eleven', 'alpha twelve thirteen fourteen'];
const rightColumn = ['omega one two three four five six', 'omega seven eight nine ten eleven', 'omega twelve thirteen fourteen'];

describe('page layout', () => {
  test('two columns read line by line across both are put back column by column, under a full-width title', () => {
    const lines: OcrLine[] = [line('Quarterly claims review for the whole region', 100, 40)];
    // The engine's single-block reading: each physical line runs across the gutter.
    leftColumn.forEach((left, index) => {
      const y = 140 + index * 60;
      lines.push({ words: [...line(left, 100, y).words, ...line(rightColumn[index] ?? '', 1000, y).words], slope: 0 });
    });
    const layout = analyzeLayout(lines);
    assert.equal(layout.columns, 2);
    const text = layoutText(layout);
    assert.ok(text.startsWith('Quarterly claims review'), text);
    const lastLeft = text.indexOf('alpha twelve');
    const firstRight = text.indexOf('omega one');
    assert.ok(lastLeft >= 0 && firstRight > lastLeft, `left column before right column:\n${text}`);
    assert.deepEqual(
      layout.blocks.filter((block) => block.kind === 'table'),
      [],
      'prose columns are not a table',
    );
  });

  test('a slightly askew two-column scan still reads column by column', () => {
    const slope = 0.012;
    const lines: OcrLine[] = [];
    leftColumn.forEach((left, index) => {
      const y = 140 + index * 60;
      lines.push(line(left, 100, y, { slope }), line(rightColumn[index] ?? '', 1000, y, { slope }));
    });
    const text = layoutText(analyzeLayout(lines));
    assert.ok(text.indexOf('alpha twelve') < text.indexOf('omega one'), text);
  });

  test('aligned short cells become a table with its rows; text around it keeps its place', () => {
    const xs = [100, 500, 900];
    const lines: OcrLine[] = [
      line('Rates by territory as filed for the year', 100, 40),
      row(['Territory', 'Construction', 'Rate'], xs, 140),
      row(['Springfield', 'Frame', '3.12'], xs, 200),
      row(['Shelbyville', 'Masonry', '2.48'], xs, 260),
      row(['Capital City', 'Frame', '3.40'], xs, 320),
      line('Rates apply to policies written after the filing date', 100, 440),
    ];
    const layout = analyzeLayout(lines);
    assert.equal(layout.tables, 1);
    assert.deepEqual(layout.blocks[1], {
      kind: 'table',
      rows: [
        ['Territory', 'Construction', 'Rate'],
        ['Springfield', 'Frame', '3.12'],
        ['Shelbyville', 'Masonry', '2.48'],
        ['Capital City', 'Frame', '3.40'],
      ],
    });
    assert.equal(layout.blocks[0]?.kind, 'text');
    assert.equal(layout.blocks[2]?.kind, 'text');
  });

  test('a table row with an empty cell keeps the cell empty', () => {
    const xs = [100, 500, 900];
    const lines: OcrLine[] = [
      row(['Claim', 'Status', 'Reserve'], xs, 100),
      row(['CL-1', 'Open', '5,000'], xs, 160),
      { words: [...line('CL-2', 100, 220).words, ...line('1,200', 900, 220).words], slope: 0 },
      row(['CL-3', 'Closed', '0'], xs, 280),
    ];
    const layout = analyzeLayout(lines);
    const table = layout.blocks.find((block) => block.kind === 'table');
    assert.ok(table && table.kind === 'table');
    assert.deepEqual(table.rows[2], ['CL-2', '', '1,200']);
  });

  test('a page of thousands of scattered marks keeps every word exactly once', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const lines: OcrLine[] = Array.from({ length: 3000 }, (_, index) =>
      line(`w${index}`, Math.floor(next() * 2400), Math.floor(next() * 3200)),
    );
    const found = layoutText(analyzeLayout(lines)).split(/\s+/).filter(Boolean).sort();
    assert.deepEqual(found, lines.map((l) => l.words[0]?.text ?? '').sort());
  });

  test('no words: no blocks and no columns; sideways words are measured', () => {
    assert.deepEqual(analyzeLayout([]).blocks, []);
    assert.equal(analyzeLayout([]).columns, 0);
    const sideways: OcrLine = {
      words: ['water', 'damage', 'claims'].map((text, index) => ({
        text,
        confidence: 0.9,
        box: { x0: 100, y0: 100 + index * 140, x1: 140, y1: 220 + index * 140 },
      })),
      slope: 0,
    };
    assert.equal(analyzeLayout([sideways]).verticalShare, 1);
  });
});

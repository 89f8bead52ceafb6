import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runGroundwork } from '../../../test/helpers/run-cli.ts';

// `acl check` and `pii scan` need no store: they run as real processes on files in a temporary folder.
describe('cli: acl check and pii scan (real process)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-protect-'));
    writeFileSync(
      join(dir, 'acl.yaml'),
      [
        'rules:',
        '  - match: "claims/**"',
        '    principals: [LEGACY_ROLE_ADJ]',
        '  - match: "claims/private/**"',
        '    principals: [user:cfo@example.com]',
        'aliases:',
        '  LEGACY_ROLE_ADJ: [group:claims, group:claims-adjusters]',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'bad.yaml'),
      'rules:\n  - match: "claims\\\\**"\n    principals: group:claims\naliases:\n  X: nope\n',
    );
    mkdirSync(join(dir, 'share', 'claims'), { recursive: true });
    mkdirSync(join(dir, 'share', 'misc'), { recursive: true });
    writeFileSync(
      join(dir, 'share', 'claims', 'notes.txt'),
      'Insured contact: dana@example.com, (555) 201-7788. SSN 123-45-6789.',
    );
    writeFileSync(join(dir, 'share', 'misc', 'faq.md'), 'Questions.');
    writeFileSync(join(dir, 'share', 'misc', 'faq.md.meta.json'), JSON.stringify({ principals: ['group:staff'] }));
    writeFileSync(join(dir, 'share', 'misc', 'orphan.txt'), 'Nobody decided.');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('acl check explains who may read each path, for a caller', async () => {
    const result = await runGroundwork(
      [
        'acl',
        'check',
        'acl.yaml',
        '--path',
        'claims/2026/a.txt',
        'claims/private/b.txt',
        '--as',
        'group:Claims-Adjusters',
        '--json',
      ],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.valid, true);
    assert.deepEqual(report.documents[0].principals, ['group:claims', 'group:claims-adjusters']);
    assert.equal(report.documents[0].caller.allowed, true);
    assert.match(
      report.documents[0].caller.reason,
      /group:claims-adjusters via rule #1 \(claims\/\*\*\) \(alias "LEGACY_ROLE_ADJ"/,
    );
    assert.deepEqual(report.documents[1].principals, ['user:cfo@example.com']);
    assert.equal(report.documents[1].caller.allowed, false);
  });

  test('acl check --root reads sidecars, lists undetermined files, and --strict fails on them', async () => {
    const result = await runGroundwork(['acl', 'check', 'acl.yaml', '--root', 'share', '--json'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(
      report.documents.map((d: { path: string; principals: string[]; decidedBy: string }) => [
        d.path,
        d.principals.join(','),
        d.decidedBy,
      ]),
      [
        ['claims/notes.txt', 'group:claims,group:claims-adjusters', 'rules'],
        ['misc/faq.md', 'group:staff', 'sidecar'],
        ['misc/orphan.txt', '', 'none'],
      ],
    );
    assert.deepEqual(report.undetermined, ['misc/orphan.txt']);
    const strict = await runGroundwork(['acl', 'check', 'acl.yaml', '--root', 'share', '--strict'], { cwd: dir });
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /misc\/orphan\.txt: operator-only \(undetermined, deny by default\)/);
  });

  test('an invalid map is a usage error listing every problem', async () => {
    const result = await runGroundwork(['acl', 'check', 'bad.yaml'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /has 3 problems/);
    assert.match(result.stderr, /protect\.invalid_acl_map/);
  });

  test('acl check (and --strict) refuses a map whose restricted rule a later broader rule shadows', async () => {
    writeFileSync(
      join(dir, 'shadowed.yaml'),
      'rules:\n  - match: "claims/restricted/**"\n    principals: [group:claims-leads]\n  - match: "claims/**"\n    principals: [group:claims, group:underwriting]\n',
    );
    for (const flags of [[], ['--strict']]) {
      const result = await runGroundwork(['acl', 'check', 'shadowed.yaml', ...flags], { cwd: dir });
      assert.equal(result.code, 2, result.stdout);
      assert.match(result.stderr, /shadowed by rules\[1\]/);
      assert.match(result.stderr, /protect\.invalid_acl_map/);
      assert.doesNotMatch(result.stdout, /valid/);
    }
  });

  test('pii scan reports types, positions and the label, never the values', async () => {
    const result = await runGroundwork(['pii', 'scan', 'share/claims/notes.txt', '--json'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.counts, { email: 1, phone: 1, ssn: 1 });
    assert.deepEqual(report.spans[0], { type: 'email', start: 17, end: 33, score: 0.95, line: 1, column: 18 });
    assert.equal(report.sensitivity.label, 'restricted');
    assert.doesNotMatch(result.stdout, /dana@example\.com|123-45-6789/);
    const human = await runGroundwork(['pii', 'scan', 'share/claims/notes.txt'], { cwd: dir });
    assert.match(human.stdout, /1 email, 1 phone, 1 ssn/);
    assert.doesNotMatch(human.stdout, /dana@example\.com/);
  });

  test('pii scan --jsonl --json: one {id, spans} line per {id, text} line, offsets in code points', async () => {
    const rows = [
      { id: 'a1', text: 'Insured: Dana Whitfield, 14 Orchard Lane, phone 030 12345678.' },
      { id: 2, text: 'Nothing personal here.' },
      // The emoji is two UTF-16 units but one character: the name starts at character 9, not 10.
      { id: 'emoji', text: '🏠 by Mr. Okafor' },
    ];
    writeFileSync(join(dir, 'cases.jsonl'), `${rows.map((row) => JSON.stringify(row)).join('\n')}\n\n`);
    const result = await runGroundwork(['pii', 'scan', 'cases.jsonl', '--jsonl', '--json'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((line: { id: string | number }) => line.id),
      ['a1', 2, 'emoji'],
    );
    const [first, second, third] = lines as { spans: { type: string; start: number; end: number; score: number }[] }[];
    assert.deepEqual(
      first?.spans.map((span) => [span.type, rows[0]?.text.slice(span.start, span.end)]),
      [
        ['person', 'Dana Whitfield'],
        ['street_address', '14 Orchard Lane'],
        ['phone', '030 12345678'],
      ],
    );
    for (const span of first?.spans ?? []) assert.ok(span.score > 0 && span.score <= 1);
    assert.deepEqual(second?.spans, []);
    assert.deepEqual(
      third?.spans.map(({ type, start, end }) => ({ type, start, end })),
      [
        { type: 'title', start: 5, end: 8 },
        { type: 'person', start: 9, end: 15 },
      ],
    );
    assert.equal([...(rows[2]?.text ?? '')].slice(9, 15).join(''), 'Okafor'); // UTF-16 offsets would be 10–16

    const human = await runGroundwork(['pii', 'scan', 'cases.jsonl', '--jsonl'], { cwd: dir });
    assert.match(human.stdout, /^a1: 1 person, 1 street_address, 1 phone$/m);
    assert.match(human.stdout, /3 texts, 5 spans/);
    assert.doesNotMatch(human.stdout, /Whitfield|Okafor/);
  });

  test('pii scan --jsonl --dates also reports other dates (for evaluations), without it none', async () => {
    writeFileSync(join(dir, 'dates.jsonl'), `${JSON.stringify({ id: 'd', text: 'Loss on 2026-03-14, reported Monday.' })}\n`);
    const plain = await runGroundwork(['pii', 'scan', 'dates.jsonl', '--jsonl', '--json'], { cwd: dir });
    assert.deepEqual(JSON.parse(plain.stdout).spans, []);
    const dated = await runGroundwork(['pii', 'scan', 'dates.jsonl', '--jsonl', '--json', '--dates'], { cwd: dir });
    assert.equal(dated.code, 0, dated.stderr);
    assert.deepEqual(
      (JSON.parse(dated.stdout).spans as { type: string; start: number; end: number }[]).map(({ type, start, end }) => [
        type,
        start,
        end,
      ]),
      [
        ['date', 8, 18],
        ['date', 29, 35],
      ],
    );
  });

  test('pii scan --jsonl names the bad line without echoing its content', async () => {
    writeFileSync(join(dir, 'bad.jsonl'), '{"id": "x", "text": "fine"}\n{"id": "y", "txt": "SSN 123-45-6789"}\n');
    const result = await runGroundwork(['pii', 'scan', 'bad.jsonl', '--jsonl', '--json'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stdout + result.stderr, /protect\.invalid_jsonl/);
    assert.match(result.stdout + result.stderr, /bad\.jsonl:2: has no \\"text\\" string|bad\.jsonl:2: has no "text" string/);
    assert.doesNotMatch(result.stdout + result.stderr, /123-45-6789/);
    const score = await runGroundwork(['pii', 'scan', 'cases.jsonl', '--jsonl', '--min-score', '2'], { cwd: dir });
    assert.equal(score.code, 2);
    assert.match(score.stderr, /protect\.invalid_min_score/);
  });
});

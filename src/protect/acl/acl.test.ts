import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import picomatch from 'picomatch';
import type { GroundworkError } from '../../core/index.ts';
import {
  explainAccess,
  normalisePrincipals,
  parseAclMap,
  parsePrincipal,
  resolveDocumentAccess,
  tryParsePrincipal,
} from '../index.ts';

const mapYaml = `
default: [group:staff]
rules:
  - match: "underwriting/**"
    principals: ["CORP\\\\Underwriters", group:underwriting-leads]
  - match: "underwriting/reinsurance/**"
    principals: [group:reinsurance]
    inherit: true
  - match: "underwriting/board/**"
    principals: [user:CFO@Example.com]
    description: board papers
  - match: ["claims/**", "legacy-claims/**"]
    principals: [LEGACY_ROLE_ADJ]
  - match: "hr/**"
    principals: []
aliases:
  "CORP\\\\Underwriters": group:underwriting
  LEGACY_ROLE_ADJ: [group:claims, group:claims-adjusters]
`;

describe('principals', () => {
  test('parses and normalises user and group principals', () => {
    assert.deepEqual(parsePrincipal('  User:Alice@Example.COM '), {
      kind: 'user',
      name: 'alice@example.com',
      id: 'user:alice@example.com',
    });
    assert.equal(parsePrincipal('GROUP:Underwriting').id, 'group:underwriting');
    assert.equal(parsePrincipal('group:claims-adjusters.eu/north').id, 'group:claims-adjusters.eu/north');
    assert.equal(parsePrincipal('group:Schäden').id, 'group:schäden');
    assert.equal(parsePrincipal('group: Claims   Adjusters ').id, 'group:claims adjusters');
    assert.equal(parsePrincipal('group:Claims-Team@Example.com').id, 'group:claims-team@example.com');
    assert.equal(parsePrincipal('group:3F2504E0-4F89-11D3-9A0C-0305E82C3301').id, 'group:3f2504e0-4f89-11d3-9a0c-0305e82c3301');
  });

  test('refuses what is not a unified principal, with the expected form', () => {
    for (const bad of [
      'alice@example.com',
      'user:alice',
      'group:a,b',
      'group:CORP\\x',
      'group:',
      'group:-x',
      'role:admin',
      'CORP\\Underwriters',
      '',
    ]) {
      assert.equal(tryParsePrincipal(bad), undefined, bad);
    }
    assert.throws(
      () => parsePrincipal('user:alice'),
      (error: GroundworkError) => error.code === 'protect.invalid_principal' && /e-mail/.test(error.message) && !!error.fix,
    );
  });

  test('normalisePrincipals dedupes and sorts, and lists every invalid entry at once', () => {
    assert.deepEqual(normalisePrincipals(['group:B', 'user:a@x.io', 'group:b ']), ['group:b', 'user:a@x.io']);
    assert.throws(
      () => normalisePrincipals(['group:ok', 'nope', 'user:bad']),
      (error: GroundworkError) => error.code === 'protect.invalid_principal' && /2 invalid/.test(error.message),
    );
  });
});

describe('ACL map parsing', () => {
  test('parses YAML and JSON into plain, normalised data', () => {
    const { aclMap, warnings } = parseAclMap(mapYaml, 'acl.yaml');
    assert.deepEqual(warnings, []);
    assert.deepEqual(aclMap.aliases, {
      'CORP\\Underwriters': ['group:underwriting'],
      LEGACY_ROLE_ADJ: ['group:claims', 'group:claims-adjusters'],
    });
    assert.deepEqual(aclMap.rules[3]?.match, ['claims/**', 'legacy-claims/**']);
    assert.equal(aclMap.rules[1]?.inherit, true);
    const json = parseAclMap(JSON.stringify({ rules: [{ match: './a/**', principals: ['group:a'] }] }), 'acl.json');
    assert.deepEqual(json.aclMap.rules[0]?.match, ['a/**']);
    assert.equal(json.aclMap.default, undefined);
    // The stored form validates again unchanged (sources keep it as JSON).
    assert.deepEqual(parseAclMap(JSON.stringify(aclMap), 'stored.json').aclMap, aclMap);
  });

  test('the example corpus map parses without warnings', () => {
    const text = readFileSync(new URL('../../../examples/acl-map.yaml', import.meta.url), 'utf8');
    const { aclMap, warnings } = parseAclMap(text, 'examples/acl-map.yaml');
    assert.deepEqual(warnings, []);
    assert.deepEqual(resolveDocumentAccess({ aclMap, path: 'claims/claim-file-CL-2026-0142/adjuster-notes.txt' }).principals, [
      'group:claims',
    ]);
  });

  test('a rule a later non-inheriting rule always overrides is an error naming both (shadowed by rules[N])', () => {
    const shadowed = `
rules:
  - match: "claims/restricted/**"
    principals: [group:claims-leads]
  - match: ["claims/**", "legacy/**"]
    principals: [group:claims, group:underwriting]
  - match: "claims/2026/**"
    principals: [group:adjusters-2026]
  - match: "claims/2026/**"
    principals: [group:auditors]
    inherit: true
`;
    assert.throws(
      () => parseAclMap(shadowed, 'acl.yaml'),
      (error: GroundworkError) =>
        error.code === 'protect.invalid_acl_map' &&
        /has 1 problem:/.test(error.message) &&
        /rules\[0\]\.match = "claims\/restricted\/\*\*": is shadowed by rules\[1\] \(claims\/\*\*, legacy\/\*\*\)/.test(
          error.message,
        ) &&
        /Fix: move rules\[0\] below rules\[1\]/.test(error.message),
    );
    // An identical later rule shadows too; with ignoreCase the comparison ignores case.
    assert.throws(
      () =>
        parseAclMap(
          'ignoreCase: true\nrules:\n  - match: "HR/**"\n    principals: []\n  - match: "hr/**"\n    principals: [group:staff]\n',
          'm.yaml',
        ),
      /rules\[0\].*shadowed by rules\[1\]/,
    );
    // Specific rules after general ones, inheriting rules, and a broader rule that covers only one glob: valid.
    parseAclMap(
      'rules:\n  - match: ["claims/**", "hr/**"]\n    principals: [group:a]\n  - match: "claims/**"\n    principals: [group:b]\n',
      'ok.yaml',
    );
    parseAclMap(mapYaml, 'acl.yaml');
  });

  test('reports every problem at once with its path and a fix', () => {
    const bad = `
default: group:staff
rules:
  - match: "claims\\\\**"
    principals: [group:claims]
  - principals: [group:x]
  - match: "a/**"
    principals: [group:a]
    extra: 1
aliases:
  CORP: not-a-principal
`;
    assert.throws(
      () => parseAclMap(bad, 'bad.yaml'),
      (error: GroundworkError) => {
        assert.equal(error.code, 'protect.invalid_acl_map');
        assert.equal(error.category, 'usage');
        const problems = error.details.problems as string[];
        assert.ok(
          problems.some((p) => p.startsWith('default:')),
          problems.join('\n'),
        );
        assert.ok(
          problems.some((p) => p.startsWith('rules[1].match:')),
          problems.join('\n'),
        );
        assert.ok(
          problems.some((p) => p.includes('rules[2].extra')),
          problems.join('\n'),
        );
        assert.ok(
          problems.every((p) => p.includes('Fix:')),
          problems.join('\n'),
        );
        return true;
      },
    );
    assert.throws(
      () =>
        parseAclMap(
          'rules:\n  - match: "claims\\\\**"\n    principals: [group:c]\naliases:\n  CORP: nope\n  corp: group:x\n',
          'b.yaml',
        ),
      (error: GroundworkError) => {
        const problems = error.details.problems as string[];
        assert.equal(problems.length, 3, problems.join('\n'));
        assert.ok(problems.some((p) => p.startsWith('aliases.CORP:')));
        assert.ok(problems.some((p) => p.includes('duplicates alias')));
        assert.ok(problems.some((p) => p.includes('backslash')));
        return true;
      },
    );
    assert.throws(
      () => parseAclMap('rules: [', 'x.yaml'),
      (error: GroundworkError) => /not valid YAML/.test(error.message),
    );
    assert.throws(
      () => parseAclMap('[1,2]', 'x.json'),
      (error: GroundworkError) => error.code === 'protect.invalid_acl_map',
    );
  });

  test('warns about identities that are neither principals nor aliases', () => {
    const { warnings } = parseAclMap(
      'default: [STAFF]\nrules:\n  - match: "a/**"\n    principals: [group:a, CORP\\Unknown]\n',
      'w.yaml',
    );
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /rules\[0\]\.principals\[1\].*CORP\\\\Unknown/);
    assert.match(warnings[1] ?? '', /default\[0\]/);
  });
});

describe('resolveDocumentAccess', () => {
  const { aclMap } = parseAclMap(mapYaml, 'acl.yaml');

  test('the last matching rule wins; aliases map source identities', () => {
    const access = resolveDocumentAccess({ aclMap, path: 'underwriting/board/minutes.pdf' });
    assert.deepEqual(access.principals, ['user:cfo@example.com']);
    assert.equal(access.determined, true);
    assert.equal(access.explanation.decidedBy, 'rules');
    assert.deepEqual(
      access.explanation.matchedRules.map((r) => [r.ruleIndex, r.applied]),
      [
        [0, false],
        [2, true],
      ],
    );
    const guide = resolveDocumentAccess({ aclMap, path: 'underwriting/guide.md' });
    assert.deepEqual(guide.principals, ['group:underwriting', 'group:underwriting-leads']);
    assert.deepEqual(guide.explanation.grants[0], {
      principal: 'group:underwriting',
      raw: 'CORP\\Underwriters',
      alias: 'CORP\\Underwriters',
      source: { kind: 'rule', ruleIndex: 0, match: ['underwriting/**'] },
    });
  });

  test('an inheriting rule adds to the earlier match', () => {
    const access = resolveDocumentAccess({ aclMap, path: 'underwriting/reinsurance/treaty.docx' });
    assert.deepEqual(access.principals, ['group:reinsurance', 'group:underwriting', 'group:underwriting-leads']);
  });

  test('Windows paths, leading ./ and alias keys are matched leniently', () => {
    const access = resolveDocumentAccess({ aclMap, path: '.\\claims\\2026\\notes.txt' });
    assert.equal(access.explanation.path, 'claims/2026/notes.txt');
    assert.deepEqual(access.principals, ['group:claims', 'group:claims-adjusters']);
    const lower = resolveDocumentAccess({ aclMap, path: 'x.txt', sidecarPrincipals: ['legacy_role_adj'] });
    assert.deepEqual(lower.principals, ['group:claims', 'group:claims-adjusters']);
  });

  test('globs are case-sensitive unless ignoreCase', () => {
    assert.deepEqual(resolveDocumentAccess({ aclMap, path: 'Claims/a.txt' }).principals, ['group:staff']);
    const insensitive = parseAclMap(
      'ignoreCase: true\nrules:\n  - match: "claims/**"\n    principals: [group:claims]\n',
      'i.yaml',
    );
    assert.deepEqual(resolveDocumentAccess({ aclMap: insensitive.aclMap, path: 'CLAIMS/a.txt' }).principals, ['group:claims']);
  });

  test('the literal-folder prefilter never changes what a glob matches', () => {
    const globs = [
      'claims/**',
      'claims/*.txt',
      'claims',
      'claims/**/*.pdf',
      'a/b/c.txt',
      '**/*.md',
      '*.md',
      '{a,b}/**',
      'Claims/**',
      '.hidden/**',
      'x/[ab]/**',
      'claims?/**',
    ];
    const paths = [
      'claims',
      'claims/a.txt',
      'claims/2026/b.pdf',
      'claimsX/a.txt',
      'a/b/c.txt',
      'readme.md',
      'docs/readme.md',
      'a/x',
      'b/y/z',
      'CLAIMS/a.txt',
      '.hidden/f',
      'x/a/1',
      'x/c/1',
      'claims2/f',
    ];
    for (const ignoreCase of [false, true]) {
      for (const glob of globs) {
        const { aclMap: single } = parseAclMap(
          JSON.stringify({ ignoreCase, rules: [{ match: glob, principals: ['group:x'] }] }),
          'm.json',
        );
        const reference = picomatch(glob, { dot: true, nocase: ignoreCase });
        for (const path of paths) {
          assert.equal(
            resolveDocumentAccess({ aclMap: single, path }).principals.length > 0,
            reference(path),
            `${glob} ${path} ${ignoreCase}`,
          );
        }
      }
    }
  });

  test('the default applies when no rule matches', () => {
    const access = resolveDocumentAccess({ aclMap, path: 'shared/glossary.md' });
    assert.deepEqual(access.principals, ['group:staff']);
    assert.equal(access.explanation.decidedBy, 'default');
  });

  test('sidecar principals override rules; parents pass principals to members', () => {
    const sidecar = resolveDocumentAccess({
      aclMap,
      path: 'claims/public-faq.md',
      sidecarPrincipals: ['group:Everyone-Staff', 'LEGACY_ROLE_ADJ'],
    });
    assert.deepEqual(sidecar.principals, ['group:claims', 'group:claims-adjusters', 'group:everyone-staff']);
    assert.equal(sidecar.explanation.decidedBy, 'sidecar');
    assert.ok(sidecar.explanation.matchedRules.every((rule) => !rule.applied));
    const member = resolveDocumentAccess({
      aclMap,
      path: 'shared/archive.zip/inner/doc.txt',
      inheritedPrincipals: ['group:claims'],
    });
    assert.deepEqual(member.principals, ['group:claims']);
    assert.equal(member.explanation.decidedBy, 'inherited');
    assert.equal(member.determined, true);
  });

  test('deny by default: no map, no default, or nothing valid → operator-only', () => {
    const none = resolveDocumentAccess({ path: 'a.txt' });
    assert.deepEqual([none.principals, none.determined, none.explanation.decidedBy], [[], false, 'none']);
    const unknownOnly = resolveDocumentAccess({ aclMap, path: 'a.txt', sidecarPrincipals: ['CORP\\Nobody'] });
    assert.deepEqual([unknownOnly.principals, unknownOnly.determined], [[], false]);
    assert.equal(unknownOnly.warnings.length, 1);
    assert.match(unknownOnly.warnings[0] ?? '', /"CORP\\Nobody".*sidecar.*ignored/);
    const explicitlyClosed = resolveDocumentAccess({ aclMap, path: 'hr/salaries.xlsx' });
    assert.deepEqual([explicitlyClosed.principals, explicitlyClosed.determined], [[], true]);
    const parentClosed = resolveDocumentAccess({ aclMap, path: 'x.zip/a', inheritedPrincipals: [] });
    assert.deepEqual([parentClosed.principals, parentClosed.determined], [[], false]);
  });

  test('unknown identities are dropped but the valid ones still grant', () => {
    const access = resolveDocumentAccess({ aclMap, path: 'a.txt', sidecarPrincipals: ['group:a', 'DOMAIN\\x'] });
    assert.deepEqual(access.principals, ['group:a']);
    assert.equal(access.determined, true);
    assert.deepEqual(access.explanation.dropped, [{ raw: 'DOMAIN\\x', source: { kind: 'sidecar' } }]);
  });
});

describe('explainAccess', () => {
  const { aclMap } = parseAclMap(mapYaml, 'acl.yaml');

  test('names the rule and alias that let a caller in', () => {
    const { explanation } = resolveDocumentAccess({ aclMap, path: 'claims/2026/notes.txt' });
    const check = explainAccess(explanation, ['user:bob@example.com', 'Group:Claims-Adjusters']);
    assert.equal(check.allowed, true);
    assert.deepEqual(
      check.via.map((grant) => grant.principal),
      ['group:claims-adjusters'],
    );
    assert.equal(
      check.reason,
      'Allowed: group:claims-adjusters via rule #4 (claims/**, legacy-claims/**) (alias "LEGACY_ROLE_ADJ" → group:claims-adjusters).',
    );
  });

  test('says who could read it when the caller cannot', () => {
    const { explanation } = resolveDocumentAccess({ aclMap, path: 'underwriting/board/minutes.pdf' });
    const check = explainAccess(explanation, ['group:underwriting']);
    assert.equal(check.allowed, false);
    assert.equal(
      check.reason,
      'Denied: underwriting/board/minutes.pdf is readable by user:cfo@example.com via rule #3 (underwriting/board/** — board papers); the caller holds none of them. rule #1 (underwriting/**) also matched but a later rule replaced it (the last matching rule wins; `inherit: true` on the later rule keeps both).',
    );
  });

  test('explains deny-by-default and the admin bypass', () => {
    const { explanation } = resolveDocumentAccess({ path: 'orphan.txt' });
    const denied = explainAccess(explanation, ['group:staff']);
    assert.equal(denied.allowed, false);
    assert.match(
      denied.reason,
      /no sidecar, rule, default or --readable-by decides who may read orphan\.txt, so no principal may \(deny by default; only the local operator sees it\)/,
    );
    const admin = explainAccess(explanation, { principals: [], seesEverything: true });
    assert.equal(admin.allowed, true);
    assert.match(admin.reason, /operator bypass/);
  });
});

// Validation of KubeArmor policy documents: one table row per CRD constraint, asserting the
// code, position, field path and the fix text a user sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyText } from '../../src/policy/load.js';
import type { Diagnostic } from '../../src/common/diagnostic.js';
import { allCodes } from '../../src/common/errors.js';

const CATALOGUE = new Set(allCodes().map((c) => c.code));

/** A KubeArmorPolicy whose `file:` section body starts on line 11 (4-space indented items). */
function ksp(fileBody: string, specExtra = ''): string {
  return [
    'apiVersion: security.kubearmor.com/v1',
    'kind: KubeArmorPolicy',
    'metadata:',
    '  name: p',
    '  namespace: ns',
    'spec:',
    '  selector:',
    '    matchLabels:',
    '      app: x',
    '  file:',
    fileBody,
    specExtra,
  ].join('\n');
}

function findings(text: string): Diagnostic[] {
  const r = parsePolicyText(text, 't.yaml');
  return [...r.errors, ...r.warnings];
}

interface Case {
  name: string;
  text: string;
  code: string;
  line: number;
  col: number;
  field: string;
  /** Exact fix, or a RegExp it must match. */
  fix?: string | RegExp;
  found?: string;
}

const long = (n: number): string => `/${'a'.repeat(n - 1)}`;

const ERRORS: Case[] = [
  {
    name: 'dir without trailing slash',
    text: ksp('    matchDirectories:\n    - dir: /etc\n      recursive: true'),
    code: 'BW1006',
    line: 12,
    col: 12,
    field: 'spec.file.matchDirectories[0].dir',
    fix: 'write "/etc/" (a directory must end with "/")',
    found: '"/etc"',
  },
  {
    name: 'relative dir',
    text: ksp('    matchDirectories:\n    - dir: /bin/\n    - dir: etc/'),
    code: 'BW1006',
    line: 13,
    col: 12,
    field: 'spec.file.matchDirectories[1].dir',
    fix: 'write "/etc/" (a directory starts and ends with "/")',
  },
  {
    name: 'path ending in a slash',
    text: ksp('    matchPaths:\n    - path: /etc/'),
    code: 'BW1005',
    line: 12,
    col: 13,
    field: 'spec.file.matchPaths[0].path',
    fix: 'write "/etc", or to cover the directory use matchDirectories with dir: "/etc/"',
  },
  {
    name: 'relative path',
    text: ksp('    matchPaths:\n    - path: etc/passwd'),
    code: 'BW1005',
    line: 12,
    col: 13,
    field: 'spec.file.matchPaths[0].path',
    fix: 'write "/etc/passwd" (an absolute path)',
  },
  {
    name: 'path "/" alone',
    text: ksp('    matchPaths:\n    - path: "/"'),
    code: 'BW1005',
    line: 12,
    col: 13,
    field: 'spec.file.matchPaths[0].path',
    fix: /matchDirectories with dir: "\/" and recursive: true/,
  },
  {
    name: 'path longer than 200 characters',
    text: ksp(`    matchPaths:\n    - path: ${long(201)}`),
    code: 'BW1007',
    line: 12,
    col: 13,
    field: 'spec.file.matchPaths[0].path',
    fix: /shorten it to 200 characters or fewer/,
  },
  {
    name: 'fromSource path relative',
    text: ksp('    matchPaths:\n    - path: /etc/shadow\n      fromSource:\n      - path: bash'),
    code: 'BW1005',
    line: 14,
    col: 15,
    field: 'spec.file.matchPaths[0].fromSource[0].path',
    fix: 'write "/bash" (an absolute path)',
  },
  {
    name: 'fromSource path longer than 200 characters',
    text: ksp(`    matchDirectories:\n    - dir: /etc/\n      fromSource:\n      - path: ${long(201)}`),
    code: 'BW1007',
    line: 14,
    col: 15,
    field: 'spec.file.matchDirectories[0].fromSource[0].path',
  },
  {
    name: 'lower-case rule action',
    text: ksp('    matchPaths:\n    - path: /etc/passwd\n      action: block'),
    code: 'BW1008',
    line: 13,
    col: 15,
    field: 'spec.file.matchPaths[0].action',
    fix: 'write "Block"',
    found: '"block"',
  },
  {
    name: 'lower-case file-section action',
    text: ksp('    action: audit\n    matchPaths:\n    - path: /etc/passwd'),
    code: 'BW1008',
    line: 11,
    col: 13,
    field: 'spec.file.action',
    fix: 'write "Audit"',
  },
  {
    name: 'lower-case spec action',
    text: ksp('    matchPaths:\n    - path: /etc/passwd', '  action: allow'),
    code: 'BW1008',
    line: 13,
    col: 11,
    field: 'spec.action',
    fix: 'write "Allow"',
  },
  {
    name: 'unknown action',
    text: ksp('    matchPaths:\n    - path: /etc/passwd', '  action: Deny'),
    code: 'BW1008',
    line: 13,
    col: 11,
    field: 'spec.action',
    fix: 'write one of "Allow", "Audit", "Block"',
  },
  {
    name: 'severity 0',
    text: ksp('    matchPaths:\n    - path: /etc/passwd\n      severity: 0'),
    code: 'BW1009',
    line: 13,
    col: 17,
    field: 'spec.file.matchPaths[0].severity',
    fix: 'write an integer from 1 to 10, or remove severity',
  },
  {
    name: 'severity 11 at spec level',
    text: ksp('    matchPaths:\n    - path: /etc/passwd', '  severity: 11'),
    code: 'BW1009',
    line: 13,
    col: 13,
    field: 'spec.severity',
    fix: 'write 10 (the highest severity)',
  },
  {
    name: 'severity as a string',
    text: ksp('    severity: "5"\n    matchPaths:\n    - path: /etc/passwd'),
    code: 'BW1009',
    line: 11,
    col: 15,
    field: 'spec.file.severity',
    fix: 'write 5 without quotes',
  },
  {
    name: 'severity not an integer',
    text: ksp('    matchPaths:\n    - path: /etc/passwd\n      severity: 2.5'),
    code: 'BW1009',
    line: 13,
    col: 17,
    field: 'spec.file.matchPaths[0].severity',
  },
  {
    name: 'missing path',
    text: ksp('    matchPaths:\n    - readOnly: true'),
    code: 'BW1003',
    line: 12,
    col: 7,
    field: 'spec.file.matchPaths[0].path',
    fix: 'add path: /path/to/file (an absolute path)',
  },
  {
    name: 'missing dir',
    text: ksp('    matchDirectories:\n    - dir: /a/\n    - recursive: true'),
    code: 'BW1003',
    line: 13,
    col: 7,
    field: 'spec.file.matchDirectories[1].dir',
    fix: 'add dir: /path/to/dir/ (absolute, ending with "/")',
  },
  {
    name: 'missing pattern',
    text: ksp('    matchPatterns:\n    - readOnly: true'),
    code: 'BW1003',
    line: 12,
    col: 7,
    field: 'spec.file.matchPatterns[0].pattern',
  },
  {
    name: 'readOnly as a quoted string',
    text: ksp('    matchPaths:\n    - path: /etc/passwd\n      readOnly: "true"'),
    code: 'BW1004',
    line: 13,
    col: 17,
    field: 'spec.file.matchPaths[0].readOnly',
    fix: 'write true without quotes',
  },
  {
    name: 'pts as a number',
    text: ksp('    matchPaths:\n    - path: /etc/passwd\n      pts: 1'),
    code: 'BW1004',
    line: 13,
    col: 12,
    field: 'spec.file.matchPaths[0].pts',
    fix: 'write true or false',
  },
  {
    name: 'recursive as a string',
    text: ksp('    matchDirectories:\n    - dir: /etc/\n      recursive: always'),
    code: 'BW1004',
    line: 13,
    col: 18,
    field: 'spec.file.matchDirectories[0].recursive',
  },
  {
    name: 'tags as a string',
    text: ksp('    tags: fim\n    matchPaths:\n    - path: /etc/passwd'),
    code: 'BW1004',
    line: 11,
    col: 11,
    field: 'spec.file.tags',
    fix: 'write it as a list: ["fim"]',
  },
  {
    name: 'matchPaths entry written as a bare string',
    text: ksp('    matchPaths:\n    - /etc/passwd'),
    code: 'BW1004',
    line: 12,
    col: 7,
    field: 'spec.file.matchPaths[0]',
    fix: 'write "- path: /etc/passwd" (each entry is a mapping)',
  },
  {
    name: 'fromSource written as a string',
    text: ksp('    matchPaths:\n    - path: /etc/passwd\n      fromSource: /bin/cat'),
    code: 'BW1004',
    line: 13,
    col: 19,
    field: 'spec.file.matchPaths[0].fromSource',
    fix: 'write a list of mappings: [{path: /bin/cat}]',
  },
  {
    name: 'severity as a word',
    text: ksp('    matchPaths:\n    - path: /etc/passwd\n      severity: high'),
    code: 'BW1009',
    line: 13,
    col: 17,
    field: 'spec.file.matchPaths[0].severity',
    fix: 'write an integer from 1 to 10',
  },
  {
    name: 'empty list entry',
    text: ksp('    matchPaths:\n    -\n    - path: /a'),
    code: 'BW1004',
    line: 12,
    col: 6,
    field: 'spec.file.matchPaths[0]',
    fix: 'write "- path: …" in this entry, or remove the empty "-"',
  },
  {
    name: 'matchLabels value not a string',
    text: ksp('    matchPaths:\n    - path: /etc/passwd').replace('app: x', 'app: true'),
    code: 'BW1010',
    line: 9,
    col: 12,
    field: 'spec.selector.matchLabels.app',
    fix: 'quote it: "true"',
  },
  {
    name: 'KubeArmorPolicy matchExpressions key must be label',
    text: ksp(
      '    matchPaths:\n    - path: /etc/passwd',
      '  selector:\n    matchExpressions:\n    - key: namespace\n      operator: In\n      values: [a]',
    ).replace('  selector:\n    matchLabels:\n      app: x\n', ''),
    code: 'BW1010',
    line: 12,
    col: 12,
    field: 'spec.selector.matchExpressions[0].key',
    fix: /use a KubeArmorClusterPolicy/,
  },
  {
    name: 'process section path invalid',
    text: ksp('    matchPaths:\n    - path: /etc/passwd', '  process:\n    matchPaths:\n    - path: bin/sh'),
    code: 'BW1005',
    line: 15,
    col: 13,
    field: 'spec.process.matchPaths[0].path',
  },
  {
    name: 'network protocol unknown',
    text: ksp(
      '    matchPaths:\n    - path: /etc/passwd',
      '  network:\n    matchProtocols:\n    - protocol: http',
    ),
    code: 'BW1012',
    line: 15,
    col: 17,
    field: 'spec.network.matchProtocols[0].protocol',
  },
  {
    name: 'capability written with CAP_ prefix',
    text: ksp(
      '    matchPaths:\n    - path: /etc/passwd',
      '  capabilities:\n    matchCapabilities:\n    - capability: CAP_NET_RAW',
    ),
    code: 'BW1012',
    line: 15,
    col: 19,
    field: 'spec.capabilities.matchCapabilities[0].capability',
    fix: 'write the lower-case name without CAP_, e.g. "net_raw"',
  },
  {
    name: 'misspelt syscall',
    text: ksp(
      '    matchPaths:\n    - path: /etc/passwd',
      '  syscalls:\n    matchSyscalls:\n    - syscall: [opne]',
    ),
    code: 'BW1012',
    line: 15,
    col: 17,
    field: 'spec.syscalls.matchSyscalls[0].syscall[0]',
    fix: 'write "open"',
  },
  {
    name: 'apparmor section not a string',
    text: ksp('    matchPaths:\n    - path: /etc/passwd', '  apparmor: [a]'),
    code: 'BW1004',
    line: 13,
    col: 13,
    field: 'spec.apparmor',
  },
  {
    name: 'wrong apiVersion',
    text: ksp('    matchPaths:\n    - path: /etc/passwd').replace('/v1', '/v1beta1'),
    code: 'BW1017',
    line: 1,
    col: 13,
    field: 'apiVersion',
    fix: 'write apiVersion: security.kubearmor.com/v1',
  },
  {
    name: 'missing metadata.name',
    text: ksp('    matchPaths:\n    - path: /etc/passwd').replace('  name: p\n', ''),
    code: 'BW1013',
    line: 4,
    col: 3,
    field: 'metadata.name',
  },
  {
    name: 'invalid glob in matchPatterns',
    text: ksp('    matchPatterns:\n    - pattern: /etc/[abc'),
    code: 'BW1014',
    line: 12,
    col: 21,
    field: 'spec.file.matchPatterns[0].pattern',
    found: '"/etc/[abc"',
  },
  {
    name: 'invalid glob in a quoted pattern points into the string',
    text: ksp('    matchPatterns:\n    - pattern: "/etc/{a,b"'),
    code: 'BW1014',
    line: 12,
    col: 22,
    field: 'spec.file.matchPatterns[0].pattern',
  },
  {
    name: 'YAML syntax error',
    text: ksp('    matchPaths:\n    - path: [/etc/passwd'),
    code: 'BW1001',
    line: 13,
    col: 1,
    field: '',
  },
  {
    name: 'key written twice',
    text: ksp('    matchPaths:\n    - path: /a\n    matchPaths:\n    - path: /b'),
    code: 'BW1018',
    line: 13,
    col: 5,
    field: 'spec.file.matchPaths',
    fix: 'merge the two "matchPaths:" entries into one (for lists, one list with all items), or remove one',
  },
  {
    name: 'document that is a list',
    text: '- a\n- b\n',
    code: 'BW1002',
    line: 1,
    col: 1,
    field: '',
  },
];

for (const c of ERRORS) {
  test(`error: ${c.name} → ${c.code}`, () => {
    const r = parsePolicyText(c.text, 't.yaml');
    assert.equal(r.ok, false, 'the file is rejected');
    assert.deepEqual(r.policies, [], 'no policy from a rejected file');
    const d = r.errors.find((e) => e.code === c.code);
    assert.ok(d, `expected ${c.code}, got ${JSON.stringify(r.errors)}`);
    assert.equal(d.level, 'error');
    assert.equal(d.file, 't.yaml');
    assert.deepEqual([d.line, d.col], [c.line, c.col], `position of ${JSON.stringify(d)}`);
    assert.equal(d.field, c.field);
    if (typeof c.fix === 'string') assert.equal(d.fix, c.fix);
    else if (c.fix) assert.match(d.fix ?? '', c.fix);
    if (c.found !== undefined) assert.equal(d.found, c.found);
    assert.ok(d.message.length > 0);
    assert.equal(r.files[0].ok, false);
    assert.equal(r.files[0].errors, r.errors.length);
  });
}

test('host policy without nodeSelector → BW1011 at spec', () => {
  const text = [
    'apiVersion: security.kubearmor.com/v1',
    'kind: KubeArmorHostPolicy',
    'metadata:',
    '  name: h',
    'spec:',
    '  file:',
    '    matchDirectories:',
    '    - dir: /etc/',
  ].join('\n');
  const r = parsePolicyText(text, 'h.yaml');
  const d = r.errors.find((e) => e.code === 'BW1011');
  assert.ok(d, JSON.stringify(r.errors));
  assert.deepEqual([d.line, d.col, d.field], [6, 3, 'spec.nodeSelector']);
  assert.match(d.fix ?? '', /kubearmor.io\/hostname: "\*"/);
});

test('host network and capability entries require fromSource', () => {
  const text = [
    'apiVersion: security.kubearmor.com/v1',
    'kind: KubeArmorHostPolicy',
    'metadata: {name: h}',
    'spec:',
    '  nodeSelector: {matchLabels: {kubearmor.io/hostname: "*"}}',
    '  network:',
    '    matchProtocols:',
    '    - protocol: tcp',
  ].join('\n');
  const d = parsePolicyText(text, 'h.yaml').errors.find((e) => e.code === 'BW1003');
  assert.ok(d);
  assert.deepEqual([d.line, d.col, d.field], [8, 7, 'spec.network.matchProtocols[0].fromSource']);
});

test('cluster policy selector: namespace expressions are valid, other operators are not', () => {
  const base = (op: string): string =>
    [
      'apiVersion: security.kubearmor.com/v1',
      'kind: KubeArmorClusterPolicy',
      'metadata: {name: c}',
      'spec:',
      '  selector:',
      '    matchExpressions:',
      '    - key: namespace',
      `      operator: ${op}`,
      '      values: [nginx2]',
      '  file:',
      '    matchPaths: [{path: /etc/host.conf}]',
    ].join('\n');
  const ok = parsePolicyText(base('In'), 'c.yaml');
  assert.equal(ok.ok, true, JSON.stringify(ok.errors));
  assert.deepEqual(ok.policies[0].selector, {
    kind: 'cluster',
    matchLabels: {},
    matchExpressions: [{ key: 'namespace', operator: 'In', values: ['nginx2'] }],
  });
  assert.equal(ok.policies[0].namespace, undefined);
  const bad = parsePolicyText(base('Exists'), 'c.yaml').errors[0];
  assert.deepEqual(
    [bad.code, bad.line, bad.col, bad.field],
    ['BW1010', 8, 17, 'spec.selector.matchExpressions[0].operator'],
  );
});

test('boundaries that the CRD accepts', () => {
  const cases = [
    ksp(`    matchPaths:\n    - path: ${long(200)}`),
    ksp(`    matchDirectories:\n    - dir: ${long(300)}/`),
    ksp('    matchPaths:\n    - path: //etc/passwd'),
    ksp('    matchDirectories:\n    - dir: /'),
    ksp('    matchDirectories:\n    - dir: //'),
    ksp('    matchPatterns:\n    - pattern: relative*'),
    ksp('    matchPaths:\n    - path: /a\n      severity: 1\n      pts: false', '  severity: 10'),
    ksp('    matchDirectories:\n    - dir: /etc/\n      recursive: yes\n      readOnly: on'),
  ];
  for (const text of cases) {
    const r = parsePolicyText(text, 't.yaml');
    assert.equal(r.ok, true, `${text}\n${JSON.stringify(r.errors)}`);
    assert.equal(r.policies.length, 1);
  }
});

test('duplicate policy in one text → BW1015 on the later document', () => {
  const doc = ksp('    matchPaths:\n    - path: /etc/passwd');
  const r = parsePolicyText(`${doc}\n---\n${doc}`, 'd.yaml');
  const d = r.errors.find((e) => e.code === 'BW1015');
  assert.ok(d);
  assert.deepEqual([d.line, d.col, d.field], [18, 9, 'metadata.name']);
  assert.equal(d.document, 1);
  assert.match(d.message, /already defined at d\.yaml:1/);
  assert.equal(r.policies.length, 0);
});

test('a file with one invalid document is rejected whole', () => {
  const good = ksp('    matchPaths:\n    - path: /etc/passwd');
  const bad = ksp('    matchDirectories:\n    - dir: /etc').replace('name: p', 'name: q');
  const r = parsePolicyText(`${good}\n---\n${bad}`, 'm.yaml');
  assert.equal(r.ok, false);
  assert.deepEqual(r.policies, []);
  assert.deepEqual(r.files, [{ file: 'm.yaml', ok: false, policies: 0, skipped: 0, errors: 1, warnings: 0 }]);
  assert.equal(r.errors[0].line, 26);
  assert.equal(r.errors[0].document, 1);
});

test('every diagnostic of the table carries a catalogue code, file and position', () => {
  for (const c of ERRORS) {
    for (const d of findings(c.text)) {
      assert.ok(CATALOGUE.has(d.code), d.code);
      assert.ok(d.line >= 1 && d.col >= 1, JSON.stringify(d));
      assert.ok(d.fix && d.fix.length > 0, `no fix: ${JSON.stringify(d)}`);
    }
  }
});

test('a key repeated with the same value is a warning (BW1108); nothing is lost', () => {
  const r = parsePolicyText(
    ksp('    action: Block\n    matchPaths:\n    - path: /a\n    action: Block'),
    'r.yaml',
  );
  assert.equal(r.ok, true);
  const d = r.warnings.find((w) => w.code === 'BW1108');
  assert.ok(d);
  assert.deepEqual([d.line, d.col, d.field], [14, 5, 'spec.file.action']);
  assert.equal(d.fix, 'remove the repeated "action:" line (YAML forbids repeated keys)');
});

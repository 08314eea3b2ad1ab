// Normalisation (inheritance, action defaults, targets, selectors) and the warnings of the reader:
// other kinds, unknown fields, unenforced sections, empty documents and values; multi-document
// YAML, kind: List and JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyText } from '../../src/policy/load.js';

const HEAD = 'apiVersion: security.kubearmor.com/v1';

test('inheritance: rule > file section > spec (kubearmor-compat §1.4 host example)', () => {
  const text = [
    HEAD,
    'kind: KubeArmorHostPolicy',
    'metadata:',
    '  name: hsp-block-file-pattern',
    'spec:',
    '  nodeSelector:',
    '    matchLabels:',
    '      kubearmor.io/hostname: "*"',
    '  severity: 5',
    '  tags: [host, filesystem]',
    '  message: file access detected',
    '  file:',
    '    severity: 4',
    '    tags: [fs-monitor]',
    '    message: file event',
    '    matchPatterns:',
    '    - pattern: /etc/*.conf',
    '    - pattern: /etc/*.key',
    '      severity: 9',
    '      tags: [keys]',
    '      message: key touched',
    '      action: Audit',
    '  action: Block',
  ].join('\n');
  const r = parsePolicyText(text, 'hsp.yaml');
  assert.equal(r.ok, true, JSON.stringify(r.errors));
  const [p] = r.policies;
  assert.equal(p.kind, 'KubeArmorHostPolicy');
  assert.equal(p.namespace, undefined);
  assert.deepEqual(p.selector, { kind: 'host', matchLabels: { 'kubearmor.io/hostname': '*' } });
  const [a, b] = p.rules;
  assert.deepEqual([a.severity, a.tags, a.message, a.action], [4, ['fs-monitor'], 'file event', 'Block']);
  assert.deepEqual([b.severity, b.tags, b.message, b.action], [9, ['keys'], 'key touched', 'Audit']);
  assert.deepEqual(
    [a.kind, a.target, a.field, a.index],
    ['pattern', '/etc/*.conf', 'spec.file.matchPatterns[0]', 0],
  );
  assert.deepEqual(a.pos, { file: 'hsp.yaml', line: 17, col: 7 });
});

test('inheritance falls back to spec when the file section sets nothing; tag lists are not merged', () => {
  const text = [
    HEAD,
    'kind: KubeArmorPolicy',
    'metadata: {name: p, namespace: wordpress-mysql}',
    'spec:',
    '  selector: {matchLabels: {app: mysql}}',
    '  severity: 5',
    '  tags: [a, b]',
    '  message: m',
    '  action: Audit',
    '  file:',
    '    matchPaths:',
    '    - path: /etc/passwd',
    '    - path: /etc/shadow',
    '      tags: [c]',
  ].join('\n');
  const [p] = parsePolicyText(text, 'k.yaml').policies;
  assert.deepEqual(
    p.rules.map((r) => [r.severity, r.tags, r.message, r.action]),
    [
      [5, ['a', 'b'], 'm', 'Audit'],
      [5, ['c'], 'm', 'Audit'],
    ],
  );
  assert.equal(p.action, 'Audit');
  assert.equal(p.namespace, 'wordpress-mysql');
  assert.deepEqual(p.selector, {
    kind: 'workload',
    namespace: 'wordpress-mysql',
    matchLabels: { app: 'mysql' },
    matchExpressions: [],
  });
});

test('no action anywhere means Block; the file-section action beats spec; severity 0 stays unset', () => {
  const mk = (fileAction: string, specAction: string): string =>
    [
      HEAD,
      'kind: KubeArmorPolicy',
      'metadata: {name: p}',
      'spec:',
      fileAction ? `  file:\n    action: ${fileAction}` : '  file:',
      '    matchDirectories: [{dir: /tmp/}]',
      specAction ? `  action: ${specAction}` : '',
    ].join('\n');
  const action = (t: string): string => parsePolicyText(t, 'a.yaml').policies[0].rules[0].action;
  assert.equal(action(mk('', '')), 'Block');
  assert.equal(action(mk('', 'Allow')), 'Allow');
  assert.equal(action(mk('Audit', 'Allow')), 'Audit');
  const p = parsePolicyText(mk('', ''), 'a.yaml').policies[0];
  assert.equal(p.action, 'Block');
  assert.equal(p.namespace, 'default', 'KubeArmorPolicy without namespace is in "default"');
  assert.equal(p.rules[0].severity, 0);
  assert.deepEqual(p.rules[0].tags, []);
  assert.equal(p.rules[0].message, '');
});

test('targets: repeated slashes collapse, directories keep "/", written keeps the text; flags and pts', () => {
  const text = [
    HEAD,
    'kind: KubeArmorPolicy',
    'metadata: {name: p}',
    'spec:',
    '  file:',
    '    matchPaths:',
    '    - path: //etc//passwd',
    '      readOnly: true',
    '      pts: false',
    '      fromSource: [{path: //usr/bin//cat}]',
    '    matchDirectories:',
    '    - dir: /var//log/',
    '      recursive: true',
    '      ownerOnly: true',
    '    matchPatterns:',
    '    - pattern: /home//*/.ssh/**',
  ].join('\n');
  const [p] = parsePolicyText(text, 't.yaml').policies;
  const [path, dir, pat] = p.rules;
  assert.deepEqual([path.kind, path.target, path.written], ['path', '/etc/passwd', '//etc//passwd']);
  assert.deepEqual([path.readOnly, path.ownerOnly, path.recursive, path.pts], [true, false, false, false]);
  assert.deepEqual(path.fromSource, ['/usr/bin/cat']);
  assert.deepEqual(
    [dir.kind, dir.target, dir.written, dir.recursive, dir.ownerOnly],
    ['dir', '/var/log/', '/var//log/', true, true],
  );
  assert.equal(dir.pts, undefined, 'pts absent stays undefined (tri-state)');
  assert.deepEqual([pat.kind, pat.target], ['pattern', '/home/*/.ssh/**']);
  assert.deepEqual(pat.fromSource, []);
});

test('multi-document file with another kind: the other kind is skipped with a warning naming it', () => {
  const text = [
    HEAD,
    'kind: KubeArmorPolicy',
    'metadata: {name: a}',
    'spec: {file: {matchPaths: [{path: /a}]}}',
    '---',
    'apiVersion: cilium.io/v2',
    'kind: CiliumNetworkPolicy',
    'metadata: {name: net}',
    'spec: {endpointSelector: {}}',
    '---',
    HEAD,
    'kind: KubeArmorPolicy',
    'metadata: {name: b}',
    'spec: {file: {matchPaths: [{path: /b}]}}',
  ].join('\n');
  const r = parsePolicyText(text, 'multi.yaml');
  assert.equal(r.ok, true);
  assert.deepEqual(
    r.policies.map((p) => [p.name, p.document, p.pos.line]),
    [
      ['a', 0, 1],
      ['b', 2, 11],
    ],
  );
  const other = r.warnings.filter((w) => w.code === 'BW1103');
  assert.equal(other.length, 1);
  assert.equal(
    other[0].message,
    'document 1 (CiliumNetworkPolicy "net") skipped: not a KubeArmor file policy',
  );
  assert.deepEqual([other[0].line, other[0].col, other[0].document], [7, 7, 1]);
  assert.deepEqual(r.files, [
    { file: 'multi.yaml', ok: true, policies: 2, skipped: 1, errors: 0, warnings: 1 },
  ]);
});

test('a near-miss kind is skipped with a suggestion; a document with spec but no kind is an error', () => {
  const near = parsePolicyText(`${HEAD}\nkind: KubeArmorPolcy\nmetadata: {name: x}\n`, 'n.yaml');
  assert.equal(near.ok, true);
  assert.equal(near.warnings[0].code, 'BW1103');
  assert.equal(near.warnings[0].fix, 'if it is meant as a policy, write kind: KubeArmorPolicy');
  const nokind = parsePolicyText(`${HEAD}\nmetadata: {name: x}\nspec: {}\n`, 'n.yaml');
  assert.equal(nokind.errors[0].code, 'BW1003');
  assert.equal(nokind.errors[0].field, 'kind');
});

test('kind: List: items are policies, field paths and positions point into the item', () => {
  const text = [
    'apiVersion: v1',
    'kind: List',
    'items:',
    `- ${HEAD}`,
    '  kind: KubeArmorPolicy',
    '  metadata: {name: one}',
    '  spec:',
    '    file:',
    '      matchPaths: [{path: /etc/passwd}]',
    `- ${HEAD}`,
    '  kind: KubeArmorHostPolicy',
    '  metadata: {name: two}',
    '  spec:',
    '    nodeSelector: {matchLabels: {kubernetes.io/hostname: node-1}}',
    '    file:',
    '      matchDirectories:',
    '      - dir: /etc',
  ].join('\n');
  const r = parsePolicyText(text, 'list.yaml');
  assert.equal(r.ok, false);
  assert.equal(r.errors.length, 1);
  const d = r.errors[0];
  assert.deepEqual(
    [d.code, d.line, d.col, d.field],
    ['BW1006', 17, 14, 'items[1].spec.file.matchDirectories[0].dir'],
  );
  const fixed = parsePolicyText(text.replace('dir: /etc', 'dir: /etc/'), 'list.yaml');
  assert.equal(fixed.ok, true);
  assert.deepEqual(
    fixed.policies.map((p) => [p.kind, p.name, p.pos.line, p.rules[0].field]),
    [
      ['KubeArmorPolicy', 'one', 4, 'items[0].spec.file.matchPaths[0]'],
      ['KubeArmorHostPolicy', 'two', 10, 'items[1].spec.file.matchDirectories[0]'],
    ],
  );
});

test('JSON input, positions included', () => {
  const json = JSON.stringify(
    {
      apiVersion: 'security.kubearmor.com/v1',
      kind: 'KubeArmorPolicy',
      metadata: { name: 'j', namespace: 'ns' },
      spec: { file: { matchDirectories: [{ dir: '/etc', recursive: true }] } },
    },
    null,
    '\t',
  );
  const r = parsePolicyText(json, 'p.json');
  assert.equal(r.errors[0].code, 'BW1006');
  assert.equal(r.errors[0].line, 12);
  assert.equal(r.errors[0].fix, 'write "/etc/" (a directory must end with "/")');
  const ok = parsePolicyText(json.replace('"/etc"', '"/etc/"'), 'p.json');
  assert.equal(ok.ok, true);
  assert.equal(ok.policies[0].rules[0].target, '/etc/');
});

test('unknown fields are warnings with the likely spelling; the policy is accepted', () => {
  const text = [
    HEAD,
    'kind: KubeArmorPolicy',
    'metadata: {name: p}',
    'spec:',
    '  file:',
    '    matchDirectories:',
    '    - dir: /etc/',
    '      recurive: true',
    '    matchPatterns:',
    '    - pattern: /tmp/*.sh',
    '      fromSource: [{path: /bin/bash}]',
    '  extra: 1',
  ].join('\n');
  const r = parsePolicyText(text, 'u.yaml');
  assert.equal(r.ok, true);
  const unknown = r.warnings.filter((w) => w.code === 'BW1101');
  assert.deepEqual(
    unknown.map((w) => [w.line, w.col, w.field, w.fix]),
    [
      [8, 7, 'spec.file.matchDirectories[0].recurive', 'write "recursive"'],
      [
        11,
        7,
        'spec.file.matchPatterns[0].fromSource',
        'matchPatterns has no fromSource (the rule applies without it); use matchPaths or matchDirectories for fromSource',
      ],
      [
        12,
        3,
        'spec.extra',
        'remove it, or check its spelling: Kubernetes drops fields the CRD does not define',
      ],
    ],
  );
  assert.equal(r.policies[0].rules[0].recursive, false, 'the misspelt field has no effect');
});

test('unenforced sections: exactly one BW1102 per policy, listed in spec order', () => {
  const doc = (name: string): string =>
    [
      HEAD,
      'kind: KubeArmorPolicy',
      `metadata: {name: ${name}}`,
      'spec:',
      '  process:',
      '    matchPaths: [{path: /usr/bin/apt}]',
      '  file:',
      '    matchPaths: [{path: /etc/passwd}]',
      '  network:',
      '    matchProtocols: [{protocol: raw}]',
      '  capabilities:',
      '    matchCapabilities: [{capability: net_raw}]',
      '  action: Block',
    ].join('\n');
  const r = parsePolicyText(`${doc('a')}\n---\n${doc('b')}`, 'x.yaml');
  assert.equal(r.ok, true, JSON.stringify(r.errors));
  const w = r.warnings.filter((d) => d.code === 'BW1102');
  assert.equal(w.length, 2);
  assert.equal(
    w[0].message,
    'policy "a": process, network, capabilities sections are not enforced by Bulwark (its file rules are)',
  );
  assert.deepEqual([w[0].line, w[0].col, w[0].field], [5, 3, 'spec.process']);
  assert.deepEqual(r.policies[0].unenforced, ['process', 'network', 'capabilities']);
  assert.equal(r.policies[0].rules.length, 1);
});

test('a policy without file rules is accepted with BW1104', () => {
  const text = `${HEAD}\nkind: KubeArmorPolicy\nmetadata: {name: proc}\nspec:\n  process:\n    matchPaths: [{path: /bin/sh}]\n`;
  const r = parsePolicyText(text, 'p.yaml');
  assert.equal(r.ok, true);
  assert.deepEqual(r.warnings.map((w) => w.code).sort(), ['BW1102', 'BW1104']);
  assert.equal(r.policies[0].rules.length, 0);
});

test('empty documents, value-less fields and entries without effect are warnings', () => {
  const text = [
    '---',
    '---',
    HEAD,
    'kind: KubeArmorPolicy',
    'metadata: {name: p}',
    'spec:',
    '  selector:',
    '    matchExpressions:',
    '    - key: label',
    '      values: [a=b]',
    '  file:',
    '    matchPaths:',
    '    - path: /etc/passwd',
    '      readOnly:',
    '      fromSource:',
    '      - {}',
  ].join('\n');
  const r = parsePolicyText(text, 'e.yaml');
  assert.equal(r.ok, true, JSON.stringify(r.errors));
  assert.deepEqual(
    r.warnings.map((w) => [w.code, w.line]),
    [
      ['BW1105', 1],
      ['BW1107', 14],
      ['BW1106', 9],
      ['BW1106', 16],
    ],
  );
  const [p] = r.policies;
  assert.equal(p.rules[0].readOnly, false);
  assert.deepEqual(p.rules[0].fromSource, []);
  assert.deepEqual(p.selector.kind === 'workload' && p.selector.matchExpressions, []);
  assert.equal(r.files[0].skipped, 1);
});

test('YAML 1.1 scalars as kubectl reads them: yes/on are booleans, timestamps and 12:30 stay strings', () => {
  const text = [
    HEAD,
    'kind: KubeArmorPolicy',
    'metadata: {name: p}',
    'spec:',
    '  message: 2024-01-01',
    '  selector: {matchLabels: {window: 12:30}}',
    '  file:',
    '    matchDirectories:',
    '    - dir: /etc/',
    '      recursive: yes',
  ].join('\n');
  const [p] = parsePolicyText(text, 'y.yaml').policies;
  assert.equal(p.rules[0].recursive, true);
  assert.equal(p.rules[0].message, '2024-01-01');
  assert.deepEqual(
    p.selector.kind === 'workload' && p.selector.matchLabels,
    { window: '12:30' },
    'no base-60 numbers',
  );
});

test('kind: KubeArmorPolicyList is opened like List', () => {
  const text = [
    `apiVersion: security.kubearmor.com/v1`,
    'kind: KubeArmorPolicyList',
    'items:',
    `- ${HEAD}`,
    '  kind: KubeArmorPolicy',
    '  metadata: {name: one}',
    '  spec: {file: {matchPaths: [{path: /etc/passwd}]}}',
    '- apiVersion: v1',
    '  kind: ConfigMap',
    '  metadata: {name: cm}',
  ].join('\n');
  const r = parsePolicyText(text, 'l.yaml');
  assert.equal(r.ok, true);
  assert.equal(
    r.warnings[0].message,
    'document 0 items[1] (ConfigMap "cm") skipped: not a KubeArmor file policy',
  );
  assert.equal(r.warnings[0].field, 'items[1].kind');
  assert.deepEqual(
    r.policies.map((p) => [p.name, p.rules[0].field]),
    [['one', 'items[0].spec.file.matchPaths[0]']],
  );
});

test('a file pattern that cannot match an absolute path is a warning (BW1109)', () => {
  const text = `${HEAD}\nkind: KubeArmorPolicy\nmetadata: {name: p}\nspec:\n  file:\n    matchPatterns:\n    - pattern: ^/proc/*/maps$\n    - pattern: '**/id_rsa'\n    - pattern: id_*.pub\n`;
  const r = parsePolicyText(text, 'p.yaml');
  assert.equal(r.ok, true);
  const w = r.warnings.filter((d) => d.code === 'BW1109');
  assert.deepEqual(
    w.map((d) => [d.line, d.col, d.field, d.fix]),
    [
      [
        7,
        16,
        'spec.file.matchPatterns[0].pattern',
        'write "/proc/*/maps" (a glob, not a regular expression: no ^ or $)',
      ],
      [
        9,
        16,
        'spec.file.matchPatterns[2].pattern',
        'write "/id_*.pub" (from the root) or "**/id_*.pub" (at any depth)',
      ],
    ],
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatAlert, formatJson, formatPrettyJson, formatText, toWire } from '../../../src/alert/format.js';
import { ALERT_FIELDS, TEXT_FIRST_KEYS } from '../../../src/alert/fields.js';
import type { Alert } from '../../../src/alert/types.js';
import { seedAlert } from '../../helpers/alerts.js';

/** Fields of AccuKnox's SaaS pipeline that the card shows but KubeArmor never sends (compat §3.3). */
const SAAS_KEYS = new Set([
  'cluster_id',
  'component_name',
  'instanceGroup',
  'instanceID',
  'tenant_id',
  'workload',
]);

/** The card's `Key:value` lines, with the 3 nested Owner items folded into one map. */
function cardFields(): { keys: string[]; values: Map<string, string>; owner: Record<string, string> } {
  const lines = readFileSync(new URL('../../fixtures/seed-expected-alert.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean);
  const keys: string[] = [];
  const values = new Map<string, string>();
  const owner: Record<string, string> = {};
  let nested = 0;
  for (const line of lines) {
    const i = line.indexOf(':');
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (nested > 0) {
      owner[k] = v;
      nested--;
      continue;
    }
    const m = /^\{\} (\d+) items$/.exec(v);
    if (m) nested = Number(m[1]);
    if (SAAS_KEYS.has(k)) continue;
    keys.push(k);
    values.set(k, v);
  }
  return { keys, values, owner };
}

function textLines(text: string): [string, string][] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => {
      const i = l.indexOf(': ');
      return [l.slice(0, i), l.slice(i + 2)];
    });
}

test('seed alert: UpdatedTime, Timestamp, Data and Labels come out as the card shows them', () => {
  const card = cardFields();
  const a = seedAlert();
  assert.equal(a.UpdatedTime, card.values.get('UpdatedTime'));
  assert.equal(String(a.Timestamp), card.values.get('Timestamp'));
  assert.equal(a.Data, card.values.get('Data'));
  assert.equal(a.Labels, card.values.get('Labels'));
});

test('seed alert as karmor text: every card field, same values, karmor order', () => {
  const card = cardFields();
  const text = formatText(seedAlert());
  assert.equal(text.split('\n')[0], '== Alert / 2023-10-03 06:56:50.829165 ==');
  const lines = textLines(text);
  const got = new Map(lines);
  for (const k of card.keys) {
    assert.ok(got.has(k), `card field ${k} missing from the text rendering`);
    if (k === 'Owner') {
      const expect = `map[${Object.keys(card.owner)
        .sort()
        .map((n) => `${n}:${card.owner[n]}`)
        .join(' ')}]`;
      assert.equal(got.get(k), expect);
    } else assert.equal(got.get(k), card.values.get(k), `value of ${k}`);
  }
  // The only field added is UID, which KubeArmor always sends (omitempty stripped).
  assert.deepEqual(
    lines.map(([k]) => k).filter((k) => !card.keys.includes(k)),
    ['UID'],
  );
  // karmor order: the fixed keys that are present, then the rest in byte order.
  const keys = lines.map(([k]) => k);
  const fixed = TEXT_FIRST_KEYS.filter((k) => got.has(k));
  assert.deepEqual(keys.slice(0, fixed.length), fixed);
  const rest = keys.slice(fixed.length);
  assert.deepEqual(rest, [...rest].sort());
  assert.equal(
    text,
    [
      '== Alert / 2023-10-03 06:56:50.829165 ==',
      'ClusterName: aditya',
      'HostName: aditya',
      'NamespaceName: wordpress-mysql',
      'PodName: mysql-74775b4bf4-65nqf',
      'Labels: app=mysql',
      'ContainerName: mysql',
      'ContainerID: b75628d4225b8071d5795da342cf2a5c03b1d67b22b40016697fcd17a0db20e4',
      'ContainerImage: docker.io/library/mysql:5.6@sha256:20575ecebe6216036d25dab5903808211f1e9ba63dc7825ac20cb975e34cfcae',
      'Type: MatchedPolicy',
      'PolicyName: harden-mysql-file-integrity-monitoring',
      'Severity: 1',
      'Message: Detected and prevented compromise to File integrity',
      'Source: /usr/bin/touch file',
      'Resource: /sbin/file',
      'Operation: File',
      'Action: Block',
      'Data: syscall=SYS_OPEN flags=O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK',
      'Enforcer: AppArmor',
      'Result: Permission denied',
      'HostPID: 16462',
      'HostPPID: 16435',
      'Owner: map[Name:mysql Namespace:wordpress-mysql Ref:Deployment]',
      'PID: 167',
      'PPID: 160',
      'ParentProcessName: /bin/bash',
      'ProcessName: /bin/touch',
      'Tags: NIST,NIST_800-53_AU-2,NIST_800-53_SI-4,MITRE,MITRE_T1036_masquerading,MITRE_T1565_data_manipulation',
      'Timestamp: 1696316210',
      'UID: 0',
      'UpdatedTime: 2023-10-03T06:56:50.829165Z',
    ].join('\n'),
  );
});

test('seed alert as JSON: the card is the JSON flattened in key order (plus UID)', () => {
  const card = cardFields();
  const wire = JSON.parse(formatJson(seedAlert())) as Record<string, unknown>;
  const flat: string[] = [];
  for (const k of Object.keys(wire).sort()) {
    const v = wire[k];
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      flat.push(`${k}:{} ${Object.keys(v).length} items`);
      for (const n of Object.keys(v).sort()) flat.push(`${n}:${(v as Record<string, string>)[n]}`);
    } else flat.push(`${k}:${String(v)}`);
  }
  const cardLines = readFileSync(new URL('../../fixtures/seed-expected-alert.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l && !SAAS_KEYS.has(l.slice(0, l.indexOf(':'))));
  assert.deepEqual(
    flat.filter((l) => !l.startsWith('UID:')),
    cardLines,
  );
  assert.equal(card.keys.length + 1, Object.keys(wire).length);
});

test('JSON: PascalCase keys in proto declaration order; PPID and UID present when 0; empties omitted', () => {
  const a: Alert = {
    Timestamp: 1,
    UpdatedTime: '1970-01-01T00:00:01.000000Z',
    ClusterName: 'default',
    HostName: 'h',
    PPID: 0,
    UID: 0,
    HostPID: 0,
    NamespaceName: '',
    ATags: [],
    Type: 'MatchedHostPolicy',
    Operation: 'File',
    Resource: '/etc/a<b>&c',
    EventData: { Syscall: 'SYS_OPEN', Flags: 'O_RDONLY' },
  };
  const line = formatJson(a);
  assert.ok(!line.includes('\n'));
  assert.match(line, /\\u003c/, 'Go escapes < like encoding/json');
  const obj = JSON.parse(line) as Record<string, unknown>;
  assert.deepEqual(Object.keys(obj), [
    'Timestamp',
    'UpdatedTime',
    'ClusterName',
    'HostName',
    'PPID',
    'UID',
    'Type',
    'Operation',
    'Resource',
    'EventData',
  ]);
  assert.equal(obj.PPID, 0);
  assert.equal(obj.UID, 0);
  assert.equal(obj.Resource, '/etc/a<b>&c');
  assert.deepEqual(Object.keys(obj.EventData as object), ['Flags', 'Syscall']);
  const keys = Object.keys(toWire(seedAlert()));
  const order = keys.map((k) => (ALERT_FIELDS as readonly string[]).indexOf(k));
  assert.ok(
    order.every((v, i) => v >= 0 && (i === 0 || v > order[i - 1])),
    'declaration order',
  );
  for (const k of keys) assert.match(k, /^[A-Z][A-Za-z]*$/);
});

test('pretty JSON is the same object indented by two spaces', () => {
  const p = formatPrettyJson(seedAlert());
  assert.deepEqual(JSON.parse(p), JSON.parse(formatJson(seedAlert())));
  assert.match(p, /^\{\n {2}"Timestamp": 1696316210,\n/);
});

test('logs: Log field order, `== Log /` header, policy fields dropped', () => {
  const a: Alert = { ...seedAlert(), Type: 'ContainerLog', Action: undefined, Result: 'Passed' };
  const text = formatText(a);
  assert.match(text, /^== Log \/ 2023-10-03 06:56:50\.829165 ==\n/);
  const keys = Object.keys(toWire(a));
  assert.ok(!keys.includes('PolicyName') && !keys.includes('Severity') && !keys.includes('Tags'));
  assert.ok(keys.indexOf('ProcessName') < keys.indexOf('HostPID'), 'Log order puts process names first');
});

test('text values: arrays and maps in Go %v style; streams terminate blocks', () => {
  const a: Alert = { ...seedAlert(), ATags: ['NIST', 'MITRE'], EventData: { Syscall: 'SYS_OPEN' } };
  const text = formatText(a);
  assert.match(text, /\nATags: \[NIST MITRE\]\n/);
  assert.match(text, /\nEventData: map\[Syscall:SYS_OPEN\]\n/);
  assert.ok(
    text.indexOf('Data:') < text.indexOf('EventData:') &&
      text.indexOf('EventData:') < text.indexOf('Enforcer:'),
  );
  assert.ok(formatAlert(a, 'text').endsWith('\n\n'));
  assert.ok(formatAlert(a, 'json').endsWith('}\n'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic } from '../../../src/common/diagnostic.js';
import type { Diagnostic } from '../../../src/common/diagnostic.js';
import { defaultConfig, loadConfig } from '../../../src/config/index.js';

const EXAMPLE = new URL('../../../deploy/config/bulwark.yaml', import.meta.url).pathname;

function load(text: string, flags = {}) {
  return loadConfig({ file: '/etc/bulwark/test.yaml', text, flags, hostname: 'node-a' });
}

function only(ds: Diagnostic[], code: string): Diagnostic {
  const hit = ds.filter((d) => d.code === code);
  assert.equal(hit.length, 1, `expected one ${code}, got:\n${ds.map(formatDiagnostic).join('\n')}`);
  return hit[0];
}

test('defaults: host mode, audit postures, KubeArmor throttle, loopback APIs, store only', () => {
  const r = loadConfig({ defaultFile: null, hostname: 'node-a' });
  assert.equal(r.ok, true);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.file, undefined);
  const c = r.config;
  assert.equal(c.mode, 'host');
  assert.equal(c.stateDir, '/var/lib/bulwark');
  assert.equal(c.policyDir, '/etc/bulwark/policies');
  assert.equal(c.sensor, 'auto');
  assert.equal(c.clusterName, 'default');
  assert.equal(c.nodeName, 'node-a');
  assert.deepEqual(c.posture, { workload: 'audit', host: 'audit', namespaces: {} });
  assert.deepEqual(c.throttle, { enabled: true, maxAlertsPerSec: 10, throttleSec: 30 });
  assert.equal(c.sinks.stdout.enabled, false);
  assert.equal(c.sinks.file.enabled, false);
  assert.equal(c.sinks.file.path, '/var/lib/bulwark/alerts.log');
  assert.equal(c.sinks.syslog.enabled, false);
  assert.equal(c.sinks.store.enabled, true);
  assert.equal(c.api.grpc.listen, '127.0.0.1:32767');
  assert.equal(c.api.health.listen, '127.0.0.1:32766');
  assert.equal(c.api.http.listen, '127.0.0.1:9100');
  assert.equal(c.baseline.recheckOnGap, true);
});

test('the example deploy/config/bulwark.yaml validates and is read as written', () => {
  const r = loadConfig({ file: EXAMPLE, hostname: 'node-a' });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  assert.equal(r.file, EXAMPLE);
  assert.equal(r.config.posture.namespaces['wordpress-mysql'], 'block');
  assert.equal(r.config.sinks.file.enabled, true);
  assert.equal(r.config.sinks.file.path, '/var/log/bulwark/alerts.log');
  assert.deepEqual(r.config.baseline.exclude, ['/var/log/**', '*.swp']);
});

test('unknown setting: position of the key, field path and a did-you-mean fix', () => {
  const r = load('stateDir: /srv/b\nsinks:\n  file:\n    enabeld: true\n');
  assert.equal(r.ok, false);
  const d = only(r.diagnostics, 'BW4003');
  assert.deepEqual([d.file, d.line, d.col, d.field], ['/etc/bulwark/test.yaml', 4, 5, 'sinks.file.enabeld']);
  assert.equal(d.found, '"enabeld"');
  assert.match(d.fix ?? '', /did you mean "enabled"/);
  // The valid parts still apply; the misspelt one is dropped.
  assert.equal(r.config.stateDir, '/srv/b');
  assert.equal(r.config.sinks.file.enabled, false);
});

test('wrong type, bad choice, out of range, bad format: value positions and fixes', () => {
  const text = [
    'throttle:',
    '  maxAlertsPerSec: "20"', // line 2
    '  throttleSec: 0', // line 3
    'posture:',
    '  workload: blok', // line 5
    'api:',
    '  grpc:',
    '    listen: localhost', // line 8
    'stateDir: var/lib/x', // line 9
    'sinks:',
    '  stdout:',
    '    enabled: yes', // line 12
  ].join('\n');
  const r = load(text);
  const byField = Object.fromEntries(r.diagnostics.map((d) => [d.field, d]));
  const t = byField['throttle.maxAlertsPerSec'];
  assert.deepEqual([t.code, t.line, t.col], ['BW4004', 2, 20]);
  assert.equal(byField['throttle.maxAlertsPerSec'].fix, 'remove the quotes: 20');
  const range = byField['throttle.throttleSec'];
  assert.deepEqual([range.code, range.line, range.col, range.found], ['BW4006', 3, 16, '0']);
  assert.match(range.message, /1 to 86400/);
  const choice = byField['posture.workload'];
  assert.deepEqual([choice.code, choice.line, choice.col, choice.fix], ['BW4005', 5, 13, 'write block']);
  const listen = byField['api.grpc.listen'];
  assert.deepEqual([listen.code, listen.line, listen.col], ['BW4007', 8, 13]);
  assert.match(listen.fix ?? '', /HOST:PORT/);
  const dir = byField.stateDir;
  assert.deepEqual([dir.code, dir.line, dir.col], ['BW4007', 9, 11]);
  assert.match(dir.fix ?? '', /absolute path/);
  // `yes` is a string in YAML 1.2: a boolean is asked for.
  const yes = byField['sinks.stdout.enabled'];
  assert.deepEqual([yes.code, yes.line, yes.col], ['BW4004', 12, 14]);
  assert.equal(yes.fix, 'write true or false without quotes');
  // Diagnostics come back in file order and print like a compiler's.
  assert.deepEqual(
    r.diagnostics.map((d) => d.line),
    [...r.diagnostics.map((d) => d.line)].sort((a, b) => a - b),
  );
  assert.match(
    formatDiagnostic(dir),
    /^\/etc\/bulwark\/test\.yaml:9:11 error BW4007 .*\(stateDir\)\n {4}found: "var\/lib\/x"\n {4}fix: {3}write an absolute path/,
  );
});

test('YAML syntax errors and non-mapping documents are located', () => {
  const syn = load('sinks:\n  file: {enabled: true\nsensor: auto\n');
  const d = only(syn.diagnostics, 'BW4002');
  assert.ok(d.line >= 2, `line ${d.line}`);
  const dup = load('sensor: auto\nsensor: landlock\n');
  const dd = only(dup.diagnostics, 'BW4002');
  assert.equal(dd.line, 2);
  const list = load('- sensor: auto\n');
  assert.equal(only(list.diagnostics, 'BW4008').line, 1);
  const two = load('sensor: auto\n---\nsensor: none\n');
  assert.equal(only(two.diagnostics, 'BW4008').line, 2);
  assert.equal(load('# nothing but a comment\n').ok, true);
});

test('a key without a value is a warning and keeps the default', () => {
  const r = load('sinks:\nclusterName: prod\n');
  assert.equal(r.ok, true);
  const w = only(r.diagnostics, 'BW4101');
  assert.deepEqual([w.level, w.line, w.col, w.field], ['warning', 1, 1, 'sinks']);
  assert.equal(r.config.sinks.store.enabled, true);
  assert.equal(r.config.clusterName, 'prod');
});

test('a missing --config file is a diagnostic, not an exception', () => {
  const r = loadConfig({ flags: { config: '/nonexistent/bulwark.yaml' } });
  assert.equal(r.ok, false);
  const d = only(r.diagnostics, 'BW4001');
  assert.equal(d.file, '/nonexistent/bulwark.yaml');
  assert.match(d.fix ?? '', /deploy\/config\/bulwark.yaml/);
});

test('precedence: flag > file > default, for every named flag and --set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
  try {
    const file = join(dir, 'bulwark.yaml');
    writeFileSync(
      file,
      [
        'stateDir: /srv/file-state',
        'policyDir: /srv/file-policies',
        'sensor: fanotify',
        'clusterName: from-file',
        'posture: {workload: block, host: block, namespaces: {a: audit}}',
        'throttle: {maxAlertsPerSec: 50}',
      ].join('\n'),
    );
    const fileOnly = loadConfig({ flags: { config: file }, hostname: 'h' }).config;
    assert.equal(fileOnly.stateDir, '/srv/file-state');
    assert.equal(fileOnly.sensor, 'fanotify');
    assert.equal(fileOnly.throttle.maxAlertsPerSec, 50);
    assert.equal(fileOnly.throttle.throttleSec, 30, 'unset keys keep their default');
    assert.equal(fileOnly.sinks.file.path, '/srv/file-state/alerts.log');

    const r = loadConfig({
      flags: {
        config: file,
        stateDir: 'rel-state',
        policies: '/srv/flag-policies',
        sensor: 'landlock',
        replay: 'events.jsonl',
        clusterName: 'from-flag',
        nodeName: 'node-flag',
        posture: ['audit', 'b=block'],
        hostPosture: 'audit',
        set: ['throttle.maxAlertsPerSec=7', 'sinks.stdout.enabled=true', 'sinks.stdout.format=text'],
      },
    });
    assert.deepEqual(r.diagnostics, []);
    const c = r.config;
    assert.equal(c.stateDir, join(process.cwd(), 'rel-state'), 'relative flag paths start at the cwd');
    assert.equal(c.sinks.file.path, join(process.cwd(), 'rel-state', 'alerts.log'));
    assert.equal(c.policyDir, '/srv/flag-policies');
    assert.equal(c.sensor, 'landlock');
    assert.equal(c.replayFile, join(process.cwd(), 'events.jsonl'));
    assert.equal(c.clusterName, 'from-flag');
    assert.equal(c.nodeName, 'node-flag');
    assert.deepEqual(c.posture, { workload: 'audit', host: 'audit', namespaces: { a: 'audit', b: 'block' } });
    assert.equal(c.throttle.maxAlertsPerSec, 7);
    assert.deepEqual(c.sinks.stdout, { enabled: true, format: 'text' });
    assert.deepEqual(c, { ...defaultConfig(c.nodeName), ...c }, 'no stray keys');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad flags name the flag, the setting and the fix', () => {
  const r = loadConfig({
    defaultFile: null,
    flags: {
      sensor: 'ebpf',
      set: ['sinks.fil.enabled=true', 'nonsense', 'throttle.throttleSec=abc'],
      posture: ['=block'],
    },
  });
  assert.equal(r.ok, false);
  const byMsg = r.diagnostics.map((d) => `${d.code} ${d.field} ${d.message}`);
  assert.ok(
    byMsg.includes(
      'BW4005 sensor --sensor: not one of the allowed values (auto, bpf-lsm, landlock, fanotify, replay, none)',
    ),
    byMsg.join('\n'),
  );
  assert.ok(
    byMsg.some((m) =>
      m.startsWith('BW4003 sinks.fil --set sinks.fil.enabled: unknown setting "fil" in sinks'),
    ),
    byMsg.join('\n'),
  );
  assert.ok(
    byMsg.some((m) =>
      m.startsWith('BW4004 throttle.throttleSec --set throttle.throttleSec: expected a whole number'),
    ),
    byMsg.join('\n'),
  );
  assert.equal(r.diagnostics.filter((d) => d.code === 'BW4009').length, 2);
  for (const d of r.diagnostics) assert.equal(d.file, '<command line>');
  assert.equal(r.config.sensor, 'auto', 'an invalid flag leaves the value below it');
});

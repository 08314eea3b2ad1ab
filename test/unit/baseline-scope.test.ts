// Scope from policies and the agent's config file, exclusions, and drift alerts carrying the
// covering policy's name, severity and tags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBaseline, initBaseline, resolveScope } from '../../src/baseline/engine.js';
import { loadSettings } from '../../src/baseline/config.js';
import { driftAlerts } from '../../src/baseline/alerts.js';
import { excludeMatcher, globBase, policyScope } from '../../src/baseline/scope.js';
import { keygen } from '../../src/baseline/signing.js';

function policy(dir: string): string {
  return `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: protect-tree
spec:
  nodeSelector:
    matchLabels:
      kubearmor.io/hostname: "*"
  severity: 7
  tags: [PCI_DSS, FIM]
  message: critical file changed
  action: Block
  file:
    matchDirectories:
      - dir: ${dir}/etc/
        recursive: true
        readOnly: true
    matchPaths:
      - path: ${dir}/bin/tool
        readOnly: true
    matchPatterns:
      - pattern: ${dir}/lib/*.so
        readOnly: true
`;
}

test('the scope comes from the policies and the config file, minus exclusions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-scope-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['etc/sub', 'bin', 'lib', 'other', 'policies'])
    mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'etc/sub/a.conf'), 'a\n');
  writeFileSync(join(dir, 'etc/skip.swp'), 'x\n');
  writeFileSync(join(dir, 'bin/tool'), 'tool\n');
  writeFileSync(join(dir, 'lib/x.so'), 'so\n');
  writeFileSync(join(dir, 'other/not-in-scope'), 'no\n');
  writeFileSync(join(dir, 'policies/p.yaml'), policy(dir));
  keygen(join(dir, 'keys/k.key'));
  const cfg = join(dir, 'bulwark.yaml');
  writeFileSync(
    cfg,
    `stateDir: ${dir}/state\npolicyDir: ${dir}/policies\nbaseline:\n  exclude: ['*.swp']\n  key: ${dir}/keys/k.key\n  digests: [sha256, blake2b512]\n`,
  );
  const settings = loadSettings({ config: cfg });
  assert.deepEqual(settings.policies, [join(dir, 'policies')]);
  assert.deepEqual(settings.digests, ['sha256', 'blake2b512']);
  const { scope } = await resolveScope({ settings });
  assert.deepEqual(scope.roots, [
    join(dir, 'bin/tool'),
    join(dir, 'bulwark.yaml'),
    join(dir, 'etc'),
    join(dir, 'lib'),
    join(dir, 'policies'),
  ]);

  const init = await initBaseline({ settings, packages: false });
  // bin/tool, bulwark.yaml, etc, etc/sub, etc/sub/a.conf, lib, lib/x.so, policies, p.yaml (not skip.swp)
  assert.equal(init.stats.entries, 9);
  writeFileSync(join(dir, 'etc/sub/a.conf'), 'changed\n');
  writeFileSync(join(dir, 'other/not-in-scope'), 'changed\n');
  const r = await checkBaseline({ settings, packages: false });
  assert.deepEqual(
    r.changes.map((c) => c.path.toString()),
    [join(dir, 'etc/sub/a.conf')],
  );

  const [alert] = driftAlerts(r.changes, { ruleSet: (await policyScope(settings.policies)).ruleSet });
  assert.equal(alert.Type, 'BaselineDrift');
  assert.equal(alert.PolicyName, 'protect-tree');
  assert.equal(alert.Severity, '7');
  assert.deepEqual(alert.ATags, ['PCI_DSS', 'FIM']);
  assert.equal(alert.Message, 'critical file changed');
  assert.match(alert.Data ?? '', /^kind=changed attrs=.*sha256:[0-9a-f]{64}→[0-9a-f]{64}/);
});

test('globs: base-name patterns, path patterns, and the literal base of a pattern', () => {
  const ex = excludeMatcher(['*.swp', '/var/log/**', '/etc/mtab']);
  assert.equal(ex(Buffer.from('/etc/.x.swp')), true);
  assert.equal(ex(Buffer.from('/var/log/syslog')), true);
  assert.equal(ex(Buffer.from('/etc/mtab')), true);
  assert.equal(ex(Buffer.from('/etc/passwd')), false);
  assert.equal(globBase('/usr/lib/*/libc.so*'), '/usr/lib');
  assert.equal(globBase('/etc/passwd'), '/etc/passwd');
});

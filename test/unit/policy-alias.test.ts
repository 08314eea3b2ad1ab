// Rules written through a symlink (merged /usr: /sbin → /usr/sbin) also match the resolved
// path the kernel reports, when compiled with the host resolver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, decide } from '../../src/policy/index.js';
import { resolveHostPath } from '../../src/common/realpath.js';
import { policy, workload } from '../helpers/policy.js';

test('a directory rule through a symlink matches the resolved path, once, with its own id', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bw-alias-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'usr/sbin'), { recursive: true });
  symlinkSync('usr/sbin', join(root, 'sbin'));
  const p = policy({
    namespace: 'ns',
    rules: [
      { dir: `${root}/sbin/`, recursive: true, readOnly: true },
      { path: `${root}/sbin/tool`, action: 'Audit' },
      { pattern: `${root}/sbin/*.conf`, action: 'Audit' },
    ],
  });
  const subject = workload('ns');
  const req = { subject, op: 'create' as const, exe: '/usr/bin/touch', uid: 0 };
  const plain = compile([p]);
  assert.equal(
    decide(plain, { ...req, path: `${root}/usr/sbin/file` }).verdict,
    'allow',
    'no resolver: written paths only',
  );
  const rs = compile([p], { resolve: resolveHostPath });
  assert.deepEqual(rs.rules[0].aliases, [`${root}/usr/sbin/`]);
  const d = decide(rs, { ...req, path: `${root}/usr/sbin/file` });
  assert.equal(d.verdict, 'block');
  assert.equal(d.ruleId, 1);
  assert.equal(
    decide(rs, { ...req, path: `${root}/sbin/file` }).verdict,
    'block',
    'written spelling still matches',
  );
  assert.equal(
    decide(rs, { ...req, path: `${root}/usr/sbin/tool` }).verdict,
    'audit',
    'exact alias beats dir',
  );
  assert.equal(
    decide(rs, { ...req, path: `${root}/usr/sbin/a.conf` }).verdict,
    'block',
    'dir beats pattern alias',
  );
  assert.equal(decide(rs, { ...req, op: 'read', path: `${root}/usr/sbin/file` }).verdict, 'allow');
  assert.notEqual(plain.version, rs.version, 'aliases are part of the version');
});

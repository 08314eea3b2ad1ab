import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unwatchedMount } from '../../src/baseline/watch-scope.js';

/** mountinfo lines: id parent major:minor root point options - type source superoptions. */
function table(rows: [dev: string, root: string, point: string][]): string {
  return rows
    .map(([dev, root, point], i) => `${i + 20} 1 ${dev} ${root} ${point} rw - ext4 /dev/x rw`)
    .join('\n');
}

const BASE: [string, string, string][] = [
  ['254:0', '/', '/'],
  ['0:21', '/', '/proc'],
  ['254:0', '/run/netns', '/run/netns'],
];

test('a root on the watched tree with no mount in between is covered', () => {
  assert.equal(unwatchedMount(['/usr/lib'], ['/usr'], table(BASE)), null);
  // mounts elsewhere (/proc, a bind at /run/netns) do not matter
  assert.equal(unwatchedMount(['/etc'], ['/'], table(BASE)), null);
});

test('another file system inside the root or between tree and root is not watched', () => {
  assert.equal(unwatchedMount(['/usr/lib'], ['/'], table([...BASE, ['259:1', '/', '/usr']])), '/usr');
  assert.equal(
    unwatchedMount(['/usr'], ['/usr'], table([...BASE, ['0:50', '/', '/usr/lib/modules']])),
    '/usr/lib/modules',
  );
});

test('a bind mount of the same file system, at the tree or inside the root, is not watched', () => {
  // /srv is /data/srv of the root file system again: the helper names its files through the first
  // mark's mount (/data/srv/...), not under /srv
  assert.equal(unwatchedMount(['/srv'], ['/srv'], table([...BASE, ['254:0', '/data/srv', '/srv']])), '/srv');
  assert.equal(
    unwatchedMount(['/etc'], ['/etc'], table([...BASE, ['254:0', '/data/conf', '/etc/app']])),
    '/etc/app',
  );
  // the whole root file system mounted again inside the root
  assert.equal(unwatchedMount(['/usr'], ['/'], table([...BASE, ['254:0', '/', '/usr/again']])), '/usr/again');
});

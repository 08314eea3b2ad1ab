// RuntimeMetadata's scheduling with an injected command runner (fault injection: a runtime that
// fails, then answers). The real podman path is tested in test/kernel/enrich-podman.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RuntimeMetadata } from '../../../src/enrich/index.js';
import type { CgroupContainer } from '../../../src/enrich/index.js';

const inspect = readFileSync(new URL('../../fixtures/enrich/podman-inspect.json', import.meta.url), 'utf8');
const ID = (JSON.parse(inspect) as { Id: string }[])[0].Id;
const C: CgroupContainer = { runtime: 'podman', id: ID };

test('lookups never block, fail over to a retry after retryMs, then are cached', async () => {
  let now = 1_000_000;
  let calls = 0;
  let healthy = false;
  const md = new RuntimeMetadata({
    podman: '/fake/podman',
    docker: '',
    crictl: '',
    retryMs: 30_000,
    now: () => now,
    run: (file, args) => {
      calls++;
      assert.equal(file, '/fake/podman');
      assert.deepEqual(args, ['inspect', '--type', 'container', ID]);
      return healthy ? Promise.resolve(inspect) : Promise.reject(new Error('no such container'));
    },
  });
  assert.equal(md.get(C), undefined, 'first sight: nothing yet, lookup started');
  assert.equal(md.get(C), undefined, 'a second event does not start a second lookup');
  await md.settled(ID);
  assert.deepEqual(md.stats(), { lookups: 1, filled: 0, failed: 1, pending: 0 });
  healthy = true;
  now += 29_000;
  assert.equal(md.get(C), undefined, 'within retryMs of a failure: not asked again');
  await md.settled(ID);
  assert.equal(calls, 1);
  now += 2_000;
  assert.equal(md.get(C), undefined);
  await md.settled(ID);
  assert.equal(calls, 2);
  const w = md.get(C);
  assert.equal(w?.name, 'bwtest2');
  assert.deepEqual(w?.labels, { app: 'mysql', tier: 'db' });
  md.get(C);
  assert.equal(calls, 2, 'cached');
  assert.deepEqual(md.stats(), { lookups: 2, filled: 1, failed: 1, pending: 0 });
  md.forget(ID);
  assert.equal(md.get(C), undefined, 'forgotten: asked again');
  await md.settled(ID);
  assert.equal(calls, 3);
});

test('disabled metadata never runs anything', async () => {
  const md = new RuntimeMetadata({
    enabled: false,
    podman: '/fake/podman',
    run: () => Promise.reject(new Error('must not run')),
  });
  assert.equal(md.get(C), undefined);
  await md.settled(ID);
  assert.deepEqual(md.stats(), { lookups: 0, filled: 0, failed: 0, pending: 0 });
});

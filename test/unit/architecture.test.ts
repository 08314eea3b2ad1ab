// The layering rule of docs/architecture.md, checked with dependency-cruiser on the real tree,
// and shown to catch a violation on a fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function depcruise(dir: string) {
  const r = spawnSync(
    'npx',
    ['depcruise', '--config', '.dependency-cruiser.cjs', '--output-type', 'err', dir],
    { cwd: root, encoding: 'utf8' },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('src/ respects the stage layering and has no import cycles', () => {
  const r = depcruise('src');
  assert.equal(r.status, 0, r.out);
});

test('the layering check catches a downstream import', () => {
  const r = depcruise('test/fixtures/layering/src');
  assert.notEqual(r.status, 0, 'a policy → sinks import must be reported');
  assert.match(r.out, /layer-policy/);
});

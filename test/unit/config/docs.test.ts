// docs/config.md must document every setting of the schema (and nothing the schema lacks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configSchema } from '../../../src/config/index.js';

function leaves(schema: Record<string, unknown>, prefix = ''): string[] {
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (!props) return [prefix];
  return Object.entries(props).flatMap(([k, s]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return s.type === 'object' && s.properties ? leaves(s, p) : [p];
  });
}

test('docs/config.md has a table row for every setting', () => {
  const doc = readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8');
  const rows = new Set([...doc.matchAll(/^\| `([A-Za-z.]+)` \|/gm)].map((m) => m[1]));
  const settings = leaves(configSchema);
  assert.ok(settings.length > 40);
  assert.deepEqual(
    settings.filter((s) => !rows.has(s)),
    [],
    'settings missing from docs/config.md',
  );
  assert.deepEqual(
    [...rows].filter((r) => !settings.includes(r)),
    [],
    'documented settings the schema does not have',
  );
});

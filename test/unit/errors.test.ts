import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { allCodes, codes, codeAreas } from '../../src/common/errors.js';
import { renderErrorsDoc } from '../../src/common/errors-doc.js';

test('codes are unique and well formed', () => {
  const seen = new Set<string>();
  for (const e of allCodes()) {
    assert.match(e.code, /^BW\d{4}$/, `${e.code} is not BW + 4 digits`);
    assert.ok(!seen.has(e.code), `duplicate code ${e.code}`);
    seen.add(e.code);
    assert.ok(e.title.length > 0 && e.help.length > 0, `${e.code} lacks title or help`);
  }
  const areaCount = Object.values(codeAreas).reduce((n, a) => n + Object.keys(a).length, 0);
  assert.equal(Object.keys(codes).length, areaCount, 'a code name is declared in two areas');
});

test('docs/errors.md is generated from the catalogue and up to date', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(doc, renderErrorsDoc(), 'docs/errors.md is stale: run `npm run gen:errors`');
  for (const e of allCodes()) assert.ok(doc.includes(`### ${e.code}`), `${e.code} not documented`);
});

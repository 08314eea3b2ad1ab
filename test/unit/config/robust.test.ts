// loadConfig never throws for what a user can write: aliases are resolved (and bounded), odd
// scalars are reported by type, and random text always comes back as diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadConfig } from '../../../src/config/index.js';

const load = (text: string) => loadConfig({ file: '/t.yaml', text, hostname: 'h' });

test('YAML anchors and aliases are resolved like any value', () => {
  const r = load('base: &off {enabled: false}\n');
  assert.equal(r.ok, false, 'an unknown top-level key stays an error, anchored or not');
  const ok = load('sinks:\n  stdout: &on {enabled: true, format: text}\n  file: *on\n');
  assert.deepEqual(ok.diagnostics, []);
  assert.equal(ok.config.sinks.file.enabled, true);
  assert.equal(ok.config.sinks.file.format, 'text');
  assert.equal(ok.config.sinks.stdout.format, 'text');
});

test('unknown and self-referencing aliases are syntax errors, not crashes', () => {
  assert.deepEqual(
    load('sinks: *nope\n').diagnostics.map((d) => [d.code, d.line, d.col, d.message]),
    [['BW4002', 1, 8, 'unknown alias *nope']],
  );
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 8; i++)
    bomb.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(', ')}]`,
    );
  const r = load(`${bomb.join('\n')}\n`);
  assert.equal(r.ok, false);
  assert.ok(
    r.diagnostics.some((d) => d.code === 'BW4002'),
    'an alias bomb is refused',
  );
});

test('type errors name what was found and how to write it', () => {
  const bin = load('stateDir: !!binary aGVsbG8=\n').diagnostics[0];
  assert.deepEqual([bin.code, bin.message], ['BW4004', 'expected a string, found binary data']);
  const list = load('policies: /etc/x\n').diagnostics[0];
  assert.deepEqual([list.code, list.fix], ['BW4004', 'write a list, even of one item: [/etc/x]']);
  const ns = load('posture: {namespaces: {"": block}}\n').diagnostics[0];
  assert.equal(ns.code, 'BW4007');
});

test('random text never throws and always yields a complete configuration', () => {
  const keys = [
    'sinks',
    'file',
    'enabled',
    'posture',
    'namespaces',
    'throttle',
    'stateDir',
    '&a',
    '*a',
    '!!binary',
  ];
  const piece = fc.oneof(
    fc.constantFrom(
      ...keys,
      ':',
      ' ',
      '\n',
      '  ',
      '- ',
      '{',
      '}',
      '[',
      ']',
      ',',
      '"',
      "'",
      '#',
      '\t',
      '---\n',
      '<<',
    ),
    fc.string({ maxLength: 6 }),
    fc.integer().map(String),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
      const r = load(parts.join(''));
      assert.equal(typeof r.ok, 'boolean');
      assert.equal(r.config.sinks.store.enabled === true || r.config.sinks.store.enabled === false, true);
      for (const d of r.diagnostics) assert.match(d.code, /^BW4\d{3}$/);
    }),
    { numRuns: 500 },
  );
});

// The quick since-last path (src/cli/quick.ts) takes only the plain forms of the command; every
// other form goes to commander, which parses it and reports usage errors as it always did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quickFlags, quickLocation } from '../../src/cli/quick.js';

test('the plain forms of baseline check --since-last are taken, with their values', () => {
  assert.deepEqual(quickFlags(['baseline', 'check', '--since-last']), { json: false, packages: true });
  assert.deepEqual(
    quickFlags([
      'baseline',
      'check',
      '--json',
      '--state-dir',
      '/s',
      '--since-last',
      '--pubkey=/k.pub',
      '--no-packages',
    ]),
    { json: true, packages: false, stateDir: '/s', pubkey: '/k.pub' },
  );
  assert.deepEqual(quickFlags(['baseline', 'check', '--since-last', '--config', 'b.yaml']), {
    json: false,
    packages: true,
    config: 'b.yaml',
  });
});

test('anything else is left to the command parser', () => {
  const other = [
    ['baseline', 'check'], // not since-last
    ['baseline', 'check', '--json'],
    ['baseline', 'update', '--since-last'],
    ['baseline', 'check', '--since-last', '--alerts-json', '-'],
    ['baseline', 'check', '--since-last', '--workers', '1'],
    ['baseline', 'check', '--since-last', '--help'],
    ['baseline', 'check', '--since-last', 'extra'],
    ['baseline', 'check', '--since-last', '--json', '--json'], // duplicated
    ['baseline', 'check', '--since-last', '--state-dir'], // value missing
    ['baseline', 'check', '--since-last', '--state-dir', '--json'], // value looks like an option
    ['baseline', 'check', '--since-last', '--state-dir='],
    ['baseline', 'check', '--since-last=yes'],
  ];
  for (const argv of other) assert.equal(quickFlags(argv), null, argv.join(' '));
});

test('the store and key it asks the agent about are the ones the command would use', async (t) => {
  const { loadSettingsLazy } = await import('../../src/baseline/settings.js');
  const dir = mkdtempSync(join(tmpdir(), 'bw-quick-'));
  const env = { state: process.env.BULWARK_STATE_DIR, keys: process.env.BULWARK_KEY_DIR };
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const [k, v] of [
      ['BULWARK_STATE_DIR', env.state],
      ['BULWARK_KEY_DIR', env.keys],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
  // A configuration file that names its own state directory and key.
  const cfg = join(dir, 'bulwark.yaml');
  writeFileSync(cfg, 'stateDir: /cfg/state\nbaseline:\n  key: /cfg/keys/signing.key\n');
  const cases: { stateDir?: string; pubkey?: string; config?: string }[] = [
    {},
    { stateDir: 'rel/state' },
    { pubkey: 'k.pub' },
    { config: cfg },
    { config: cfg, stateDir: '/flag/state' },
    { config: cfg, pubkey: '/flag/k.pub' },
  ];
  for (const vars of [{}, { BULWARK_STATE_DIR: '/env/state', BULWARK_KEY_DIR: '/env/keys' }]) {
    delete process.env.BULWARK_STATE_DIR;
    delete process.env.BULWARK_KEY_DIR;
    Object.assign(process.env, vars);
    for (const flags of cases) {
      // What `baseline check` resolves (src/cli/baseline-common.ts settingsFrom: defaults on).
      const s = await loadSettingsLazy({ defaults: true, ...flags });
      const { stateDir, dbFile, keyFile, pubFile } = s;
      assert.deepEqual(
        await quickLocation(flags),
        { stateDir, dbFile, keyFile, pubFile },
        JSON.stringify([vars, flags]),
      );
    }
  }
  // Spot checks, so that both sides agreeing on something wrong shows too.
  delete process.env.BULWARK_STATE_DIR;
  assert.equal((await quickLocation({ config: cfg })).dbFile, '/cfg/state/baseline/baseline.db');
  assert.equal((await quickLocation({ config: cfg })).pubFile, '/cfg/keys/signing.pub');
  await assert.rejects(quickLocation({ config: join(dir, 'missing.yaml') }));
});

// `bulwark baseline verify`, `show` and `export`.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { displayPath, pathToKey, unescapePath } from '../baseline/path-key.js';
import { entryJson, nsIso, versionJson, versionLine } from '../baseline/report.js';
import { showAttribute } from '../baseline/compare.js';
import { ATTRIBUTES } from '../baseline/types.js';
import { BulwarkError } from '../common/errors.js';
import { addCommonOptions, printJson, settingsFrom, type CommonFlags } from './baseline-common.js';

export function registerBaselineVerify(baseline: Command): void {
  addCommonOptions(
    baseline
      .command('verify')
      .description(
        'Check every stored version: signature (Ed25519), content digest, SQLite structure, current pointer',
      )
      .option('--json', 'print the result as JSON'),
    { pubkey: true },
  )
    .addHelpText(
      'after',
      `
Works offline: copy the store (baseline.db, with its -wal file if present) and verify it with the
public key alone:  bulwark baseline verify --state-dir ./copy --pubkey baseline-signing.pub
Exit status: 0 verified, 1 verification failed, 2 usage error, 3 failure (store unreadable).`,
    )
    .action(async (flags: CommonFlags) => {
      const settings = await settingsFrom(flags);
      const { verifyBaseline } = await import('../baseline/engine.js');
      const r = verifyBaseline({ settings, ...(flags.pubkey ? { pubFile: resolve(flags.pubkey) } : {}) });
      if (flags.json) printJson(r);
      else {
        const lines = [
          `Store: ${settings.dbFile}`,
          `Public key: ${settings.pubFile} (key id ${r.keyId})`,
          `SQLite quick_check: ${r.quickCheck}`,
        ];
        for (const v of r.versions)
          lines.push(
            `  version ${v.id} [${v.state}]${v.id === r.current ? ' (current)' : ''}: ${v.ok ? 'ok' : `FAILED: ${v.problem}`}`,
          );
        lines.push(r.ok ? 'Baseline verified.' : 'Baseline FAILED verification: do not trust it.');
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      process.exitCode = r.ok ? 0 : 1;
    });
}

export function registerBaselineShow(baseline: Command): void {
  addCommonOptions(
    baseline
      .command('show')
      .description(
        'Show the recorded attributes of PATH and the changes accepted for it; without PATH, the version history',
      )
      .argument('[path]', 'path as recorded (escapes \\n, \\t, \\\\ and \\xHH allowed for odd names)')
      .option('--version <id>', 'a version other than the current one', (v) => Number(v))
      .option('--json', 'print the result as JSON'),
  ).action(async (path: string | undefined, flags: CommonFlags & { version?: number }) => {
    const settings = await settingsFrom(flags);
    const { BaselineStore } = await import('../baseline/store.js');
    const store = BaselineStore.open(settings.dbFile, { readonly: true });
    try {
      const versions = store.versions();
      if (path === undefined) {
        const history = versions.map((v) => ({ ...versionJson(v), accepted: store.accepted(v.id).length }));
        if (flags.json) printJson({ current: store.currentId(), versions: history });
        else
          process.stdout.write(
            versions
              .map(
                (v) =>
                  `${v.id === store.currentId() ? '*' : ' '} ${versionLine(v)}, ${store.accepted(v.id).length} changes accepted`,
              )
              .join('\n') + '\n',
          );
        return;
      }
      const id = flags.version ?? store.currentId();
      if (id === null) throw new BulwarkError('BASELINE_MISSING', `no baseline in ${settings.dbFile}`);
      const raw = unescapePath(path);
      const bytes = raw.length > 1 && raw[raw.length - 1] === 0x2f ? raw.subarray(0, raw.length - 1) : raw;
      const key = pathToKey(bytes[0] === 0x2f ? bytes : Buffer.from(resolve(bytes.toString())));
      const e = store.entry(id, key);
      if (!e) throw new BulwarkError('BASELINE_PATH_NOT_FOUND', `${path} is not in version ${id}`);
      const history = versions.flatMap((v) =>
        store
          .accepted(v.id)
          .filter((a) => a.key.equals(key))
          .map((a) => ({
            version: v.id,
            when: nsIso(v.createdNs),
            actor: v.actor,
            reason: v.reason,
            ...a,
            key: undefined,
          })),
      );
      if (flags.json) {
        printJson({ version: id, entry: entryJson(e), accepted: history });
        return;
      }
      const lines = [`${displayPath(bytes)} in version ${id}:`];
      for (const a of ATTRIBUTES) {
        const v = showAttribute(e, a);
        if (v !== '-' || a === 'error') lines.push(`  ${a.padEnd(10)} ${v}`);
      }
      if (e.pkg) lines.push(`  package    ${e.pkg}`);
      for (const h of history)
        lines.push(
          `  accepted in version ${h.version} (${h.when} by ${h.actor}${h.reason ? `, "${h.reason}"` : ''}): ${h.kind} ${h.attributes}${h.class ? ` [${h.class}]` : ''}`,
        );
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      store.close();
    }
  });
}

export function registerBaselineExport(baseline: Command): void {
  addCommonOptions(
    baseline
      .command('export')
      .description('Write the current version (header and every entry) as JSON to stdout, streamed')
      .option('--json', 'JSON output (the only format; accepted for clarity)')
      .option('--version <id>', 'a version other than the current one', (v) => Number(v)),
  ).action(async (flags: CommonFlags & { version?: number }) => {
    const settings = await settingsFrom(flags);
    const { BaselineStore } = await import('../baseline/store.js');
    const store = BaselineStore.open(settings.dbFile, { readonly: true });
    try {
      const id = flags.version ?? store.currentId();
      const v = id === null ? null : store.version(id);
      if (!v) throw new BulwarkError('BASELINE_MISSING', `no such version in ${settings.dbFile}`);
      const out = process.stdout;
      const write = (s: string): Promise<void> | void => {
        if (!out.write(s)) return new Promise((r) => out.once('drain', () => r()));
      };
      await write(
        `{"version":${JSON.stringify(versionJson(v))},"signature":${JSON.stringify(v.signature?.toString('base64') ?? null)},"entries":[`,
      );
      let first = true;
      for (const e of store.entries(v.id)) {
        await write(`${first ? '\n' : ',\n'}${JSON.stringify(entryJson(e))}`);
        first = false;
      }
      await write('\n]}\n');
    } finally {
      store.close();
    }
  });
}

// `bulwark logs`: reads the agent's alert store (`<state-dir>/alerts.db`) and prints alerts the way
// `karmor logs` does (text blocks, JSON lines, pretty JSON), with karmor's filter semantics.
// --follow polls the store for new rows (WAL lets it read while the agent writes) until SIGINT.
import { Command, Option } from 'commander';
import { type AlertFormat, ALERT_FORMATS, formatAlert } from '../alert/format.js';
import { compileFilter, parseSince, type AlertFilterSpec, type AlertPredicate } from '../alert/filter.js';
import type { Alert } from '../alert/types.js';
import { BulwarkError, isBulwarkError, codes } from '../common/errors.js';
import { AlertStore, DEFAULT_STATE_DIR, storePath } from '../sinks/store.js';
import { EXIT } from './exit-codes.js';
import { collect } from './option-parsers.js';

interface LogsOpts {
  follow?: boolean;
  json?: boolean;
  output: AlertFormat;
  namespace?: string;
  operation?: string;
  resource?: string;
  source?: string;
  container?: string;
  pod?: string;
  logType?: string;
  labels: string[];
  since?: string;
  limit: string;
  stateDir: string;
  type: 'alert' | 'log' | 'all';
  interval: string;
  grpc?: string;
  grpcTls?: string;
}

const USAGE_CODES = new Set<string>([
  codes.ALERT_BAD_FILTER.code,
  codes.ALERT_BAD_LABEL.code,
  codes.ALERT_BAD_SINCE.code,
  codes.CLI_USAGE.code,
]);

function count(flag: string, v: string): number {
  if (!/^\d+$/.test(v))
    throw new BulwarkError('CLI_USAGE', `${flag} expects a non-negative integer, got "${v}"`);
  return Number(v);
}

/** Buffered stdout writer: one write per chunk, waits on backpressure, ends quietly on EPIPE. */
class Out {
  private buf = '';
  closed = false;
  constructor() {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
    });
  }
  async put(s: string): Promise<void> {
    this.buf += s;
    if (this.buf.length >= 64 * 1024) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.buf || this.closed) return;
    const chunk = this.buf;
    this.buf = '';
    await new Promise<void>((resolve) => {
      if (process.stdout.write(chunk)) return resolve();
      // An EPIPE (reader gone) never drains: stop waiting on error too.
      const done = (): void => {
        process.stdout.off('drain', done);
        process.stdout.off('error', done);
        resolve();
      };
      process.stdout.once('drain', done);
      process.stdout.once('error', done);
    });
  }
}

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("Print the agent's alerts from its store as `karmor logs` does; --follow waits for new ones")
    .option('-f, --follow', 'keep printing new alerts until interrupted (Ctrl-C)')
    .option('--json', 'one JSON object per line (same as -o json)')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices([...ALERT_FORMATS]).default('text'),
    )
    .option('-n, --namespace <regex>', 'NamespaceName matches (case-insensitive)')
    .option('--operation <regex>', 'Operation matches, e.g. File|Process (case-insensitive)')
    .option('--resource <regex>', 'Resource matches, e.g. ^/etc/ (case-sensitive)')
    .option('--source <regex>', 'Source (command line) matches (case-sensitive)')
    .option('--container <regex>', 'ContainerName matches (case-insensitive)')
    .option('--pod <regex>', 'PodName matches (case-insensitive)')
    .option('--log-type <regex>', 'Type matches, e.g. MatchedPolicy|SystemEvent (case-insensitive)')
    .option(
      '-l, --labels <k=v>',
      'keep alerts having this label; repeat or comma-separate for any of several',
      collect,
      [],
    )
    .option(
      '--since <time>',
      'only alerts since a duration ago (30s, 15m, 2h, 7d), Unix seconds or an ISO time',
    )
    .option(
      '--limit <n>',
      'without --follow: the newest N alerts; with --follow: stop after N (0 = no limit)',
      '0',
    )
    .option(
      '--state-dir <dir>',
      "the agent's state directory (its store is <dir>/alerts.db)",
      DEFAULT_STATE_DIR,
    )
    .addOption(
      new Option('--type <type>', 'alerts (karmor --logFilter policy), logs (system) or both')
        .choices(['alert', 'log', 'all'])
        .default('alert'),
    )
    .option(
      '--grpc <host:port>',
      'read live from a KubeArmor LogService (Bulwark, KubeArmor or kubearmor-relay, port 32767) instead of the store',
    )
    .option(
      '--grpc-tls <dir>',
      'with --grpc: use TLS with ca.crt, and client.crt/client.key when present (karmor --tlsCertPath layout)',
    )
    .addOption(new Option('--interval <ms>', 'polling interval of --follow').default('250').hideHelp())
    .addHelpText(
      'after',
      '\nFilters are unanchored regular expressions, as in karmor logs: --namespace, --operation,\n' +
        '--container, --pod and --log-type ignore case; --resource and --source do not. --labels k=v\n' +
        "keeps alerts that have one of the given labels exactly. Times are the alerts' UpdatedTime.\n" +
        '\nExamples:\n' +
        '  bulwark logs --namespace wordpress-mysql --operation File\n' +
        '  bulwark logs --json --since 1h --limit 100 | jq .Resource\n' +
        '  bulwark logs -f --labels app=mysql --state-dir /tmp/agent1\n' +
        '\nExit codes: 0 printed (possibly nothing), 2 bad filter or option, 3 store missing or unreadable.',
    )
    .action(async (opts: LogsOpts) => {
      try {
        await runLogs(opts);
      } catch (e) {
        if (isBulwarkError(e) && USAGE_CODES.has(e.code)) {
          process.stderr.write(`bulwark: error ${e.code} ${e.message}\n  help: ${e.entry.help}\n`);
          process.exitCode = EXIT.USAGE;
          return;
        }
        throw e;
      }
    });
}

async function runLogs(opts: LogsOpts): Promise<void> {
  const format: AlertFormat = opts.json ? 'json' : opts.output;
  const limit = count('--limit', opts.limit);
  const interval = Math.max(10, count('--interval', opts.interval));
  const spec: AlertFilterSpec = {
    namespace: opts.namespace,
    operation: opts.operation,
    resource: opts.resource,
    source: opts.source,
    container: opts.container,
    pod: opts.pod,
    logType: opts.logType,
    labels: opts.labels,
    type: opts.type,
  };
  if (opts.grpc !== undefined) {
    if (opts.since !== undefined)
      throw new BulwarkError('CLI_USAGE', '--since cannot be used with --grpc: a live stream has no history');
    await (await import('./logs-grpc.js')).logsFromGrpc(opts.grpc, spec, format, limit, opts.grpcTls);
    process.exitCode = EXIT.OK;
    return;
  }
  const keep = compileFilter(spec);
  const sinceUs = opts.since !== undefined ? parseSince(opts.since) : undefined;
  const store = AlertStore.open(storePath(opts.stateDir), { readonly: true });
  const out = new Out();
  try {
    if (opts.follow) await follow(store, keep, format, sinceUs, limit, interval, out);
    else await history(store, keep, format, sinceUs, limit, out);
    await out.flush();
  } finally {
    store.close();
  }
  process.exitCode = EXIT.OK;
}

/** Stored alerts, oldest first; with a limit, the newest `limit` of them. */
async function history(
  store: AlertStore,
  keep: AlertPredicate,
  format: AlertFormat,
  sinceUs: number | undefined,
  limit: number,
  out: Out,
): Promise<void> {
  if (limit > 0) {
    const picked: Alert[] = [];
    for (const { alert } of store.iterate({ sinceUs, newestFirst: true })) {
      if (!keep(alert)) continue;
      picked.push(alert);
      if (picked.length >= limit) break;
    }
    for (const a of picked.reverse()) await out.put(formatAlert(a, format));
    return;
  }
  for (const { alert } of store.iterate({ sinceUs })) {
    if (out.closed) return;
    if (keep(alert)) await out.put(formatAlert(alert, format));
  }
}

/**
 * New alerts as they are committed; with --since, stored ones from then first. Stops on SIGINT or
 * SIGTERM (exit 0), when stdout closes, or after `limit` alerts.
 */
async function follow(
  store: AlertStore,
  keep: AlertPredicate,
  format: AlertFormat,
  sinceUs: number | undefined,
  limit: number,
  intervalMs: number,
  out: Out,
): Promise<void> {
  let printed = 0;
  let stop = false;
  let wake: (() => void) | undefined;
  const onSignal = (): void => {
    stop = true;
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // Everything up to startMax is history (printed only with --since); later rows are new.
    const startMax = store.lastId();
    if (sinceUs !== undefined) {
      for (const { id, alert } of store.iterate({ sinceUs })) {
        if (id > startMax) break;
        if (!keep(alert)) continue;
        await out.put(formatAlert(alert, format));
        if (limit > 0 && ++printed >= limit) return;
      }
    }
    let lastId = startMax;
    await out.flush();
    while (!stop && !out.closed) {
      const rows = store.after(lastId, 1000);
      for (const { id, alert } of rows) {
        lastId = id;
        if (!keep(alert)) continue;
        await out.put(formatAlert(alert, format));
        if (limit > 0 && ++printed >= limit) return;
      }
      await out.flush();
      if (rows.length === 1000) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs);
      });
      wake = undefined;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

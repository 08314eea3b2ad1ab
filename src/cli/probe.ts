// `bulwark probe`: what this host's kernel supports and which backends Bulwark will use for
// enforcement and events (like `karmor probe`). Reads only; changes nothing on the host.
import type { Command } from 'commander';
import { probeHost, type ProbeReport } from '../sensor/index.js';
import { EXIT } from './exit-codes.js';

const yes = (b: boolean): string => (b ? 'yes' : 'no');

export function renderProbe(r: ProbeReport): string {
  const a = r.audit;
  const f = r.fanotify;
  const lines = [
    `kernel: ${r.kernel}${r.root ? '' : ' (not root: results are limited)'}`,
    `active LSMs: ${r.lsm.join(', ') || 'unknown (securityfs not readable)'}`,
    `BPF-LSM program loads: ${yes(r.bpfLsm.loads)}${r.bpfLsm.loads ? '' : ` (${r.bpfLsm.detail})`}`,
    `Landlock: ${r.landlock.abi ? `ABI ${r.landlock.abi}` : 'not available'}${r.landlock.abi ? `, denial logging to audit: ${yes(r.landlock.denialLogging)}` : ''}`,
    a.available
      ? `kernel audit: ${a.enabled ? 'enabled' : 'disabled'}${a.daemonPid ? `, audit daemon pid ${a.daemonPid}` : ', no audit daemon'}, lost ${a.lost}, backlog limit ${a.backlogLimit}`
      : `kernel audit: not readable (errno ${a.errno})`,
    `fanotify: FID ${yes(f.fid)}, DFID+name ${yes(f.dfidName)}, pidfd ${yes(f.pidfd)}, filesystem marks ${yes(f.filesystemMark)}, rename/target FID ${yes(f.rename)}, permission events ${yes(f.permission)}`,
    `BTF: ${yes(r.btf)}; raw tracepoints: ${yes(r.rawTracepoint)}`,
    `cgroups: ${r.cgroup.layout}${r.cgroup.v2.length ? ` (cgroup2 at ${r.cgroup.v2.join(', ')})` : ''}`,
    '',
    'Bulwark will use:',
    `  enforcement of bulwark run workloads: ${r.backends.workloads}`,
    `  enforcement on the host and containers: ${r.backends.host === 'none' ? 'none (detected, reported as Audit (Block))' : r.backends.host}`,
    `  denial events: ${r.backends.denials}`,
    `  change events: ${r.backends.changes}`,
  ];
  for (const n of r.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description('Show what this kernel supports and which enforcement and event backends Bulwark will use')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nTries what it reports: loads a two-instruction BPF-LSM program, creates fanotify groups,\n' +
        'attaches a raw tracepoint, reads the audit status. Changes nothing on the host. Run as root\n' +
        'for complete results. Exit code 0 when the report was produced.',
    )
    .action((opts: { json?: boolean }) => {
      const r = probeHost();
      process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : renderProbe(r));
      process.exitCode = EXIT.OK;
    });
}

// `bulwark status`: is an agent running for this state directory, and is its rule set enforced?
import type { Command } from 'commander';
import type { AgentStatus } from '../app/agent.js';
import { agentAnswers, request, socketPath } from '../app/control.js';
import { DEFAULT_STATE_DIR } from '../config/defaults.js';
import { EXIT } from './exit-codes.js';

function render(s: AgentStatus): string {
  const p = s.pipeline;
  const drops = s.sinks?.totals.dropped ?? 0;
  const lines = [
    `agent: running (pid ${s.pid}, since ${s.startedAt})`,
    `state dir: ${s.stateDir}; policies: ${s.policyDir}`,
    `enforcement: ${s.sensor.enforcement}; events from: ${s.sensor.events.join(', ') || 'none'}`,
    `rule set: ${s.ruleSet.version}, ${s.ruleSet.policies} policies, ${s.ruleSet.rules} rules (applied ${s.ruleSet.appliedAt})`,
    `workloads: ${s.workloads.length}${s.workloads.some((w) => w.stale) ? ` (${s.workloads.filter((w) => w.stale).length} stale: restart them to apply the current rules)` : ''}`,
  ];
  for (const w of s.workloads)
    lines.push(`  ${w.name} ${w.id.slice(0, 12)} ns=${w.namespace} pid=${w.pid}${w.stale ? ' STALE' : ''}`);
  lines.push(
    `events: ${p.events} (denials ${p.denials}, changes ${p.changes}, gaps ${p.gaps}); alerts ${p.alerts}; throttled ${p.throttled}; attribution ${(p.attribution * 100).toFixed(1)}% complete`,
  );
  lines.push(`sink drops: ${drops}; sensor lost records: ${s.sensors.reduce((n, x) => n + x.lost, 0)}`);
  for (const [sink, d] of Object.entries(s.delivery ?? {}))
    lines.push(
      `  ${sink}: ${d.count} alerts; sensor → committed p50 ${d.p50Ms} ms, p99 ${d.p99Ms} ms, max ${d.maxMs} ms`,
    );
  for (const n of s.sensor.notes) lines.push(`note: ${n}`);
  if (s.lastPolicyError)
    lines.push(`last policy change was rejected (old rules in force):\n${s.lastPolicyError}`);
  return `${lines.join('\n')}\n`;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Show whether an agent is running and enforcing its rule set')
    .option('--state-dir <dir>', 'state directory of the agent', DEFAULT_STATE_DIR)
    .option('--json', 'print the status as JSON')
    .addHelpText('after', '\nExit codes: 0 an agent is running and its rule set is enforced; 1 otherwise.')
    .action(async (opts: { stateDir: string; json?: boolean }) => {
      const path = socketPath(opts.stateDir);
      if (!(await agentAnswers(path))) {
        if (opts.json)
          process.stdout.write(`${JSON.stringify({ running: false, stateDir: opts.stateDir })}\n`);
        else process.stdout.write(`agent: not running (no agent answers on ${path})\n`);
        process.exitCode = EXIT.FINDINGS;
        return;
      }
      const r = await request(path, { op: 'status' });
      const s = r.status as AgentStatus;
      if (opts.json) process.stdout.write(`${JSON.stringify({ running: true, ...s })}\n`);
      else process.stdout.write(render(s));
      process.exitCode = r.ok && s.enforced ? EXIT.OK : EXIT.FINDINGS;
    });
}

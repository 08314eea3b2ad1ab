// `bulwark agent`: the foreground daemon (systemd runs it: deploy/systemd/bulwark-agent.service).
import type { Command } from 'commander';
import { BulwarkError } from '../common/errors.js';
import { formatDiagnostic } from '../common/diagnostic.js';
import { addConfigOptions, flagsFromOptions } from '../config/options.js';
import type { AgentConfig } from '../config/types.js';
import { EXIT } from './exit-codes.js';

/** Loads the agent configuration from flags; prints diagnostics; null when invalid. */
export async function configFromFlags(opts: Record<string, unknown>): Promise<AgentConfig | null> {
  // The loader (YAML parser, schema validator) loads here, not when the CLI starts.
  const { loadConfig } = await import('../config/load.js');
  const r = loadConfig({ flags: flagsFromOptions(opts) });
  for (const d of r.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  return r.ok ? r.config : null;
}

/**
 * Detaches BPF-LSM enforcement pinned by an agent that is gone. Landlock domains end with their
 * processes, so on hosts without BPF-LSM there is nothing to release.
 */
async function release(cfg: AgentConfig): Promise<number> {
  const { probeBpfLsm } = await import('../sensor/bpf-lsm-probe.js');
  const { BpfLsmBackend } = await import('../sensor/bpf-lsm-backend.js');
  const probe = probeBpfLsm();
  if (!probe.loads) {
    process.stdout.write(`nothing to release: no BPF-LSM enforcer on this host (${probe.detail})\n`);
    return EXIT.OK;
  }
  new BpfLsmBackend({ host: { kind: 'host', hostname: cfg.nodeName } }).release();
  process.stdout.write('BPF-LSM enforcer released: its hooks are detached and its pins removed\n');
  return EXIT.OK;
}

export function registerAgent(program: Command): void {
  const cmd = program
    .command('agent')
    .description('Run the agent in the foreground: enforce policies, report alerts, serve the APIs')
    .option('--release', 'detach kernel enforcement that outlived an agent, then exit')
    .addHelpText(
      'after',
      `
The agent reads KubeArmor policies from the policy directory (default /etc/bulwark/policies),
watches it (a valid change replaces the rule set atomically; an invalid one is rejected and the
old rules stay in force), enforces file rules in the kernel, and writes alerts to the store under
the state directory (default /var/lib/bulwark), read with 'bulwark logs'. Stop it with SIGINT or
SIGTERM. Several agents can run side by side with distinct --state-dir values (and API ports).

Examples:
  bulwark agent
  bulwark agent --policies ./policies --state-dir /tmp/bw --set api.grpc.enabled=false
  bulwark agent --config /etc/bulwark/bulwark.yaml --set sinks.stdout.enabled=true

Exit codes: 0 stopped by a signal, 1 invalid configuration or policies, 3 runtime failure.
Configuration: docs/config.md; every setting can be given with --set key=value.`,
    );
  addConfigOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const cfg = await configFromFlags(opts);
    if (!cfg) {
      process.exitCode = EXIT.FINDINGS;
      return;
    }
    if (opts.release) {
      process.exitCode = await release(cfg);
      return;
    }
    if (
      typeof process.getuid === 'function' &&
      process.getuid() !== 0 &&
      cfg.sensor !== 'replay' &&
      cfg.sensor !== 'none'
    )
      throw new BulwarkError(
        'AGENT_NEEDS_ROOT',
        `the ${cfg.sensor} sensor reads kernel audit and fanotify, which needs root`,
      );
    // Loaded here, not at start-up: other commands need none of the agent's modules (APIs, sinks).
    const { pino } = await import('pino');
    const { Agent } = await import('../app/agent.js');
    const log = pino({ level: cfg.log.level, base: { pid: process.pid } }, pino.destination(2));
    const agent = new Agent(cfg, log);
    try {
      await agent.start();
    } catch (e) {
      await agent.stop().catch(() => undefined);
      if (e instanceof BulwarkError && (e.code === 'BW8002' || e.code === 'BW8001')) {
        process.stderr.write(`bulwark: error ${e.code} ${e.message}\n  help: ${e.entry.help}\n`);
        process.exitCode = EXIT.FINDINGS;
        return;
      }
      throw e;
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await agent.stop();
  });
}

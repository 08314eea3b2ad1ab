// The configuration flags as commander options, so `bulwark agent` (and any command that reads the
// agent configuration) declares them identically: addConfigOptions(cmd) then
// loadConfig({ flags: flagsFromOptions(cmd.opts()) }).
import { Option } from 'commander';
import type { Command } from 'commander';
import { SENSOR_CHOICES } from './types.js';
import type { ConfigFlags } from './types.js';

export interface ConfigOption {
  flags: string;
  description: string;
  /** Key of ConfigFlags it fills. */
  key: keyof ConfigFlags;
  repeatable?: boolean;
  choices?: readonly string[];
}

export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  {
    flags: '--config <file>',
    key: 'config',
    description: 'agent configuration file (default /etc/bulwark/bulwark.yaml when it exists)',
  },
  {
    flags: '--policies <dir>',
    key: 'policies',
    description: 'policy directory, watched for changes (policyDir; default /etc/bulwark/policies)',
  },
  {
    flags: '--state-dir <dir>',
    key: 'stateDir',
    description: 'state directory: alert store, status (stateDir; default /var/lib/bulwark)',
  },
  {
    flags: '--sensor <name>',
    key: 'sensor',
    description: 'kernel mechanism (sensor; default auto)',
    choices: SENSOR_CHOICES,
  },
  {
    flags: '--replay <file>',
    key: 'replay',
    description: 'events file read by the replay sensor (replayFile; use with --sensor replay)',
  },
  {
    flags: '--cluster-name <name>',
    key: 'clusterName',
    description: 'ClusterName of alerts (clusterName; default "default")',
  },
  {
    flags: '--node-name <name>',
    key: 'nodeName',
    description: 'HostName of alerts (nodeName; default the hostname)',
  },
  {
    flags: '--posture <posture>',
    key: 'posture',
    repeatable: true,
    description:
      'default workload posture audit|block, or NAMESPACE=audit|block for one namespace (repeatable)',
  },
  {
    flags: '--host-posture <posture>',
    key: 'hostPosture',
    description: 'default host posture audit|block (posture.host; default audit)',
  },
  {
    flags: '--set <key=value>',
    key: 'set',
    repeatable: true,
    description: 'set any configuration setting, e.g. --set sinks.file.enabled=true (repeatable)',
  },
];

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Declares every configuration flag on a command. Validation happens in loadConfig. */
export function addConfigOptions(cmd: Command): Command {
  for (const o of CONFIG_OPTIONS) {
    const opt = new Option(o.flags, o.description);
    if (o.repeatable) opt.argParser(collect);
    cmd.addOption(opt);
  }
  return cmd;
}

/** Picks the configuration flags out of commander's parsed options. */
export function flagsFromOptions(opts: Record<string, unknown>): ConfigFlags {
  const out: ConfigFlags = {};
  for (const o of CONFIG_OPTIONS) {
    const v = opts[o.key];
    if (v === undefined) continue;
    if (o.repeatable) (out as Record<string, unknown>)[o.key] = Array.isArray(v) ? v : [v];
    else if (typeof v === 'string') (out as Record<string, unknown>)[o.key] = v;
  }
  return out;
}

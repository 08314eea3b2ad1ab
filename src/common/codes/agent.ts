// BW8xxx: the agent's lifecycle, its control socket, and `bulwark run` / `bulwark status`.
import { defineCodes } from './types.js';

export const agentCodes = defineCodes({
  AGENT_ALREADY_RUNNING: {
    code: 'BW8001',
    level: 'error',
    title: 'Another agent uses this state directory',
    help: 'Stop the other agent, or give this one its own --state-dir (several agents need distinct state directories).',
  },
  AGENT_POLICY_INVALID: {
    code: 'BW8002',
    level: 'error',
    title: 'Policies are invalid at start-up',
    help: 'Fix the files named in the message (bulwark policy check DIR shows every error); the agent does not start without a valid rule set.',
  },
  AGENT_SENSOR_UNAVAILABLE: {
    code: 'BW8003',
    level: 'error',
    title: 'The requested sensor cannot run on this host',
    help: 'Run `bulwark probe` to see what this kernel offers, and choose another --sensor.',
  },
  AGENT_NOT_RUNNING: {
    code: 'BW8004',
    level: 'error',
    title: 'No agent is running for this state directory',
    help: 'Start one with `bulwark agent --state-dir DIR` (or as the systemd unit), or pass the --state-dir of the running agent.',
  },
  AGENT_REQUEST_FAILED: {
    code: 'BW8005',
    level: 'error',
    title: 'The agent refused a request',
    help: 'The message says why; the agent log has details.',
  },
  RUN_NO_COMMAND: {
    code: 'BW8006',
    level: 'error',
    title: 'No command to run',
    help: 'Give the command after --, e.g. bulwark run --label app=mysql -- sh -c "touch /sbin/file".',
  },
  AGENT_NEEDS_ROOT: {
    code: 'BW8007',
    level: 'error',
    title: 'The agent needs root',
    help: 'Run the agent as root (or with CAP_SYS_ADMIN, CAP_AUDIT_READ, CAP_AUDIT_CONTROL and CAP_DAC_READ_SEARCH); it reads kernel audit and fanotify.',
  },
});

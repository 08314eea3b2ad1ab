// BW7xxx: the gRPC (KubeArmor LogService/PolicyService) and HTTP (metrics, health) endpoints.
// BW70xx refuse to start the endpoints; BW71xx reject one request; BW72xx concern the client.
import { defineCodes } from './types.js';

export const apiCodes = defineCodes({
  API_BAD_ADDRESS: {
    code: 'BW7001',
    level: 'error',
    title: 'Invalid listen address',
    help: 'Write HOST:PORT (e.g. 127.0.0.1:32767, [::1]:32767) or unix:/absolute/path.sock; the port is 0-65535.',
  },
  API_INSECURE_BIND: {
    code: 'BW7002',
    level: 'error',
    title: 'Non-loopback address without TLS',
    help: 'Endpoints listen on loopback or a unix socket unless TLS is configured: set the tls cert and key (see docs/security.md), or listen on 127.0.0.1 or a unix socket.',
  },
  API_POLICY_NEEDS_MTLS: {
    code: 'BW7003',
    level: 'error',
    title: 'Policy changes over the network need client certificates',
    help: 'PolicyService on a non-loopback address requires mTLS: set tls.clientCa so only clients with a certificate from that CA can connect, or disable the policy service (policyService: false).',
  },
  API_TLS_FILE: {
    code: 'BW7004',
    level: 'error',
    title: 'TLS certificate or key cannot be used',
    help: 'Check that the PEM files named in the message exist, are readable by the agent and hold a certificate (cert, clientCa) or a private key (key).',
  },
  API_BIND_FAILED: {
    code: 'BW7005',
    level: 'error',
    title: 'Cannot listen on the address',
    help: 'Another process (often another agent or KubeArmor) uses the port or socket: stop it, or choose another address.',
  },
  API_POLICY_ENVELOPE: {
    code: 'BW7101',
    level: 'error',
    title: 'Invalid policy envelope',
    help: 'PolicyService takes JSON {"type":"ADDED|MODIFIED|DELETED","object":{"metadata":{"name":...},"spec":{...}}}, as `karmor vm policy add` sends.',
  },
  API_POLICY_NAME: {
    code: 'BW7102',
    level: 'error',
    title: 'Policy name or namespace not usable as a file name',
    help: 'Use a Kubernetes object name: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters.',
  },
  API_POLICY_FORBIDDEN: {
    code: 'BW7103',
    level: 'error',
    title: 'Policy change refused for this client',
    help: "Over loopback TCP only root (or the agent's own user) may change policies; use the unix socket, run the client as root, or configure mTLS.",
  },
  API_POLICY_CONFLICT: {
    code: 'BW7104',
    level: 'error',
    title: 'Policy defined by a file in the policy directory',
    help: 'A policy with the same kind, namespace and name is defined by a file that was not written through PolicyService; edit that file instead, or rename one of them.',
  },
  API_POLICY_WRITE: {
    code: 'BW7105',
    level: 'error',
    title: 'Cannot write the policy directory',
    help: 'Check that the policy directory exists and is writable by the agent; nothing was changed.',
  },
  API_GRPC_CLIENT: {
    code: 'BW7201',
    level: 'error',
    title: 'Cannot read from the gRPC server',
    help: 'Check the address (HOST:PORT of a KubeArmor LogService: Bulwark, KubeArmor or kubearmor-relay, port 32767 by default) and that the server is running.',
  },
});

// Host identity for every alert: HostName (config nodeName, default the hostname), ClusterName
// (config), and NodeID: the SHA-256 of /etc/machine-id in hex (stable across reboots, does not
// reveal the machine id itself); '' when the file is missing.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface HostInfo {
  hostName: string;
  clusterName: string;
  nodeId: string;
}

export interface HostOptions {
  nodeName?: string;
  clusterName?: string;
  machineIdFile?: string;
}

export function nodeIdFrom(machineId: string): string {
  const id = machineId.trim();
  return id ? createHash('sha256').update(id).digest('hex') : '';
}

export function hostInfo(opts: HostOptions = {}): HostInfo {
  let machineId: string;
  try {
    machineId = readFileSync(opts.machineIdFile ?? '/etc/machine-id', 'utf8');
  } catch {
    machineId = '';
  }
  return {
    hostName: opts.nodeName || hostname(),
    clusterName: opts.clusterName || 'default',
    nodeId: nodeIdFrom(machineId),
  };
}

// JSON Schemas of the three KubeArmor policy kinds, with the constraints the KubeArmor CRDs
// (security.kubearmor.com/v1) enforce at admission: the path/dir regexes, 200-character paths,
// the action enum, severity 1..10, required path/dir/pattern, required nodeSelector on host
// policies, the selector shapes and every field's type. Sections Bulwark does not enforce are
// described too, so that an invalid one is reported as Kubernetes would report it.
//
// Objects declare `properties` without `additionalProperties`: unknown fields are not errors (the
// API server prunes them); validate.ts reports them as warnings by walking these schemas.
// `additionalProperties: true` marks an object whose contents are not checked (no warnings).
import type { PolicyKind } from './types.js';
import { SYSCALL_NAMES } from './schema-syscalls.js';

export type Schema = {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  required?: string[];
  items?: Schema;
  enum?: string[];
  pattern?: string;
  maxLength?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
};

/** `path` (and `fromSource[].path`): absolute, not ending in '/'. */
export const PATH_PATTERN = '^\\/+.*[^\\/]$';
/** `dir`: '/' or starts and ends with '/'. */
export const DIR_PATTERN = '^\\/$|^\\/.*\\/$';
/** syscalls `path`: a path or a directory. */
export const SYSCALL_PATH_PATTERN = '(^\\/+.*[^\\/]$)|(^\\/$|^\\/.*\\/$)';
/** process `execname`: a bare file name. */
export const EXECNAME_PATTERN = '^[^\\/]+$';
export const PATH_MAX_LENGTH = 200;
export const ACTIONS = ['Allow', 'Audit', 'Block'];

// Like the CRD's, these two patterns are anchored only at the end.
const PROTOCOLS = [
  'tcp',
  'udp',
  'raw',
  'icmp',
  'icmpv6',
  'sctp',
  'stream',
  'dgram',
  'rdm',
  'seqpacket',
  'dccp',
  'packet',
  'all',
];
export const PROTOCOL_PATTERN = `(${PROTOCOLS.flatMap((p) => [p, p.toUpperCase()]).join('|')})$`;
const CAPABILITIES =
  'chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap linux_immutable ' +
  'net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner sys_module sys_rawio ' +
  'sys_chroot sys_ptrace sys_pacct sys_admin sys_boot sys_nice sys_resource sys_time ' +
  'sys_tty_config mknod lease audit_write audit_control setfcap mac_override mac_admin';
export const CAPABILITY_PATTERN = `(${CAPABILITIES.split(' ').join('|')})$`;

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const strList: Schema = { type: 'array', items: str };
const severity: Schema = { type: 'integer', minimum: 1, maximum: 10 };
const action: Schema = { type: 'string', enum: ACTIONS };
const labels: Schema = { type: 'object', additionalProperties: str };

function obj(properties: Record<string, Schema>, required?: string[]): Schema {
  return required ? { type: 'object', properties, required } : { type: 'object', properties };
}
function list(items: Schema, maxItems?: number): Schema {
  return maxItems === undefined ? { type: 'array', items } : { type: 'array', items, maxItems };
}

const filePath: Schema = { type: 'string', pattern: PATH_PATTERN, maxLength: PATH_MAX_LENGTH };
const dirPath: Schema = { type: 'string', pattern: DIR_PATTERN };
const fromSource = list(obj({ path: filePath }));
/** severity, tags, message, action: allowed at rule, section and spec level. */
const meta = { severity, tags: strList, message: str, action };

const fileSection = obj({
  matchPaths: list(
    obj({ path: filePath, readOnly: bool, ownerOnly: bool, pts: bool, fromSource, ...meta }, ['path']),
  ),
  matchDirectories: list(
    obj({ dir: dirPath, recursive: bool, readOnly: bool, ownerOnly: bool, pts: bool, fromSource, ...meta }, [
      'dir',
    ]),
  ),
  matchPatterns: list(obj({ pattern: str, readOnly: bool, ownerOnly: bool, ...meta }, ['pattern'])),
  ...meta,
});

const processSection = obj({
  matchPaths: list(
    obj({
      path: filePath,
      execname: { type: 'string', pattern: EXECNAME_PATTERN },
      ownerOnly: bool,
      fromSource,
      allowedArgs: list(str, 20),
      ...meta,
    }),
  ),
  matchDirectories: list(
    obj({ dir: dirPath, recursive: bool, ownerOnly: bool, fromSource, ...meta }, ['dir']),
  ),
  matchPatterns: list(obj({ pattern: str, ownerOnly: bool, ...meta }, ['pattern'])),
  ...meta,
});

/** Host flavours of network and capabilities require fromSource on every entry. */
function networkSection(host: boolean): Schema {
  const protocol = { type: 'string', pattern: PROTOCOL_PATTERN } as Schema;
  const entry = obj({ protocol, fromSource, ...meta }, host ? ['protocol', 'fromSource'] : ['protocol']);
  return obj({ matchProtocols: list(entry), ...meta });
}
function capabilitiesSection(host: boolean): Schema {
  const capability = { type: 'string', pattern: CAPABILITY_PATTERN } as Schema;
  const entry = obj(
    { capability, fromSource, ...meta },
    host ? ['capability', 'fromSource'] : ['capability'],
  );
  return obj({ matchCapabilities: list(entry), ...meta });
}

const syscallList = list({ type: 'string', enum: SYSCALL_NAMES });
const syscallSource = list(obj({ path: filePath, dir: str, recursive: bool }));
const syscallsSection = obj({
  matchSyscalls: list(obj({ syscall: syscallList, fromSource: syscallSource })),
  matchPaths: list(
    obj({
      path: { type: 'string', pattern: SYSCALL_PATH_PATTERN, maxLength: PATH_MAX_LENGTH },
      recursive: bool,
      syscall: syscallList,
      fromSource: syscallSource,
    }),
  ),
  severity,
  tags: strList,
  message: str,
});

const presets = list(obj({ name: str, action }));
/** USB device rules of host policies: checked for shape only, never enforced. */
const deviceSection: Schema = { type: 'object', additionalProperties: true };

function expression(keys: string[]): Schema {
  return obj({
    key: { type: 'string', enum: keys },
    operator: { type: 'string', enum: ['In', 'NotIn'] },
    values: strList,
  });
}

/** Sections accepted but not enforced, in the order Bulwark reports them. */
export const UNENFORCED_SECTIONS = [
  'process',
  'network',
  'capabilities',
  'syscalls',
  'apparmor',
  'presets',
  'device',
] as const;

function specSchema(kind: PolicyKind): Schema {
  const common = {
    process: processSection,
    file: fileSection,
    syscalls: syscallsSection,
    apparmor: str,
    ...meta,
  };
  switch (kind) {
    case 'KubeArmorPolicy':
      return obj({
        selector: obj({ matchLabels: labels, matchExpressions: list(expression(['label'])) }),
        ...common,
        network: networkSection(false),
        capabilities: capabilitiesSection(false),
        presets,
      });
    case 'KubeArmorClusterPolicy':
      return obj({
        selector: obj({ matchExpressions: list(expression(['namespace', 'label'])) }),
        ...common,
        network: networkSection(false),
        capabilities: capabilitiesSection(false),
        presets,
      });
    case 'KubeArmorHostPolicy':
      return obj(
        {
          nodeSelector: obj({ matchLabels: labels }),
          ...common,
          network: networkSection(true),
          capabilities: capabilitiesSection(true),
          device: deviceSection,
        },
        ['nodeSelector'],
      );
  }
}

/** Schema of a whole document of the given kind; metadata is checked in validate.ts. */
export function documentSchema(kind: PolicyKind): Schema {
  return obj({
    apiVersion: str,
    kind: str,
    metadata: { type: 'object', additionalProperties: true },
    spec: specSchema(kind),
    status: obj({ status: str }),
  });
}

// The policy stage's data model: what the reader produces (normalised policies with positions),
// what the compiler produces (a RuleSet) and what decide() takes and returns. Every enforcement
// backend and the engine depend on these types; change them with care.
import type { Diagnostic } from '../common/diagnostic.js';

export type Action = 'Allow' | 'Audit' | 'Block';

export type PolicyKind = 'KubeArmorPolicy' | 'KubeArmorHostPolicy' | 'KubeArmorClusterPolicy';

export const POLICY_KINDS: readonly PolicyKind[] = [
  'KubeArmorPolicy',
  'KubeArmorHostPolicy',
  'KubeArmorClusterPolicy',
];

export const API_VERSION = 'security.kubearmor.com/v1';

/** Where something was written: file and 1-based line/column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** `matchExpressions` entry as written (KSP/CSP). */
export interface MatchExpression {
  key: string;
  operator: 'In' | 'NotIn';
  values: string[];
}

/** Which workloads or hosts a policy applies to, by kind. */
export type Selector =
  | {
      /** KubeArmorPolicy: pods of one namespace with all matchLabels and the label expressions. */
      kind: 'workload';
      namespace: string;
      matchLabels: Record<string, string>;
      matchExpressions: MatchExpression[];
    }
  | {
      /** KubeArmorClusterPolicy: namespace In/NotIn expressions and label expressions. */
      kind: 'cluster';
      matchLabels: Record<string, string>;
      matchExpressions: MatchExpression[];
    }
  | {
      /** KubeArmorHostPolicy: hosts by nodeSelector.matchLabels. */
      kind: 'host';
      matchLabels: Record<string, string>;
    };

export type RuleKind = 'path' | 'dir' | 'pattern';

/** One file rule after inheritance (rule → `file:` section → spec). */
export interface FileRule {
  kind: RuleKind;
  /** Normalised target: a path, a directory ending in '/', or a glob pattern. */
  target: string;
  /** The target exactly as written. */
  written: string;
  recursive: boolean;
  readOnly: boolean;
  ownerOnly: boolean;
  /** Tri-state: undefined = no condition; false = applies only to callers with a terminal. */
  pts?: boolean;
  /** Executables (real paths) the rule is limited to; empty = any process. */
  fromSource: string[];
  action: Action;
  /** 0 = unset (KubeArmor omits it from alerts). */
  severity: number;
  tags: string[];
  message: string;
  /** Field path of the rule, e.g. `spec.file.matchDirectories[2]`. */
  field: string;
  /** Index within its list (matchPaths / matchDirectories / matchPatterns). */
  index: number;
  pos: SourcePos;
}

/** A validated, normalised policy. */
export interface Policy {
  kind: PolicyKind;
  name: string;
  /** Namespace for KubeArmorPolicy; undefined for cluster-scoped kinds. */
  namespace?: string;
  selector: Selector;
  /** spec.action after normalisation (empty ⇒ Block). */
  action: Action;
  rules: FileRule[];
  /** Sections present but not enforced by Bulwark (process, network, …), in spec order. */
  unenforced: string[];
  /** Position of the document start (its `apiVersion`/`kind`). */
  pos: SourcePos;
  /** 0-based index of the document within its file. */
  document: number;
}

/** Result of loading one or more policy files: never throws for user mistakes. */
export interface LoadResult {
  ok: boolean;
  policies: Policy[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** Per input file: how many KubeArmor documents were accepted, and whether the file was rejected. */
  files: FileSummary[];
}

export interface FileSummary {
  file: string;
  ok: boolean;
  policies: number;
  skipped: number;
  errors: number;
  warnings: number;
}

// ---------------------------------------------------------------------------------------------
// Compiled rule set

/** Default posture for operations not covered by any Allow rule in whitelist mode. */
export type Posture = 'audit' | 'block';

export interface PostureConfig {
  /** Global default for workloads (KubeArmor's defaultFilePosture; default audit). */
  workload: Posture;
  /** Default for the host (KubeArmor's hostDefaultFilePosture; default audit). */
  host: Posture;
  /** Per-namespace overrides (KubeArmor's kubearmor-file-posture annotation). */
  namespaces: Record<string, Posture>;
}

export interface CompileOptions {
  posture?: Partial<PostureConfig>;
  /**
   * Maps a rule target to the path the kernel reports for it on this host, or null when it is the
   * same. On merged-/usr systems `/sbin/` resolves to `/usr/sbin/`: the kernel (audit, fanotify,
   * BPF) reports `/usr/sbin/file` for `cd /sbin && touch file`. Without a resolver, rules match the
   * written paths only (pure, host-independent compilation).
   */
  resolve?: (target: string) => string | null;
}

/** A compiled rule: a FileRule with a stable id and a back-reference to its policy. */
export interface CompiledRule extends FileRule {
  /** Stable numeric id (1-based), deterministic for the same set of policies. */
  id: number;
  /** Index into RuleSet.policies. */
  policy: number;
  /** Other spellings of the target on this host (symlinks resolved), matched like the target. */
  aliases: string[];
}

export interface RuleSet {
  /** Content hash of the compiled rules (hex, 16 chars): equal inputs give equal versions. */
  version: string;
  policies: Policy[];
  /** Rules by id: rules[i].id === i + 1. */
  rules: CompiledRule[];
  posture: PostureConfig;
  /** Lookup structures; opaque to callers. */
  readonly index: RuleIndex;
}

/** Opaque index built by the compiler for decide(); see policy/index.ts. */
export interface RuleIndex {
  readonly kind: 'rule-index';
}

// ---------------------------------------------------------------------------------------------
// Decisions

/** File operations of docs/policy.md. */
export type Operation =
  | 'read'
  | 'write'
  | 'create'
  | 'unlink'
  | 'rmdir'
  | 'mkdir'
  | 'rename'
  | 'link'
  | 'symlink'
  | 'chmod'
  | 'chown'
  | 'truncate'
  | 'setxattr'
  | 'removexattr'
  | 'utimes';

export const OPERATIONS: readonly Operation[] = [
  'read',
  'write',
  'create',
  'unlink',
  'rmdir',
  'mkdir',
  'rename',
  'link',
  'symlink',
  'chmod',
  'chown',
  'truncate',
  'setxattr',
  'removexattr',
  'utimes',
];

/** Who acts: a workload (container, `bulwark run`) or the host itself. */
export type Subject =
  | { kind: 'workload'; namespace: string; labels: Record<string, string> }
  | { kind: 'host'; hostname: string; labels?: Record<string, string> };

export interface DecideRequest {
  subject: Subject;
  op: Operation;
  /** Absolute path operated on (for rename/link: the source). */
  path: string;
  /** Destination for rename and link; each end is checked. */
  secondPath?: string;
  /** Real path of the acting executable. */
  exe: string;
  /** Caller's uid. */
  uid: number;
  /** Owner uid of the file; for creations, of the parent directory. Needed for ownerOnly. */
  fileOwnerUid?: number;
  /** Owner of secondPath (its parent directory when it does not exist). */
  secondOwnerUid?: number;
  /** Controlling terminal of the caller (e.g. `pts/0`), or null/undefined when none. */
  tty?: string | null;
}

export type Verdict = 'allow' | 'audit' | 'block' | 'posture-audit' | 'posture-block';

/** Why the verdict was reached (for explain and alerts). */
export type DecisionReason =
  /** A Block or Audit rule matched and the operation violates it. */
  | 'violates-rule'
  /** An Allow rule matched and permits the operation. */
  | 'allowed-by-rule'
  /** An Allow rule matched but its readOnly/ownerOnly forbid this operation: default posture. */
  | 'outside-allow-rule'
  /** A Block or Audit rule matched but does not forbid this operation (e.g. a read under readOnly). */
  | 'permitted-by-rule'
  /** No rule matched; the workload is in whitelist mode (it has Allow rules): default posture. */
  | 'no-allow-rule'
  /** No rule matched and the workload is not in whitelist mode. */
  | 'no-rule';

export interface Decision {
  verdict: Verdict;
  /** Id of the rule that made the verdict, or null (no rule / default posture alone). */
  ruleId: number | null;
  reason: DecisionReason;
  /** Which end decided, for rename/link: 'path' or 'secondPath'. */
  end: 'path' | 'secondPath';
}

// The ports the API stage needs from the rest of the agent. The agent implements them (its alert
// fan-out is an AlertSource, its policy directory a PolicyStore) and hands them to startApi().
import type { Alert } from '../alert/types.js';
import type { Diagnostic } from '../common/diagnostic.js';

/**
 * A live feed of alerts and logs. subscribe() returns the unsubscribe function.
 * Contract: the listener is called synchronously on the producer's path, once per alert, and
 * returns quickly without throwing; it must not keep a reference it then mutates (the API treats
 * alerts as read-only and shares one object between every client).
 */
export interface AlertSource {
  subscribe(listener: (alert: Alert) => void): () => void;
}

export type PolicyScope = 'container' | 'host';

/** Identity of a policy as stored: kind, namespace (workload policies only) and name. */
export interface PolicyRef {
  scope: PolicyScope;
  /** KubeArmorPolicy namespace; undefined for host (cluster-scoped) policies. */
  namespace?: string;
  name: string;
}

export type PolicyPutResult =
  | { ok: true; created: boolean; file: string }
  | { ok: false; status: 'invalid' | 'failure'; errors: Diagnostic[] };

export type PolicyDeleteResult =
  | { ok: true; existed: boolean; file: string }
  | { ok: false; status: 'invalid' | 'failure'; errors: Diagnostic[] };

/**
 * Where policies received over PolicyService live. put() validates the document like a policy
 * file and replaces the stored one atomically; on any error nothing is changed.
 */
export interface PolicyStore {
  /** `yaml` is a complete KubeArmor policy document (apiVersion, kind, metadata, spec). */
  put(ref: PolicyRef, yaml: string): Promise<PolicyPutResult>;
  delete(ref: PolicyRef): Promise<PolicyDeleteResult>;
}

/** Readiness as the agent sees it; /readyz answers 200 when ready, 503 with the reason when not. */
export type ReadinessCheck = () => boolean | { ready: boolean; reason?: string };

/** Minimal logger: pino's methods fit. */
export interface ApiLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

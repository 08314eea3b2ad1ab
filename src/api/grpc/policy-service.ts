// policy.PolicyService as `karmor vm policy add|delete` uses it: containerPolicy and hostPolicy
// take the JSON envelope (policy-envelope.ts) and answer a PolicyStatus as KubeArmor does — Applied
// for ADDED, Modified for MODIFIED (either one creates or replaces the stored policy), Deleted, NotExist (delete of an unknown policy), Invalid (nothing applied; the
// diagnostics travel in the `bulwark-diagnostics-bin` trailer as JSON), Failure (storage error),
// NotEnabled (no policy store, or networkPolicy which Bulwark does not enforce).
// Who may call is decided by `authorize` (see server.ts): a unix socket's mode, the peer uid over
// loopback TCP, or a verified client certificate.
import * as grpc from '@grpc/grpc-js';
import type { Diagnostic } from '../../common/diagnostic.js';
import { parseEnvelope } from '../policy-envelope.js';
import type { Metrics } from '../metrics.js';
import type { ApiLogger, PolicyScope, PolicyStore } from '../types.js';
import type { WireObject } from './convert.js';

export type PolicyStatus =
  'Failure' | 'Applied' | 'Deleted' | 'Modified' | 'NotExist' | 'Invalid' | 'NotEnabled';

/** Resolves to null when the caller may change policies, else to the reason it may not. */
export type Authorize = (call: grpc.ServerUnaryCall<WireObject, WireObject>) => Promise<string | null>;

export interface PolicyServiceDeps {
  store: PolicyStore | undefined;
  authorize: Authorize;
  metrics: Metrics;
  logger?: ApiLogger;
  /** Told after every applied change (WatchMessages clients see it). */
  changed?: (text: string) => void;
}

function trailer(errors: Diagnostic[]): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('bulwark-diagnostics-bin', Buffer.from(JSON.stringify(errors), 'utf8'));
  return md;
}

export function policyHandlers(deps: PolicyServiceDeps): grpc.UntypedServiceImplementation {
  const handle =
    (scope: PolicyScope) =>
    async (
      call: grpc.ServerUnaryCall<WireObject, WireObject>,
      cb: grpc.sendUnaryData<WireObject>,
    ): Promise<void> => {
      let type = 'unknown';
      const reply = (status: PolicyStatus, errors?: Diagnostic[]): void => {
        deps.metrics.policyChange(scope, type, status);
        cb(null, { status }, errors && errors.length > 0 ? trailer(errors) : undefined);
      };
      try {
        if (!deps.store) return reply('NotEnabled');
        const refusal = await deps.authorize(call);
        if (refusal !== null) {
          deps.metrics.policyChange(scope, type, 'PermissionDenied');
          deps.logger?.warn(
            { code: 'BW7103', peer: call.getPeer(), reason: refusal },
            'policy change refused',
          );
          cb({ code: grpc.status.PERMISSION_DENIED, details: `BW7103 policy change refused: ${refusal}` });
          return;
        }
        const parsed = parseEnvelope(call.request.policy as Buffer, scope);
        if (!parsed.ok) return reply('Invalid', parsed.errors);
        const { envelope } = parsed;
        type = envelope.type;
        const where = envelope.ref.namespace
          ? `${envelope.ref.namespace}/${envelope.ref.name}`
          : envelope.ref.name;
        if (envelope.type === 'DELETED') {
          const res = await deps.store.delete(envelope.ref);
          if (!res.ok) return reply(res.status === 'invalid' ? 'Invalid' : 'Failure', res.errors);
          if (res.existed) deps.changed?.(`${scope} policy ${where} deleted through PolicyService`);
          return reply(res.existed ? 'Deleted' : 'NotExist');
        }
        const res = await deps.store.put(envelope.ref, envelope.yaml ?? '');
        if (!res.ok) {
          deps.logger?.warn(
            { policy: where, errors: res.errors },
            'policy received through PolicyService rejected',
          );
          return reply(res.status === 'invalid' ? 'Invalid' : 'Failure', res.errors);
        }
        deps.changed?.(
          `${scope} policy ${where} ${res.created ? 'applied' : 'modified'} through PolicyService`,
        );
        return reply(envelope.type === 'ADDED' ? 'Applied' : 'Modified');
      } catch (e) {
        deps.logger?.error({ err: (e as Error).message }, 'PolicyService request failed');
        return reply('Failure');
      }
    };
  return {
    containerPolicy: handle('container'),
    hostPolicy: handle('host'),
    networkPolicy: (
      _call: grpc.ServerUnaryCall<WireObject, WireObject>,
      cb: grpc.sendUnaryData<WireObject>,
    ) => {
      deps.metrics.policyChange('network', 'unknown', 'NotEnabled');
      cb(null, { status: 'NotEnabled' });
    },
  };
}

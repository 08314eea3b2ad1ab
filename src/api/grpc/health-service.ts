// grpc.health.v1.Health (the standard gRPC health protocol), as KubeArmor serves it on :32766 with a
// status per service. "" (the whole server) follows the agent's readiness; feeder.LogService is
// SERVING while the server runs; policy.PolicyService is SERVING only when policies can be changed.
// Unknown service names answer NOT_FOUND (Check) or SERVICE_UNKNOWN (Watch), as the spec says.
import * as grpc from '@grpc/grpc-js';
import type { WireObject } from './convert.js';

export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** Current status of each service name; the function is called on every Check and Watch poll. */
export type HealthStatuses = () => Record<string, ServingStatus>;

const WATCH_POLL_MS = 1000;

export function healthHandlers(statuses: HealthStatuses): grpc.UntypedServiceImplementation {
  const watchers = new Set<NodeJS.Timeout>();
  return {
    Check: (call: grpc.ServerUnaryCall<WireObject, WireObject>, cb: grpc.sendUnaryData<WireObject>): void => {
      const service = String(call.request?.service ?? '');
      const status = statuses()[service];
      if (status === undefined) {
        cb({ code: grpc.status.NOT_FOUND, details: `unknown service "${service}"` });
        return;
      }
      cb(null, { status });
    },
    Watch: (call: grpc.ServerWritableStream<WireObject, WireObject>): void => {
      const service = String(call.request?.service ?? '');
      let last: string | undefined;
      const send = (): void => {
        const status = statuses()[service] ?? 'SERVICE_UNKNOWN';
        if (status !== last) {
          last = status;
          call.write({ status });
        }
      };
      send();
      const timer = setInterval(send, WATCH_POLL_MS);
      timer.unref();
      watchers.add(timer);
      const stop = (): void => {
        clearInterval(timer);
        watchers.delete(timer);
      };
      call.on('cancelled', stop);
      call.on('close', stop);
      call.on('error', stop);
    },
  };
}

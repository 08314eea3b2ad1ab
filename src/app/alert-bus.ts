// In-process fan-out of emitted alerts to live subscribers (the gRPC LogService, tests). The
// listener contract is the API's AlertSource: called synchronously, must not throw; a throwing
// listener is removed rather than allowed to break the event path.
import type { Alert } from '../alert/types.js';
import type { AlertSource } from '../api/types.js';

export class AlertBus implements AlertSource {
  private readonly listeners = new Set<(a: Alert) => void>();
  private failed = 0;

  subscribe(listener: (alert: Alert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(alert: Alert): void {
    for (const l of this.listeners) {
      try {
        l(alert);
      } catch {
        this.failed++;
        this.listeners.delete(l);
      }
    }
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  get failedListeners(): number {
    return this.failed;
  }
}

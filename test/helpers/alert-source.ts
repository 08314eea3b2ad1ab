// An in-process AlertSource, as the agent's fan-out is: every emit() calls each listener
// synchronously. Tests emit alerts through it into the API's servers.
import type { Alert } from '../../src/alert/types.js';
import type { AlertSource } from '../../src/api/index.js';

export class TestAlertSource implements AlertSource {
  private listeners = new Set<(a: Alert) => void>();

  subscribe(listener: (a: Alert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  emit(alert: Alert): void {
    for (const l of this.listeners) l(alert);
  }
}

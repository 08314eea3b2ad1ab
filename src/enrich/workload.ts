// Workloads: what a container id means. Two sources: this registry of `bulwark run` workloads,
// registered by the agent (id, name, namespace, labels), and container runtimes, asked in the
// background (runtime-metadata.ts).
import type { ContainerRuntime } from './cgroup.js';

/** KubeArmor's namespace for containers that no orchestrator placed in one. */
export const UNORCHESTRATED_NAMESPACE = 'container_namespace';

export interface WorkloadOwner {
  ref: string;
  name: string;
  namespace: string;
}

export interface WorkloadInfo {
  id: string;
  runtime: ContainerRuntime;
  /** ContainerName. */
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** ContainerImage (with digest when the runtime gives it); '' for `bulwark run`. */
  image: string;
  podName: string;
  owner?: WorkloadOwner;
  /** Where the metadata came from. */
  source: 'registry' | 'podman' | 'docker' | 'crictl';
}

export interface RegisterWorkload {
  /** 64-hex id (also the cgroup name under BULWARK_CGROUP_PREFIX). */
  id: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  image?: string;
  podName?: string;
  owner?: WorkloadOwner;
}

/** `bulwark run` workloads, registered and removed by the agent. */
export class WorkloadRegistry {
  private readonly byId = new Map<string, WorkloadInfo>();

  register(w: RegisterWorkload): WorkloadInfo {
    const info: WorkloadInfo = {
      id: w.id,
      runtime: 'bulwark',
      name: w.name,
      namespace: w.namespace,
      labels: { ...w.labels },
      image: w.image ?? '',
      podName: w.podName ?? '',
      ...(w.owner ? { owner: w.owner } : {}),
      source: 'registry',
    };
    this.byId.set(w.id, info);
    return info;
  }

  unregister(id: string): boolean {
    return this.byId.delete(id);
  }

  get(id: string): WorkloadInfo | undefined {
    return this.byId.get(id);
  }

  list(): WorkloadInfo[] {
    return [...this.byId.values()];
  }
}

// Container metadata from the runtimes, asked once per container id, asynchronously:
// `podman inspect`, `docker inspect`, `crictl inspect` (+ `crictl inspectp` for the pod's labels).
// The event path never waits for them: the first events of a new container may lack its name,
// image, pod, namespace and labels (they are then marked incomplete), later ones have them.
// Kubernetes namespace and pod come from the io.kubernetes.* labels the kubelet puts on
// containers; containers outside Kubernetes get KubeArmor's namespace `container_namespace`.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { CgroupContainer, ContainerRuntime } from './cgroup.js';
import { UNORCHESTRATED_NAMESPACE } from './workload.js';
import type { WorkloadInfo } from './workload.js';

export type CommandRunner = (file: string, args: string[], timeoutMs: number) => Promise<string>;

const runCommand: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });

/** First executable named `name` on PATH, or undefined. */
export function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

type Labels = Record<string, string>;

function strMap(v: unknown): Labels {
  const out: Labels = {};
  if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** Splits io.kubernetes.* bookkeeping labels from user labels. */
/**
 * The pod's controller, from the labels and name conventions Kubernetes controllers follow (the
 * agent does not query the API server for ownerReferences): a Deployment's pods carry
 * `pod-template-hash` and are named `<deployment>-<hash>-<suffix>`; a StatefulSet's carry
 * `statefulset.kubernetes.io/pod-name` and are `<set>-<ordinal>`; a DaemonSet's carry
 * `pod-template-generation` and `controller-revision-hash` and are `<set>-<suffix>`; a Job's carry
 * `job-name`. Undefined when none applies (a bare pod, or a name that does not fit).
 */
export function podOwner(podName: string, namespace: string, labels: Labels): WorkloadInfo['owner'] {
  const own = (ref: string, name: string) => (name ? { ref, name, namespace } : undefined);
  const hash = labels['pod-template-hash'];
  if (hash && podName.includes(`-${hash}-`))
    return own('Deployment', podName.slice(0, podName.lastIndexOf(`-${hash}-`)));
  if (labels['statefulset.kubernetes.io/pod-name'] === podName) {
    const m = /^(.*)-\d+$/.exec(podName);
    return m ? own('StatefulSet', m[1]) : undefined;
  }
  if (labels['pod-template-generation'] && labels['controller-revision-hash']) {
    const m = /^(.*)-[a-z0-9]{5}$/.exec(podName);
    return m ? own('DaemonSet', m[1]) : undefined;
  }
  if (labels['job-name']) return own('Job', labels['job-name']);
  return undefined;
}

function fromLabels(
  id: string,
  runtime: ContainerRuntime,
  source: WorkloadInfo['source'],
  name: string,
  image: string,
  all: Labels,
  podLabels?: Labels,
): WorkloadInfo {
  const user: Labels = {};
  for (const [k, v] of Object.entries(podLabels ?? all)) if (!k.startsWith('io.kubernetes.')) user[k] = v;
  const namespace = all['io.kubernetes.pod.namespace'] ?? UNORCHESTRATED_NAMESPACE;
  const podName = all['io.kubernetes.pod.name'] ?? '';
  const owner = podName ? podOwner(podName, namespace, user) : undefined;
  return {
    id,
    runtime,
    name: all['io.kubernetes.container.name'] ?? name.replace(/^\//, ''),
    namespace,
    labels: user,
    image,
    podName,
    ...(owner ? { owner } : {}),
    source,
  };
}

/** Parses `podman inspect` / `docker inspect` output (a JSON array of one container). */
export function parseInspect(
  id: string,
  runtime: ContainerRuntime,
  source: 'podman' | 'docker',
  json: string,
): WorkloadInfo | undefined {
  const arr = JSON.parse(json) as unknown;
  const c = (Array.isArray(arr) ? arr[0] : arr) as Record<string, unknown> | undefined;
  if (!c || typeof c !== 'object') return undefined;
  const config = (c.Config ?? {}) as Record<string, unknown>;
  const image =
    (typeof c.ImageName === 'string' && c.ImageName) ||
    (typeof config.Image === 'string' && config.Image) ||
    '';
  const digest =
    typeof c.ImageDigest === 'string' && c.ImageDigest && !image.includes('@') ? `@${c.ImageDigest}` : '';
  return fromLabels(id, runtime, source, String(c.Name ?? ''), `${image}${digest}`, strMap(config.Labels));
}

/** Parses `crictl inspect` output; the pod's labels come from `crictl inspectp` when given. */
export function parseCrictl(
  id: string,
  runtime: ContainerRuntime,
  json: string,
  podJson?: string,
): WorkloadInfo | undefined {
  const doc = JSON.parse(json) as { status?: Record<string, unknown> };
  const st = doc.status;
  if (!st) return undefined;
  const meta = (st.metadata ?? {}) as Record<string, unknown>;
  const image = String((st.image as Record<string, unknown> | undefined)?.image ?? st.imageRef ?? '');
  let podLabels: Labels | undefined;
  if (podJson) {
    const pod = JSON.parse(podJson) as { status?: { labels?: unknown } };
    podLabels = strMap(pod.status?.labels);
  }
  return fromLabels(id, runtime, 'crictl', String(meta.name ?? ''), image, strMap(st.labels), podLabels);
}

export interface RuntimeMetadataOptions {
  /** False: never ask runtimes (workloads outside the registry get ids only). */
  enabled?: boolean;
  /** Command per tool; default looked up on PATH. */
  podman?: string;
  docker?: string;
  crictl?: string;
  timeoutMs?: number;
  /** A failed lookup is retried after this long. Default 30 s. */
  retryMs?: number;
  /** Ids remembered at most. Default 4096. */
  maxEntries?: number;
  run?: CommandRunner;
  now?: () => number;
}

export interface RuntimeMetadataStats {
  lookups: number;
  filled: number;
  failed: number;
  pending: number;
}

/** Asks container runtimes about container ids, in the background, one at a time per id. */
export class RuntimeMetadata {
  private readonly cache = new Map<string, WorkloadInfo>();
  private readonly failedAt = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly tools: { podman?: string; docker?: string; crictl?: string };
  private readonly s = { lookups: 0, filled: 0, failed: 0 };

  constructor(private readonly opts: RuntimeMetadataOptions = {}) {
    this.tools = {
      podman: opts.podman ?? which('podman'),
      docker: opts.docker ?? which('docker'),
      crictl: opts.crictl ?? which('crictl'),
    };
  }

  /** Cached metadata, or undefined (and a background lookup starts). Never blocks. */
  get(c: CgroupContainer): WorkloadInfo | undefined {
    const hit = this.cache.get(c.id);
    if (hit) return hit;
    if (this.opts.enabled === false || this.inFlight.has(c.id)) return undefined;
    const failed = this.failedAt.get(c.id);
    const now = (this.opts.now ?? Date.now)();
    if (failed !== undefined && now - failed < (this.opts.retryMs ?? 30_000)) return undefined;
    const p = this.fill(c).finally(() => this.inFlight.delete(c.id));
    this.inFlight.set(c.id, p);
    return undefined;
  }

  /** Resolves when the lookup of `id` (if any) has finished. */
  async settled(id: string): Promise<void> {
    await this.inFlight.get(id);
  }

  private async fill(c: CgroupContainer): Promise<void> {
    this.s.lookups++;
    const run = this.opts.run ?? runCommand;
    const t = this.opts.timeoutMs ?? 5000;
    const attempts: (() => Promise<WorkloadInfo | undefined>)[] = [];
    const { podman, docker, crictl } = this.tools;
    if (podman && (c.runtime === 'podman' || c.runtime === 'kubernetes'))
      attempts.push(async () =>
        parseInspect(
          c.id,
          c.runtime,
          'podman',
          await run(podman, ['inspect', '--type', 'container', c.id], t),
        ),
      );
    if (docker && (c.runtime === 'docker' || c.runtime === 'kubernetes'))
      attempts.push(async () =>
        parseInspect(
          c.id,
          c.runtime,
          'docker',
          await run(docker, ['inspect', '--type', 'container', c.id], t),
        ),
      );
    if (crictl && c.runtime !== 'podman' && c.runtime !== 'bulwark')
      attempts.push(async () => {
        const out = await run(crictl, ['inspect', '-o', 'json', c.id], t);
        const sandbox = (JSON.parse(out) as { info?: { sandboxID?: string } }).info?.sandboxID;
        const pod = sandbox
          ? await run(crictl, ['inspectp', '-o', 'json', sandbox], t).catch(() => undefined)
          : undefined;
        return parseCrictl(c.id, c.runtime, out, pod);
      });
    for (const attempt of attempts) {
      try {
        const info = await attempt();
        if (info) {
          this.remember(c.id, info);
          this.s.filled++;
          return;
        }
      } catch {
        /* try the next tool */
      }
    }
    this.s.failed++;
    this.failedAt.set(c.id, (this.opts.now ?? Date.now)());
  }

  private remember(id: string, info: WorkloadInfo): void {
    this.cache.set(id, info);
    this.failedAt.delete(id);
    const max = this.opts.maxEntries ?? 4096;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value as string);
  }

  /** Forgets a container (it stopped). */
  forget(id: string): void {
    this.cache.delete(id);
    this.failedAt.delete(id);
  }

  stats(): RuntimeMetadataStats {
    return { ...this.s, pending: this.inFlight.size };
  }
}

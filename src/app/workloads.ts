// Workloads started by `bulwark run`: each gets a container-style 64-hex id, a name, and its own
// cgroup (under `<cgroup2>/bulwark/<id>`), so its processes and their children are recognised in
// kernel events exactly as a pod's would be. The registry also remembers which rule-set version
// a workload's Landlock domain was built from: a domain is fixed at start, so after a policy
// change running workloads are reported as stale.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Workload {
  id: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Absolute cgroup directory, or '' when cgroups are unavailable. */
  cgroupDir: string;
  /** cgroup path as it appears in /proc/PID/cgroup's v2 line (`/bulwark/<id>`). */
  cgroupPath: string;
  /** cgroup v2 id (inode number of the directory), as a decimal string. */
  cgroupId: string;
  /** Host pid of the workload's first process, once started. */
  pid: number;
  startedAt: string;
  /** Rule-set version its enforcement was built from. */
  ruleSetVersion: string;
  command: string[];
}

/** The cgroup2 mount: /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones. */
export function cgroup2Root(): string | null {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return '/sys/fs/cgroup';
  if (existsSync('/sys/fs/cgroup/unified/cgroup.procs')) return '/sys/fs/cgroup/unified';
  return null;
}

export const WORKLOAD_CGROUP_PARENT = 'bulwark';

export class WorkloadRegistry {
  private readonly byId = new Map<string, Workload>();
  private readonly byCgroup = new Map<string, Workload>();
  private readonly root = cgroup2Root();

  get size(): number {
    return this.byId.size;
  }

  list(): Workload[] {
    return [...this.byId.values()];
  }

  get(id: string): Workload | undefined {
    return this.byId.get(id);
  }

  /** The workload a cgroup path (`/bulwark/<id>` or deeper) belongs to. */
  byCgroupPath(path: string | undefined): Workload | undefined {
    if (!path) return undefined;
    const m = /\/bulwark\/([0-9a-f]{64})(?:\/|$)/.exec(path);
    return m ? this.byId.get(m[1]) : this.byCgroup.get(path);
  }

  /** Registers a workload and creates its cgroup. */
  create(opts: {
    name?: string;
    namespace: string;
    labels: Record<string, string>;
    ruleSetVersion: string;
    command: string[];
  }): Workload {
    const id = randomBytes(32).toString('hex');
    const name = opts.name && opts.name.length > 0 ? opts.name : `bulwark-${id.slice(0, 12)}`;
    let cgroupDir = '';
    let cgroupId = '';
    const cgroupPath = `/${WORKLOAD_CGROUP_PARENT}/${id}`;
    if (this.root) {
      cgroupDir = join(this.root, WORKLOAD_CGROUP_PARENT, id);
      mkdirSync(cgroupDir, { recursive: true });
      cgroupId = String(statSync(cgroupDir).ino);
    }
    const w: Workload = {
      id,
      name,
      namespace: opts.namespace,
      labels: opts.labels,
      cgroupDir,
      cgroupPath,
      cgroupId,
      pid: 0,
      startedAt: new Date().toISOString(),
      ruleSetVersion: opts.ruleSetVersion,
      command: opts.command,
    };
    this.byId.set(id, w);
    this.byCgroup.set(cgroupPath, w);
    return w;
  }

  /** Forgets a workload and removes its cgroup once it is empty (best effort). */
  remove(id: string): void {
    const w = this.byId.get(id);
    if (!w) return;
    this.byId.delete(id);
    this.byCgroup.delete(w.cgroupPath);
    if (w.cgroupDir) removeCgroup(w.cgroupDir);
  }

  close(): void {
    for (const id of [...this.byId.keys()]) this.remove(id);
    // The shared parent goes too once empty (another agent's workloads keep it in place).
    if (this.root) {
      try {
        rmdirSync(join(this.root, WORKLOAD_CGROUP_PARENT));
      } catch {
        // not empty, or already gone
      }
    }
  }
}

function removeCgroup(dir: string): void {
  for (let i = 0; i < 20; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      // EBUSY while the last process is exiting; try again shortly.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  }
}

// cgroup path → container id, by the path conventions of each runtime (the cgroup v2 line of
// /proc/PID/cgroup, `0::<path>`; on hybrid hosts a v1 controller path works the same way):
//   containerd (systemd driver)  /kubepods.slice/…/kubepods-besteffort-pod<uid>.slice/cri-containerd-<id>.scope
//   containerd/kubelet cgroupfs  /kubepods/burstable/pod<uid>/<id>
//   CRI-O                        /kubepods.slice/…/crio-<id>.scope (crio-conmon-<id>.scope is conmon, not the container)
//   docker                       /system.slice/docker-<id>.scope, /docker/<id>
//   podman                       /machine.slice/libpod-<id>.scope, /libpod_parent/libpod-<id>,
//                                rootless …/user@1000.service/user.slice/libpod-<id>.scope
//   bulwark run                  /bulwark/<id> (BULWARK_CGROUP_PREFIX)
// Sub-cgroups below a container's (`…/libpod-<id>.scope/container`, a container that manages
// its own cgroups) belong to that container: segments are searched from the leaf upwards.
import { readFileSync, readdirSync, statSync, statfsSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';

/** cgroup v2 path prefix under which `bulwark run` creates one cgroup per workload (64-hex id). */
export const BULWARK_CGROUP_PREFIX = '/bulwark/';

export type ContainerRuntime = 'containerd' | 'crio' | 'docker' | 'podman' | 'bulwark' | 'kubernetes';

export interface CgroupContainer {
  runtime: ContainerRuntime;
  /** 64 lower-case hex digits. */
  id: string;
  /** Kubernetes pod UID when the path names the pod (`pod<uid>`), with dashes. */
  podUid?: string;
}

const HEX64 = '[0-9a-f]{64}';
const SEGMENT_RULES: { re: RegExp; runtime: ContainerRuntime }[] = [
  { re: new RegExp(`^cri-containerd-(${HEX64})\\.scope$`), runtime: 'containerd' },
  { re: new RegExp(`^crio-(${HEX64})(?:\\.scope)?$`), runtime: 'crio' },
  { re: new RegExp(`^docker-(${HEX64})\\.scope$`), runtime: 'docker' },
  { re: new RegExp(`^libpod-(${HEX64})(?:\\.scope)?$`), runtime: 'podman' },
];
const BARE_ID = new RegExp(`^${HEX64}$`);
const POD_SEGMENT = /^(?:kubepods-(?:besteffort-|burstable-|guaranteed-)?)?pod([0-9a-f_-]{36})(?:\.slice)?$/;

/** Parses a cgroup path; null for host processes, conmon and other non-container cgroups. */
export function containerFromCgroup(path: string): CgroupContainer | null {
  if (!path) return null;
  if (path.startsWith(BULWARK_CGROUP_PREFIX)) {
    const id = path.slice(BULWARK_CGROUP_PREFIX.length).split('/')[0];
    return BARE_ID.test(id) ? { runtime: 'bulwark', id } : null;
  }
  const segs = path.split('/').filter(Boolean);
  let podUid: string | undefined;
  for (const s of segs) {
    const m = POD_SEGMENT.exec(s);
    if (m) podUid = m[1].replace(/_/g, '-');
  }
  const withPod = (c: CgroupContainer): CgroupContainer => (podUid ? { ...c, podUid } : c);
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i];
    for (const r of SEGMENT_RULES) {
      const m = r.re.exec(s);
      if (m) return withPod({ runtime: r.runtime, id: m[1] });
    }
    if (BARE_ID.test(s)) {
      const parent = segs[i - 1] ?? '';
      if (parent === 'docker') return { runtime: 'docker', id: s };
      if (segs[0] === 'kubepods' || segs[0] === 'kubepods.slice')
        return withPod({ runtime: 'kubernetes', id: s });
      if (parent === 'libpod_parent') return { runtime: 'podman', id: s };
    }
  }
  return null;
}

/**
 * The cgroup v2 path of a process (`0::` line of /proc/PID/cgroup), or undefined when the
 * process is gone or has no v2 line.
 */
export function readCgroupPath(pid: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  return cgroupV2Line(text);
}

/** Extracts the v2 path from the text of /proc/PID/cgroup. */
export function cgroupV2Line(text: string): string | undefined {
  for (const line of text.split('\n')) if (line.startsWith('0::')) return line.slice(3);
  return undefined;
}

/** Where the cgroup2 hierarchy is mounted: /sys/fs/cgroup/unified on hybrid hosts, else /sys/fs/cgroup. */
export function cgroup2Root(): string | undefined {
  const CGROUP2_SUPER_MAGIC = 0x63677270;
  for (const dir of ['/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
    try {
      if (statfsSync(dir).type === CGROUP2_SUPER_MAGIC) return dir;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

/**
 * cgroup v2 id (the directory's inode, as `bpf_get_current_cgroup_id()` and the sensor report it)
 * → path relative to the hierarchy (`/bulwark/<id>`). The hierarchy is walked once and again on a
 * miss, at most once per second; a cgroup removed in between cannot be named any more.
 */
export class CgroupIds {
  private byId = new Map<string, string>();
  private scannedAt = -Infinity;

  private readonly root: string | undefined;

  /** root: the hierarchy's mount point; undefined finds it, null means there is none. */
  constructor(
    root?: string | null,
    private readonly now: () => number = Date.now,
  ) {
    this.root = root === null ? undefined : (root ?? cgroup2Root());
  }

  path(id: string): string | undefined {
    const hit = this.byId.get(id);
    if (hit !== undefined || !this.root) return hit;
    if (this.now() - this.scannedAt < 1000) return undefined;
    this.scan();
    return this.byId.get(id);
  }

  private scan(): void {
    this.scannedAt = this.now();
    const root = this.root!;
    const found = new Map<string, string>();
    const walk = (dir: string, rel: string, depth: number): void => {
      try {
        found.set(String(statSync(dir, { bigint: true }).ino), rel || '/');
      } catch {
        return;
      }
      if (depth >= 32 || found.size > 100_000) return;
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name), `${rel}/${e.name}`, depth + 1);
    };
    walk(root, '', 0);
    this.byId = found;
  }
}

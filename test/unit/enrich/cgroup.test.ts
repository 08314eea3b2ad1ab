import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BULWARK_CGROUP_PREFIX,
  CgroupIds,
  cgroupV2Line,
  containerFromCgroup,
} from '../../../src/enrich/index.js';

const ID = 'b75628d4225b8071d5795da342cf2a5c03b1d67b22b40016697fcd17a0db20e4';
const POD = '2c1ae9b4-1a3e-4a43-8f6e-55d5b8c1b0a7';

// Paths as the runtimes write them (systemd and cgroupfs drivers, rootful and rootless).
const CASES: [string, string, ReturnType<typeof containerFromCgroup>][] = [
  [
    'containerd, systemd driver',
    `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD.replace(/-/g, '_')}.slice/cri-containerd-${ID}.scope`,
    { runtime: 'containerd', id: ID, podUid: POD },
  ],
  [
    'containerd, guaranteed QoS (no QoS slice)',
    `/kubepods.slice/kubepods-pod${POD.replace(/-/g, '_')}.slice/cri-containerd-${ID}.scope`,
    { runtime: 'containerd', id: ID, podUid: POD },
  ],
  [
    'kubelet cgroupfs driver',
    `/kubepods/burstable/pod${POD}/${ID}`,
    { runtime: 'kubernetes', id: ID, podUid: POD },
  ],
  [
    'CRI-O',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD.replace(/-/g, '_')}.slice/crio-${ID}.scope`,
    { runtime: 'crio', id: ID, podUid: POD },
  ],
  ['docker, systemd driver', `/system.slice/docker-${ID}.scope`, { runtime: 'docker', id: ID }],
  ['docker, cgroupfs driver', `/docker/${ID}`, { runtime: 'docker', id: ID }],
  // Seen on this machine kind: podman with runc on the hybrid hierarchy.
  ['podman, cgroupfs (libpod_parent)', `/libpod_parent/libpod-${ID}`, { runtime: 'podman', id: ID }],
  ['podman, systemd', `/machine.slice/libpod-${ID}.scope`, { runtime: 'podman', id: ID }],
  [
    'podman rootless',
    `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope`,
    { runtime: 'podman', id: ID },
  ],
  [
    'podman, container with its own sub-cgroup',
    `/machine.slice/libpod-${ID}.scope/container`,
    { runtime: 'podman', id: ID },
  ],
  ['bulwark run', `${BULWARK_CGROUP_PREFIX}${ID}`, { runtime: 'bulwark', id: ID }],
  ['bulwark run, child cgroup', `${BULWARK_CGROUP_PREFIX}${ID}/sub`, { runtime: 'bulwark', id: ID }],
  ['host root', '/', null],
  ['host service', '/system.slice/ssh.service', null],
  ['user session', '/user.slice/user-0.slice/session-3.scope', null],
  ['podman conmon is not the container', `/machine.slice/libpod-conmon-${ID}.scope`, null],
  ['CRI-O conmon is not the container', `/kubepods.slice/crio-conmon-${ID}.scope`, null],
  ['bulwark prefix with a bad id', '/bulwark/not-an-id', null],
  ['short hex is not an id', '/docker/abc123', null],
];

for (const [name, path, want] of CASES) {
  test(`cgroup → container: ${name}`, () => {
    assert.deepEqual(containerFromCgroup(path), want);
  });
}

test('the cgroup v2 line is picked out of a hybrid /proc/PID/cgroup', () => {
  const text = [
    `9:name=systemd:/libpod_parent/libpod-${ID}`,
    `4:memory:/libpod_parent/libpod-${ID}`,
    `0::/libpod_parent/libpod-${ID}`,
    '',
  ].join('\n');
  assert.equal(cgroupV2Line(text), `/libpod_parent/libpod-${ID}`);
  assert.equal(cgroupV2Line('4:memory:/x\n'), undefined);
});

test('cgroup ids (directory inodes) map to paths, rescanned on a miss at most once a second', () => {
  const root = mkdtempSync(join(tmpdir(), 'bw-cgids-'));
  try {
    mkdirSync(join(root, 'bulwark', ID), { recursive: true });
    let now = 0;
    const ids = new CgroupIds(root, () => now);
    const ino = (p: string) => String(statSync(join(root, p), { bigint: true }).ino);
    assert.equal(ids.path(ino(`bulwark/${ID}`)), `/bulwark/${ID}`);
    assert.equal(ids.path(ino('')), '/');
    mkdirSync(join(root, 'later'));
    now += 500;
    assert.equal(ids.path(ino('later')), undefined, 'created after the scan, within the second');
    now += 600;
    assert.equal(ids.path(ino('later')), '/later');
    assert.equal(new CgroupIds(null).path('1'), undefined, 'no cgroup2 hierarchy');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

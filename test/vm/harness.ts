// VM test harness: boots Debian's kernel under qemu (TCG, PVH `vmlinux`) with a busybox
// initramfs that carries the static BPF loader, the operation runner and the test scripts, streams
// the guest's serial console to the host, and turns it into a result the host test asserts on.
// Facts behind the choices (PVH, explicit TCG, timings): docs/bpf-lsm.md § VM harness.
//
// Guest protocol (scripts/vm/init): `@@CHECK PASS|FAIL <name> <detail>` per check, `@@POWEROFF`
// when the guest finished normally. Anything else is kernel or program output.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Kernel log lines that fail a boot even when every check passed. */
export const KERNEL_TROUBLE =
  /(WARNING:|BUG:|Oops|Kernel panic|general protection fault|Call Trace:|RCU stall|self-detected stall|blocked for more than|UBSAN:|KASAN:|kernel BUG)/;

export interface VmArtifacts {
  dir: string;
  vmlinux: string;
  vmlinuxH: string;
  busybox: string;
  versions: Record<string, string>;
}

export type Availability = { ok: true; vm: VmArtifacts } | { ok: false; reason: string };

/** Finds qemu and prepares the cached kernel artefacts (downloads them on first use). */
export function vmAvailable(): Availability {
  const qemu = spawnSync('sh', ['-c', 'command -v qemu-system-x86_64'], { encoding: 'utf8' });
  if (qemu.status !== 0)
    return {
      ok: false,
      reason:
        'qemu-system-x86_64 not found: install it with `apt-get install --no-install-recommends qemu-system-x86` (scripts/setup.sh does)',
    };
  const r = spawnSync('bash', [path.join(REPO, 'scripts/vm/prepare.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status === 3)
    return { ok: false, reason: `kernel package unavailable: ${r.stderr.trim().split('\n').pop()}` };
  if (r.status !== 0) throw new Error(`scripts/vm/prepare.sh failed (${r.status}):\n${r.stderr}`);
  const dir = r.stdout.trim().split('\n').pop() ?? '';
  const versions: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(dir, 'versions'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) versions[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return {
    ok: true,
    vm: {
      dir,
      vmlinux: path.join(dir, 'vmlinux'),
      vmlinuxH: path.join(dir, 'vmlinux.h'),
      busybox: path.join(dir, 'busybox'),
      versions,
    },
  };
}

export interface GuestTools {
  /** Static libbpf loader and driver (native/bpf-loader). */
  loader: string;
  /** Static operation runner used by the tests (test/vm/progs/opsrun.c). */
  opsrun: string;
  bpfObject: string;
}

/** Builds the BPF object, the static loader and the runner against the guest kernel's BTF. */
export function buildGuestTools(vm: VmArtifacts): GuestTools {
  const out = path.join(REPO, 'build/vm');
  const r = spawnSync('bash', [path.join(REPO, 'scripts/build-bpf.sh'), vm.vmlinuxH, out], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`scripts/build-bpf.sh failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return {
    loader: path.join(out, 'bulwark-bpf'),
    opsrun: path.join(out, 'opsrun'),
    bpfObject: path.join(out, 'bulwark_lsm.bpf.o'),
  };
}

export interface GuestFile {
  /** Absolute path inside the guest. */
  guest: string;
  /** Copy this host file ... */
  from?: string;
  /** ... or write this content. */
  content?: string | Buffer;
  mode?: number;
}

/** Packs busybox, /init and the given files into a gzip'd newc initramfs (busybox cpio). */
export function makeInitrd(vm: VmArtifacts, files: GuestFile[], out: string): string {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-initrd-'));
  fs.chmodSync(stage, 0o755); // becomes the guest's '/': mkdtemp's 0700 would lock out other uids
  try {
    const put = (f: GuestFile): void => {
      const dst = path.join(stage, f.guest);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      if (f.from !== undefined) fs.copyFileSync(f.from, dst);
      else fs.writeFileSync(dst, f.content ?? '');
      fs.chmodSync(dst, f.mode ?? (f.from !== undefined ? fs.statSync(f.from).mode & 0o7777 : 0o644));
    };
    put({ guest: '/bin/busybox', from: vm.busybox, mode: 0o755 });
    put({ guest: '/init', from: path.join(REPO, 'scripts/vm/init'), mode: 0o755 });
    for (const f of files) put(f);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const r = spawnSync(
      'sh',
      [
        '-c',
        `cd "$1" && find . | "$2" cpio -o -H newc 2>/dev/null | gzip -1 > "$3"`,
        'sh',
        stage,
        vm.busybox,
        out,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`initramfs packing failed: ${r.stderr}`);
    return out;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

export interface Check {
  pass: boolean;
  name: string;
  detail: string;
}

export interface BootResult {
  lines: string[];
  checks: Check[];
  /** `@@`-lines other than CHECK, in order (data channels of the tests). */
  markers: string[];
  poweroff: boolean;
  timedOut: boolean;
  exitCode: number | null;
  /** Kernel log lines matching KERNEL_TROUBLE. */
  trouble: string[];
  wallMs: number;
}

export interface BootOptions {
  vm: VmArtifacts;
  initrd: string;
  tests: string[];
  /** Hard wall-clock limit; qemu is SIGKILLed when it passes. */
  timeoutMs?: number;
  /** Extra kernel command-line words. */
  append?: string;
  memory?: string;
  /** Stream each guest line to stderr (default true; BULWARK_VM_QUIET=1 turns it off). */
  stream?: boolean;
}

/**
 * Boots once and collects the serial output. TCG is chosen explicitly: on this machine kind
 * /dev/kvm is PVM and fails later with stock kernels, so an accelerator fallback would not help.
 * BULWARK_VM_ACCEL=kvm opts into KVM on hosts with real VT-x.
 */
export function boot(opts: BootOptions): Promise<BootResult> {
  const accel =
    process.env.BULWARK_VM_ACCEL === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg'];
  const cmdline = [
    'console=ttyS0',
    'lsm=lockdown,capability,landlock,yama,bpf',
    'panic=-1',
    'oops=panic',
    `vmtest=${opts.tests.join(',')}`,
    opts.append ?? '',
  ].join(' ');
  const args = [
    ...accel,
    '-nodefaults',
    '-display',
    'none',
    '-serial',
    'stdio',
    '-monitor',
    'none',
    '-no-reboot',
    '-m',
    opts.memory ?? '512M',
    '-smp',
    process.env.BULWARK_VM_SMP ?? '1',
    '-nic',
    'none',
    '-kernel',
    opts.vm.vmlinux,
    '-initrd',
    opts.initrd,
    '-append',
    cmdline,
  ];
  const stream = opts.stream ?? process.env.BULWARK_VM_QUIET !== '1';
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const res: BootResult = {
      lines: [],
      checks: [],
      markers: [],
      poweroff: false,
      timedOut: false,
      exitCode: null,
      trouble: [],
      wallMs: 0,
    };
    const timer = setTimeout(() => {
      res.timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const onLine = (raw: string): void => {
      const line = raw.replace(/\r$/, '');
      res.lines.push(line);
      if (stream) process.stderr.write(`[vm ${((Date.now() - started) / 1000).toFixed(2)}] ${line}\n`);
      const at = line.indexOf('@@');
      if (at >= 0) {
        const m = line.slice(at + 2);
        const check = /^CHECK (PASS|FAIL) (\S+) ?(.*)$/.exec(m);
        if (check) res.checks.push({ pass: check[1] === 'PASS', name: check[2], detail: check[3] });
        else if (m === 'POWEROFF') res.poweroff = true;
        else res.markers.push(m);
        return;
      }
      if (KERNEL_TROUBLE.test(line)) res.trouble.push(line);
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', (l) => onLine(`qemu: ${l}`));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      res.exitCode = code;
      res.wallMs = Date.now() - started;
      resolve(res);
    });
  });
}

/** Every reason a boot counts as failed, empty when it is clean. */
export function bootProblems(r: BootResult): string[] {
  const p: string[] = [];
  if (r.timedOut) p.push(`guest hung: killed after ${r.wallMs} ms`);
  if (!r.poweroff) p.push('guest did not reach @@POWEROFF (panic, crash or hang)');
  for (const t of r.trouble) p.push(`kernel: ${t}`);
  for (const c of r.checks) if (!c.pass) p.push(`check failed: ${c.name} ${c.detail}`);
  if (r.checks.length === 0) p.push('guest reported no checks');
  return p;
}

/** Lines of one `@@<prefix> ` data channel, prefix removed. */
export function channel(r: BootResult, prefix: string): string[] {
  return r.markers.filter((m) => m.startsWith(`${prefix} `)).map((m) => m.slice(prefix.length + 1));
}

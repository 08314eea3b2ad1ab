// Does BPF-LSM work on this kernel? Asks the loader (`bulwark-bpf probe`), which loads and attaches
// a no-op lsm/file_open program and detaches it again; nothing stays loaded. For `bulwark probe`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BpfLsmProbe {
  loads: boolean;
  /** Why not, or which loader answered. */
  detail: string;
}

/** Where the loader is: BULWARK_BPF_LOADER, else build/bpf/bulwark-bpf in the package. */
export function bpfLoaderPath(): string {
  if (process.env.BULWARK_BPF_LOADER) return process.env.BULWARK_BPF_LOADER;
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../build/bpf/bulwark-bpf');
}

export function probeBpfLsm(loader = bpfLoaderPath()): BpfLsmProbe {
  if (!fs.existsSync(loader))
    return { loads: false, detail: `loader not built: ${loader} (npm run build:bpf)` };
  const r = spawnSync(loader, ['probe'], { encoding: 'utf8', timeout: 30_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line) as { bpfLsm: boolean; reason?: string; stage?: string };
    return j.bpfLsm
      ? { loads: true, detail: `lsm/file_open loaded and attached by ${loader}` }
      : { loads: false, detail: `${j.stage ?? 'load'}: ${j.reason ?? 'refused'}` };
  } catch {
    return { loads: false, detail: `${loader} probe failed (status ${r.status}): ${r.stderr.trim()}` };
  }
}

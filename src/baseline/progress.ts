// Progress line for init/check/update: entries, files/s and MB/s on stderr, redrawn at most ten
// times a second, only when stderr is a terminal (quiet in cron, CI and pipes).
import type { ScanProgress } from './scan.js';

export interface ProgressReporter {
  update(p: ScanProgress): void;
  finish(): void;
}

export function rate(n: number, seconds: number): number {
  return seconds > 0 ? n / seconds : 0;
}

export function formatRates(files: number, bytes: number, seconds: number): string {
  return `${Math.round(rate(files, seconds)).toLocaleString('en-US')} files/s, ${rate(bytes / 1e6, seconds).toFixed(1)} MB/s`;
}

export function progressReporter(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  if (!stream.isTTY) return { update: () => undefined, finish: () => undefined };
  const start = performance.now();
  let last = 0;
  let drawn = false;
  const spin = ['|', '/', '-', '\\'];
  let k = 0;
  const draw = (p: ScanProgress): void => {
    const s = (performance.now() - start) / 1000;
    const width = Math.max(40, (stream.columns || 100) - 1);
    const line = `${label} ${spin[k++ % 4]} ${p.entries.toLocaleString('en-US')} entries, ${(p.bytes / 1e6).toFixed(0)} MB, ${formatRates(p.files, p.bytes, s)}, ${s.toFixed(1)} s`;
    stream.write(`\r${line.slice(0, width).padEnd(width)}`);
    drawn = true;
  };
  return {
    update(p) {
      const now = performance.now();
      if (now - last < 100 && !p.done) return;
      last = now;
      draw(p);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

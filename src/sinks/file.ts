// File sink: one alert per line (JSON by default) appended to a file, rotated by size and kept by
// count: `alerts.log` is renamed `alerts.log.1` when the next write would take it past maxBytes,
// `.1` becomes `.2` and so on, and files beyond maxFiles are deleted. A line is never split across
// files. Write errors (ENOSPC, EROFS, EACCES) fail the batch; the runner counts it and reopens.
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Alert } from '../alert/types.js';
import { type AlertFormat, formatAlert } from '../alert/format.js';
import type { SinkBackend } from './types.js';

export interface FileSinkOptions {
  path: string;
  format?: AlertFormat;
  /** Rotate before a write would make the file larger than this. Default 50 MiB. */
  maxBytes?: number;
  /** Rotated files kept (`path.1` … `path.N`). Default 5; 0 keeps none (the file is truncated). */
  maxFiles?: number;
  /** fsync after every batch (slower; survives power loss). Default false. */
  fsync?: boolean;
  /** Mode of created files. Default 0o640. */
  mode?: number;
  name?: string;
}

export interface FileSinkStats {
  rotations: number;
  bytes: number;
}

export class FileSink implements SinkBackend {
  readonly name: string;
  private readonly path: string;
  private readonly format: AlertFormat;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly fsync: boolean;
  private readonly mode: number;
  private fh: FileHandle | undefined;
  private size = 0;
  /** Only regular files are rotated (never /dev/null or a FIFO someone pointed us at). */
  private regular = true;
  /** Inode of the open file, and when the path was last checked against it (ms). */
  private ino = 0;
  private checkedAt = 0;
  readonly counters: FileSinkStats = { rotations: 0, bytes: 0 };

  constructor(opts: FileSinkOptions) {
    this.name = opts.name ?? 'file';
    this.path = opts.path;
    this.format = opts.format ?? 'json';
    this.maxBytes = opts.maxBytes ?? 50 * 1024 * 1024;
    this.maxFiles = opts.maxFiles ?? 5;
    this.fsync = opts.fsync ?? false;
    this.mode = opts.mode ?? 0o640;
  }

  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o750 });
    this.fh = await open(this.path, 'a', this.mode);
    const st = await this.fh.stat();
    this.regular = st.isFile();
    this.size = this.regular ? st.size : 0;
    this.ino = st.ino;
    this.checkedAt = Date.now();
  }

  /**
   * Someone else rotated or deleted the file (logrotate without copytruncate, rm): at most once a
   * second, compare the path's inode with ours and reopen the path when they differ, so alerts
   * do not go on into an unlinked file.
   */
  private async followPath(): Promise<void> {
    const now = Date.now();
    if (now - this.checkedAt < 1000 || !this.regular) return;
    this.checkedAt = now;
    const st = await stat(this.path).catch(() => undefined);
    if (st && st.ino === this.ino) return;
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    await this.open();
  }

  async write(batch: readonly Alert[]): Promise<void> {
    await this.followPath();
    if (!this.fh) throw Object.assign(new Error(`${this.path} is not open`), { code: 'EBADF' });
    // Common case: the whole batch fits before the rotation threshold, so it is encoded and
    // written as one buffer. Otherwise it is cut line by line at the threshold.
    const text = batch.map((a) => formatAlert(a, this.format)).join('');
    const whole = Buffer.from(text);
    if (!this.regular || this.size + whole.length <= this.maxBytes) {
      await this.writeOut([whole], whole.length);
    } else {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for (const a of batch) {
        const line = Buffer.from(formatAlert(a, this.format));
        if (this.size + pendingBytes + line.length > this.maxBytes && this.size + pendingBytes > 0) {
          await this.writeOut(pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
          await this.rotate();
        }
        pending.push(line);
        pendingBytes += line.length;
      }
      await this.writeOut(pending, pendingBytes);
    }
    if (this.fsync) await this.fh.sync();
  }

  private async writeOut(bufs: Buffer[], bytes: number): Promise<void> {
    if (!bytes || !this.fh) return;
    const buf = bufs.length === 1 ? bufs[0] : Buffer.concat(bufs, bytes);
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
    this.size += bytes;
    this.counters.bytes += bytes;
  }

  /** path → path.1 → … → path.maxFiles (deleted beyond), then a fresh path. */
  private async rotate(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
    if (this.maxFiles <= 0) {
      await rm(this.path, { force: true });
    } else {
      await rm(`${this.path}.${this.maxFiles}`, { force: true });
      for (let i = this.maxFiles - 1; i >= 1; i--) {
        await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
      }
      await rename(this.path, `${this.path}.1`);
    }
    this.counters.rotations++;
    this.fh = await open(this.path, 'a', this.mode);
    this.size = 0;
    this.ino = (await this.fh.stat()).ino;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }
}

/** Paths of the live file and its rotated copies that exist, newest first. */
export async function rotatedFiles(path: string, maxFiles: number): Promise<string[]> {
  const out: string[] = [];
  for (const p of [path, ...Array.from({ length: maxFiles }, (_, i) => `${path}.${i + 1}`)]) {
    if (
      await stat(p).then(
        () => true,
        () => false,
      )
    )
      out.push(p);
  }
  return out;
}

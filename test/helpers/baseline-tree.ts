// A generated tree for baseline tests, the mutations the baseline must report, and what each
// mutation must (and may) show. Every mutation here needs no privilege beyond owning the tree;
// root-only mutations (owner, group, capabilities, chattr, device nodes) are in the kernel tier.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  chmodSync,
  appendFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { keygen } from '../../src/baseline/signing.js';
import { loadSettings, type BaselineSettings } from '../../src/baseline/config.js';
import type { Attribute, Change } from '../../src/baseline/types.js';
import type { JournalWriter } from '../../src/baseline/journal.js';
import type { AgentJournal, JournalAgent } from '../../src/baseline/since-last.js';

export const NEWLINE_NAME = 'new\nline';
export const BAD_UTF8_NAME = Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x74]); // "bad\xff\xfe.t"

export const BIG_SIZE = 2_200_000_000; // ≥ 2 GB, sparse: costs no disk

export function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

export function makeSocket(path: string): void {
  // Node's net server removes its socket file on close; python leaves it, like a crashed daemon.
  sh('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', path]);
}

export function pathBuf(root: string, name: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${root}/`), typeof name === 'string' ? Buffer.from(name) : name]);
}

/** Builds the tree; `big` adds the ≥ 2 GB sparse file. */
export function buildTree(root: string, opts: { big?: boolean } = {}): void {
  mkdirSync(root, { recursive: true });
  const w = (name: string, data: string | Buffer) => writeFileSync(join(root, name), data);
  w('content.txt', 'hello world 1\n');
  w('mode.txt', 'mode\n');
  w('xattr.txt', 'xattr\n');
  w('acl.txt', 'acl\n');
  w('hard.txt', 'hard\n');
  w('swap', 'a file that becomes a directory\n');
  mkdirSync(join(root, 'swapdir'));
  w('swapdir/child', 'child\n');
  w('rename-from', 'renamed\n');
  w('delete.txt', 'deleted\n');
  symlinkSync('content.txt', join(root, 'link'));
  sh('mkfifo', [join(root, 'fifo')]);
  makeSocket(join(root, 'old.sock'));
  mkdirSync(join(root, 'dir1'));
  w(NEWLINE_NAME, 'newline\n');
  writeFileSync(pathBuf(root, BAD_UTF8_NAME), 'bad utf8\n');
  // Sparse: 8 MiB with one block of data in the middle.
  const fd = openSync(join(root, 'sparse'), 'w');
  writeSync(fd, Buffer.from('data in the middle'), 0, 18, 4 << 20);
  truncateSync(join(root, 'sparse'), 8 << 20);
  closeSync(fd);
  if (opts.big) truncateSync((writeFileSync(join(root, 'big'), ''), join(root, 'big')), BIG_SIZE);
  // Untouched entries: any report on them is a false positive.
  mkdirSync(join(root, 'untouched/deep/er'), { recursive: true });
  for (let i = 0; i < 40; i++) w(`untouched/f${i}`, `file ${i}\n`.repeat(i + 1));
  w('untouched/deep/er/leaf', 'leaf\n');
  symlinkSync('../content.txt', join(root, 'untouched/rel-link'));
  symlinkSync('/nonexistent/target', join(root, 'untouched/dangling'));
  linkSync(join(root, 'untouched/f1'), join(root, 'untouched/f1-hardlink'));
  sh('mkfifo', [join(root, 'untouched/fifo')]);
}

export interface Expectation {
  kind: Change['kind'];
  /** Attributes that must be reported (changed only). */
  must?: Attribute[];
  /** Attributes that may also be reported (timestamps of a parent, ...). */
  may?: Attribute[];
}

/** Applies every mutation; returns the exact expected report keyed by path (hex of bytes). */
export function mutateTree(root: string, opts: { big?: boolean } = {}): Map<string, Expectation> {
  const exp = new Map<string, Expectation>();
  const at = (name: string | Buffer, e: Expectation) => exp.set(pathBuf(root, name).toString('hex'), e);
  const p = (n: string) => join(root, n);

  // Content with the same size and restored mtime (the blind spot of mtime+size caches).
  // touch -r copies the nanoseconds (utimes from JS would round them to microseconds).
  const ref = `${root}.mtime-ref`;
  sh('touch', ['-r', p('content.txt'), ref]);
  writeFileSync(p('content.txt'), 'HELLO WORLD 1\n');
  sh('touch', ['-r', ref, p('content.txt')]);
  unlinkSync(ref);
  at('content.txt', { kind: 'changed', must: ['sha256', 'ctime'] });

  chmodSync(p('mode.txt'), 0o600);
  at('mode.txt', { kind: 'changed', must: ['mode', 'ctime'] });

  sh('setfattr', ['-n', 'user.bulwark', '-v', 'test', p('xattr.txt')]);
  at('xattr.txt', { kind: 'changed', must: ['xattrs', 'ctime'] });

  sh('setfacl', ['-m', 'u:4321:r', p('acl.txt')]);
  at('acl.txt', { kind: 'changed', must: ['acl', 'ctime'], may: ['mode'] });

  unlinkSync(p('link'));
  symlinkSync('mode.txt', p('link'));
  at('link', { kind: 'changed', must: ['target', 'size'], may: ['inode', 'mtime', 'ctime'] });

  linkSync(p('hard.txt'), p('dir1/hard2'));
  at('hard.txt', { kind: 'changed', must: ['nlink', 'ctime'] });
  at('dir1/hard2', { kind: 'added' });
  at('dir1', { kind: 'changed', must: ['mtime', 'ctime'] });

  rmSync(p('swap'));
  mkdirSync(p('swap'));
  at('swap', {
    kind: 'changed',
    must: ['type'],
    may: ['mode', 'size', 'inode', 'nlink', 'mtime', 'ctime', 'flags'],
  });
  rmSync(p('swapdir'), { recursive: true });
  writeFileSync(p('swapdir'), 'now a file\n');
  at('swapdir', {
    kind: 'changed',
    must: ['type'],
    may: ['mode', 'size', 'inode', 'nlink', 'mtime', 'ctime', 'flags'],
  });
  at('swapdir/child', { kind: 'removed' });

  renameSync(p('rename-from'), p('rename-to'));
  at('rename-from', { kind: 'removed' });
  at('rename-to', { kind: 'added' });

  unlinkSync(p('delete.txt'));
  at('delete.txt', { kind: 'removed' });

  writeFileSync(p('added.txt'), 'added\n');
  at('added.txt', { kind: 'added' });
  sh('mkfifo', [p('fifo2')]);
  at('fifo2', { kind: 'added' });
  makeSocket(p('new.sock'));
  at('new.sock', { kind: 'added' });

  chmodSync(p(NEWLINE_NAME), 0o640);
  at(NEWLINE_NAME, { kind: 'changed', must: ['mode', 'ctime'] });
  appendFileSync(pathBuf(root, BAD_UTF8_NAME), 'more\n');
  at(BAD_UTF8_NAME, { kind: 'changed', must: ['size', 'sha256', 'mtime', 'ctime'] });

  // One byte written into a hole: same size, new content.
  const fd = openSync(p('sparse'), 'r+');
  writeSync(fd, Buffer.from('X'), 0, 1, 1 << 20);
  closeSync(fd);
  at('sparse', { kind: 'changed', must: ['sha256', 'mtime', 'ctime'] });
  if (opts.big) {
    const bfd = openSync(p('big'), 'r+');
    writeSync(bfd, Buffer.from('Z'), 0, 1, BIG_SIZE - 1);
    closeSync(bfd);
    at('big', { kind: 'changed', must: ['sha256', 'mtime', 'ctime'] });
  }
  // The root directory: entries added and removed.
  exp.set(Buffer.from(root).toString('hex'), { kind: 'changed', must: ['mtime', 'ctime'], may: ['nlink'] });
  return exp;
}

/** Compares a report to the expectations; returns human-readable mismatches (empty = exact). */
export function mismatches(changes: Change[], exp: Map<string, Expectation>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const c of changes) {
    const k = c.path.toString('hex');
    seen.add(k);
    const e = exp.get(k);
    const name = JSON.stringify(c.path.toString('latin1'));
    if (!e) {
      out.push(`false positive: ${c.kind} ${name} (${c.attributes.map((a) => a.attribute).join(',')})`);
      continue;
    }
    if (e.kind !== c.kind) out.push(`${name}: expected ${e.kind}, got ${c.kind}`);
    if (c.kind === 'changed') {
      const got = new Set(c.attributes.map((a) => a.attribute));
      for (const m of e.must ?? [])
        if (!got.has(m)) out.push(`${name}: ${m} not reported (got ${[...got].join(',')})`);
      for (const g of got)
        if (!(e.must ?? []).includes(g) && !(e.may ?? []).includes(g))
          out.push(`${name}: unexpected attribute ${g}`);
    }
  }
  for (const [k, e] of exp)
    if (!seen.has(k))
      out.push(`missed: ${e.kind} ${JSON.stringify(Buffer.from(k, 'hex').toString('latin1'))}`);
  return out;
}

/** A state dir and key pair under `dir`. */
export function testSettings(dir: string, extra: Partial<BaselineSettings> = {}): BaselineSettings {
  const keyFile = join(dir, 'keys', 'baseline-signing.key');
  keygen(keyFile, true);
  return { ...loadSettings({ stateDir: join(dir, 'state'), key: keyFile }), ...extra };
}

/** A real journal writer's position as the agent reports it (ready, synced, watching `trees`). */
export async function writerPosition(w: JournalWriter, trees: string[]): Promise<AgentJournal> {
  return { ...(await w.position()), file: w.file, ready: true, trees, synced: true, failed: null };
}

/** The agent's journal side, played by a real journal writer (the paths are what a test records). */
export function writerAgent(
  w: JournalWriter,
  trees: string[],
  warn?: (code: string, message: string) => void,
): JournalAgent {
  return {
    position: () => writerPosition(w, trees),
    checked: (from, off, digest) => w.checked(from, off, digest),
    ...(warn ? { warn } : {}),
  };
}

// Renderings of baseline results: an AIDE-like text summary for people and stable JSON for tools.
import { renderAclBlob, renderCaps, renderFlags, decodeXattrs } from './attrs.js';
import { displayPath, jsonPath, keyToPath } from './path-key.js';
import { formatRates } from './progress.js';
import type { CheckResult, ScanStats } from './engine.js';
import type { VersionRow } from './store.js';
import type { Change, Entry } from './types.js';
import { DIGEST_ALGOS } from './types.js';

/** Exit bitmask of `bulwark baseline check`. */
export const CHECK_EXIT = {
  ADDED: 1,
  REMOVED: 2,
  CHANGED: 4,
  ENTRY_ERRORS: 8,
  REFUSED: 32,
  FAILED: 64,
} as const;

export const CHECK_EXIT_HELP = `Exit status (bitmask; add the values):
   0  no differences, every entry read
   1  entries were added
   2  entries were removed
   4  entries were changed
   8  some entries could not be read fully (permissions, vanished, changed during the scan)
  32  the baseline failed verification (tampered, rolled back, other key): nothing compared
  64  the check could not run (no baseline, no key, unreadable store, usage error)
  e.g. 5 = added and changed; 'test $(( $? & 6 ))' is non-zero when anything was removed or changed.`;

export function checkExitCode(r: CheckResult): number {
  let code = 0;
  if (r.counts.added) code |= CHECK_EXIT.ADDED;
  if (r.counts.removed) code |= CHECK_EXIT.REMOVED;
  if (r.counts.changed) code |= CHECK_EXIT.CHANGED;
  if (r.counts.errors || r.counts.unstable) code |= CHECK_EXIT.ENTRY_ERRORS;
  return code;
}

export function nsIso(ns: bigint): string {
  return `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

export function versionLine(v: VersionRow): string {
  return `version ${v.id} (${v.state}, ${nsIso(v.createdNs).slice(0, 19)}Z by ${v.actor} on ${v.host}, ${v.entries.toLocaleString('en-US')} entries, key ${v.keyId}${v.reason ? `, "${v.reason}"` : ''})`;
}

export function statsLine(s: ScanStats): string {
  return `${s.entries.toLocaleString('en-US')} entries, ${s.files.toLocaleString('en-US')} files, ${(s.bytes / 1e6).toFixed(1)} MB read in ${s.seconds.toFixed(2)} s (${formatRates(s.files, s.bytes, s.seconds)})`;
}

function tag(c: Change): string {
  const parts: string[] = [];
  if (c.package) parts.push(c.package.name ? `${c.package.class}: ${c.package.name}` : c.package.class);
  if (c.unstable) parts.push('changed during scan');
  return parts.length ? `  [${parts.join('; ')}]` : '';
}

export function checkText(r: CheckResult, title = 'check'): string {
  const c = r.counts;
  const lines = [
    `Bulwark baseline ${title} against ${versionLine(r.version)}`,
    `Mode: ${r.mode} check${r.note ? ` (${r.note})` : ''}`,
    `Scanned ${statsLine(r.stats)}`,
    `Summary: ${c.added} added, ${c.removed} removed, ${c.changed} changed` +
      ` (${c.packageConsistent} package-consistent, ${c.unexplained} unexplained); ${c.errors} unreadable, ${c.unstable} changed during scan`,
  ];
  for (const kind of ['added', 'removed', 'changed'] as const) {
    const list = r.changes.filter((x) => x.kind === kind);
    if (!list.length) continue;
    lines.push('', `${kind[0].toUpperCase()}${kind.slice(1)} entries:`);
    for (const x of list) {
      const e = x.new ?? x.old;
      lines.push(`  ${e?.type ?? '?'} ${displayPath(x.path)}${tag(x)}`);
      for (const a of x.attributes) lines.push(`      ${a.attribute.padEnd(10)} ${a.old} → ${a.new}`);
    }
  }
  if (r.problems.length) {
    lines.push('', 'Entries not read fully:');
    for (const p of r.problems.slice(0, 200))
      lines.push(`  ${displayPath(keyToPath(p.key))}: ${p.error ?? 'changed during the scan'}`);
    if (r.problems.length > 200) lines.push(`  ... and ${r.problems.length - 200} more (--json lists all)`);
  }
  if (!r.changes.length && !r.problems.length) lines.push('', 'No differences.');
  return lines.join('\n');
}

export function entryJson(e: Entry & { pkg?: string | null }): Record<string, unknown> {
  const digests: Record<string, string> = {};
  for (const a of DIGEST_ALGOS) if (e.digests[a]) digests[a] = (e.digests[a] as Buffer).toString('hex');
  const xattrs: Record<string, string> = {};
  for (const [n, v] of decodeXattrs(e.xattrs)) xattrs[n] = v.toString('base64');
  return {
    path: jsonPath(keyToPath(e.key)),
    type: e.type,
    mode: e.mode.toString(8).padStart(4, '0'),
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    mtime: nsIso(e.mtimeNs),
    ctime: nsIso(e.ctimeNs),
    inode: String(e.inode),
    nlink: e.nlink,
    dev: String(e.dev),
    ...(e.rdev ? { rdev: String(e.rdev) } : {}),
    ...(e.target ? { target: jsonPath(e.target) } : {}),
    ...(e.xattrs ? { xattrs } : {}),
    ...(e.acl ? { acl: renderAclBlob(e.acl) } : {}),
    ...(e.selinux ? { selinux: e.selinux.toString('utf8').replace(/\0$/, '') } : {}),
    ...(e.caps ? { caps: renderCaps(e.caps), capsHex: e.caps.toString('hex') } : {}),
    ...(e.flags >= 0 ? { flags: renderFlags(e.flags) } : {}),
    digests,
    ...(e.pkg ? { package: e.pkg } : {}),
    ...(e.error ? { error: e.error } : {}),
    ...(e.scanFlags ? { changedDuringScan: true } : {}),
  };
}

export function changeJson(c: Change): Record<string, unknown> {
  return {
    kind: c.kind,
    path: jsonPath(c.path),
    type: (c.new ?? c.old)?.type,
    attributes: c.attributes,
    ...(c.package ? { package: c.package } : {}),
    ...(c.unstable ? { changedDuringScan: true } : {}),
  };
}

export function versionJson(v: VersionRow): Record<string, unknown> {
  return {
    id: v.id,
    parent: v.parent,
    state: v.state,
    created: nsIso(v.createdNs),
    actor: v.actor,
    host: v.host,
    reason: v.reason,
    command: v.command,
    digests: v.algos,
    scope: JSON.parse(v.scope) as unknown,
    entries: v.entries,
    keyId: v.keyId,
    digest: v.digest?.toString('hex') ?? null,
  };
}

export function checkJson(r: CheckResult): Record<string, unknown> {
  return {
    version: versionJson(r.version),
    mode: r.mode,
    ...(r.note ? { note: r.note } : {}),
    ...(r.fullReason ? { fullReason: r.fullReason } : {}),
    ...(r.sinceLast ? { sinceLast: r.sinceLast } : {}),
    stats: r.stats,
    counts: r.counts,
    exit: checkExitCode(r),
    changes: r.changes.map(changeJson),
    problems: r.problems.map((p) => ({
      path: jsonPath(keyToPath(p.key)),
      error: p.error ?? 'changed during the scan',
    })),
  };
}

/** JSON as the CLI prints it: two-space indent, bigints as decimal strings, one newline. */
export function jsonText(v: unknown): string {
  return `${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x), 2)}\n`;
}

/**
 * What `baseline check` prints on stdout for a result, `--json` or text: one function for the CLI
 * and for the agent that renders a since-last check it ran for the CLI (src/app/baseline-delegate.ts).
 */
export function checkOutput(r: CheckResult, json: boolean): string {
  return json ? jsonText(checkJson(r)) : `${checkText(r)}\n`;
}

// uid → user name from /etc/passwd (host users; a container's own /etc/passwd is not consulted,
// as KubeArmor's UserName is for host alerts). Cached; the file is re-read when its mtime
// changes, checked at most once per second.
import { readFileSync, statSync } from 'node:fs';

export class UserNames {
  private names = new Map<number, string>();
  private mtimeMs = -1;
  private checkedAt = 0;

  constructor(
    private readonly file = '/etc/passwd',
    private readonly now: () => number = Date.now,
  ) {}

  private refresh(): void {
    const t = this.now();
    if (t - this.checkedAt < 1000 && this.mtimeMs >= 0) return;
    this.checkedAt = t;
    let m: number;
    try {
      m = statSync(this.file).mtimeMs;
    } catch {
      this.names.clear();
      this.mtimeMs = 0;
      return;
    }
    if (m === this.mtimeMs) return;
    this.mtimeMs = m;
    this.names = parsePasswd(readFileSync(this.file, 'utf8'));
  }

  /** The user's name, or '' when the uid has no passwd entry (or is unknown, -1). */
  name(uid: number): string {
    if (uid < 0) return '';
    this.refresh();
    return this.names.get(uid) ?? '';
  }
}

/** Parses passwd lines `name:x:uid:gid:...`; the first entry of a uid wins, as getpwuid does. */
export function parsePasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    const uid = Number(f[2]);
    if (Number.isInteger(uid) && !out.has(uid)) out.set(uid, f[0]);
  }
  return out;
}

// Paths are bytes. The store keys entries by the path with every '/' replaced by NUL: comparing
// keys as bytes (memcmp, SQLite's BLOB order) then orders paths component by component, which is
// exactly the order of a depth-first walk whose directory listings are sorted as bytes. Both the
// walker and the store rely on this, so the diff is a merge-join of two sorted streams.

const SLASH = 0x2f;

/** Control characters, DEL or backslash: the name needs escaping. */
function hasSpecial(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

export function pathToKey(path: Buffer): Buffer {
  const k = Buffer.from(path);
  for (let i = 0; i < k.length; i++) if (k[i] === SLASH) k[i] = 0;
  return k;
}

export function keyToPath(key: Buffer): Buffer {
  const p = Buffer.from(key);
  for (let i = 0; i < p.length; i++) if (p[i] === 0) p[i] = SLASH;
  return p;
}

export function compareKeys(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

/**
 * A path for humans: valid UTF-8 printable text as is; control characters, backslash and invalid
 * bytes escaped as \n, \t, \\ and \xHH, so a name with a newline stays on one report line and
 * the escaping is reversible (see unescapePath).
 */
export function displayPath(path: Buffer): string {
  const s = path.toString('utf8');
  if (Buffer.byteLength(s) === path.length && !s.includes('\ufffd') && !hasSpecial(s)) return s;
  let out = '';
  let i = 0;
  while (i < path.length) {
    const b = path[i];
    if (b === 0x5c) {
      out += '\\\\';
      i++;
    } else if (b === 0x0a) {
      out += '\\n';
      i++;
    } else if (b === 0x09) {
      out += '\\t';
      i++;
    } else if (b < 0x20 || b === 0x7f) {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i++;
    } else if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
    } else {
      const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      const chunk = path.subarray(i, i + len);
      const dec = chunk.toString('utf8');
      if (len > 1 && chunk.length === len && !dec.includes('\ufffd') && Buffer.from(dec).equals(chunk)) {
        out += dec;
        i += len;
      } else {
        out += `\\x${b.toString(16).padStart(2, '0')}`;
        i++;
      }
    }
  }
  return out;
}

/** Inverse of displayPath: `\\`, `\n`, `\t`, `\xHH` back to bytes. */
export function unescapePath(s: string): Buffer {
  if (!s.includes('\\')) return Buffer.from(s);
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const n = s[i + 1];
      if (n === '\\') {
        bytes.push(0x5c);
        i++;
        continue;
      }
      if (n === 'n') {
        bytes.push(0x0a);
        i++;
        continue;
      }
      if (n === 't') {
        bytes.push(0x09);
        i++;
        continue;
      }
      if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
        bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
        i += 3;
        continue;
      }
    }
    const cp = s.codePointAt(i) ?? 0;
    if (cp > 0xffff) i++;
    bytes.push(...Buffer.from(String.fromCodePoint(cp)));
  }
  return Buffer.from(bytes);
}

/** Path bytes as JSON-safe data: a string when it is valid UTF-8, else base64 under `b64`. */
export function jsonPath(path: Buffer): string | { b64: string } {
  const s = path.toString('utf8');
  return Buffer.from(s).equals(path) ? s : { b64: path.toString('base64') };
}

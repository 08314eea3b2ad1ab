// AppArmor-style globs for `matchPatterns`, compiled to anchored regular expressions.
//   *      any characters within one path component (not '/')
//   **     any characters across components (including '/')
//   ?      one character, not '/'
//   [abc] [a-z] [^abc] [!abc]   one character from (or not from) a class, never '/'
//   {a,b}  alternatives, which may nest and contain globs
//   \x     the character x literally
// Everything else is literal. Unlike KubeArmor's feeder (Go regexp + filepath.Match), `**` really
// crosses directories and a pattern is never silently dropped: invalid ones are reported.

export class GlobError extends Error {
  /** 0-based offset in the pattern where the problem was found. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'GlobError';
    this.offset = offset;
  }
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function escapeRe(ch: string): string {
  return ch.replace(REGEX_SPECIAL, '\\$&');
}

/** Compiles a glob into an anchored RegExp; throws GlobError on malformed input. */
export function compileGlob(pattern: string): RegExp {
  return new RegExp(`^${globToRegexSource(pattern)}$`, 'su');
}

export function globToRegexSource(pattern: string): string {
  let out = '';
  let i = 0;
  const braces: number[] = []; // offsets of open '{'
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === '\\') {
      if (i + 1 >= pattern.length) throw new GlobError('pattern ends with a lone "\\"', i);
      out += escapeRe(pattern[i + 1]);
      i += 2;
    } else if (ch === '*') {
      if (pattern[i + 1] === '*') {
        out += '.*';
        i += 2;
        while (pattern[i] === '*') i++; // *** is **
      } else {
        out += '[^/]*';
        i++;
      }
    } else if (ch === '?') {
      out += '[^/]';
      i++;
    } else if (ch === '[') {
      const { source, end } = readClass(pattern, i);
      out += source;
      i = end;
    } else if (ch === '{') {
      braces.push(i);
      out += '(?:';
      i++;
    } else if (ch === ',' && braces.length > 0) {
      out += '|';
      i++;
    } else if (ch === '}') {
      if (braces.length === 0) throw new GlobError('"}" without a matching "{"', i);
      braces.pop();
      out += ')';
      i++;
    } else {
      out += escapeRe(ch);
      i++;
    }
  }
  if (braces.length > 0) throw new GlobError('"{" is never closed', braces[braces.length - 1]);
  return out;
}

function readClass(pattern: string, start: number): { source: string; end: number } {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '^' || pattern[i] === '!') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === ']' && !first) {
      // A class never matches '/', so '/' cannot be smuggled across components.
      const source = negate ? `[^/${body}]` : `(?![/])[${body}]`;
      return { source, end: i + 1 };
    }
    if (ch === '\\' && i + 1 < pattern.length) {
      body += escapeClassChar(pattern[i + 1]);
      i += 2;
    } else {
      body += ch === '-' ? '-' : escapeClassChar(ch);
      i++;
    }
    first = false;
  }
  throw new GlobError('"[" is never closed', start);
}

function escapeClassChar(ch: string): string {
  return /[\]\\^-]/.test(ch) ? `\\${ch}` : ch;
}

/**
 * The longest literal directory prefix of a pattern (ending in '/'), used to bucket patterns so a
 * lookup only tests patterns that can match beneath an ancestor of the path. '' when the pattern
 * does not start with a literal '/'.
 */
export function literalDirPrefix(pattern: string): string {
  let end = pattern.length;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*' || ch === '?' || ch === '[' || ch === '{' || ch === '\\') {
      end = i;
      break;
    }
  }
  const lit = pattern.slice(0, end);
  if (!lit.startsWith('/')) return '';
  const slash = lit.lastIndexOf('/');
  return normaliseDirKey(lit.slice(0, slash + 1));
}

function normaliseDirKey(dir: string): string {
  return dir.replace(/\/{2,}/g, '/');
}

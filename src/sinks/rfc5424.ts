// RFC 5424 syslog messages for alerts:
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [bulwark@32473 k="v" ...] BOM{json alert}
// PRI = facility * 8 + severity, with severity from the alert's outcome (Block/denied: warning,
// Audit: notice, everything else: informational). MSGID is the alert Type. The structured data
// element uses the documentation enterprise number 32473 (RFC 5612). Framing for stream
// transports follows RFC 6587: octet counting (`LEN SP MSG`) or a trailing LF.
import type { Alert } from '../alert/types.js';
import { formatJson } from '../alert/format.js';

export const FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type Facility = keyof typeof FACILITIES;

export const SD_ID = 'bulwark@32473';
const BOM = '\ufeff';

/** Syslog severity (0 emerg … 7 debug) of an alert. */
export function syslogSeverity(a: Alert): number {
  if (a.Action === 'Block' || a.Result === 'Permission denied') return 4;
  if (a.Action?.startsWith('Audit')) return 5;
  return 6;
}

/** PRINTUSASCII without spaces, at most max characters; `-` when empty (the NILVALUE). */
function header(v: string | undefined, max: number): string {
  const s = (v ?? '').replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return s || '-';
}

function sdValue(v: string): string {
  return v.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

export interface Rfc5424Options {
  facility?: Facility;
  appName?: string;
  /** Used when the alert has no HostName. */
  hostname?: string;
  procId?: number;
}

/** One RFC 5424 message (no framing). */
export function formatRfc5424(a: Alert, opts: Rfc5424Options = {}): string {
  const pri = FACILITIES[opts.facility ?? 'local0'] * 8 + syslogSeverity(a);
  const params: [string, string | undefined][] = [
    ['type', a.Type],
    ['operation', a.Operation],
    ['action', a.Action],
    ['result', a.Result],
    ['policy', a.PolicyName],
    ['namespace', a.NamespaceName],
    ['container', a.ContainerName],
    ['resource', a.Resource],
  ];
  const sd = params
    .filter(([, v]) => v)
    .map(([k, v]) => ` ${k}="${sdValue(v as string)}"`)
    .join('');
  return (
    `<${pri}>1 ${header(a.UpdatedTime, 32)} ${header(a.HostName || opts.hostname, 255)} ` +
    `${header(opts.appName ?? 'bulwark', 48)} ${header(String(opts.procId ?? process.pid), 128)} ` +
    `${header(a.Type, 32)} [${SD_ID}${sd}] ${BOM}${formatJson(a)}`
  );
}

export type Framing = 'octet-counting' | 'lf';

/** A message framed for a stream transport (RFC 6587). */
export function frame(msg: string, framing: Framing): Buffer {
  const body = Buffer.from(msg);
  if (framing === 'lf') return Buffer.concat([body, Buffer.from('\n')]);
  return Buffer.concat([Buffer.from(`${body.length} `), body]);
}

export interface ParsedRfc5424 {
  pri: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: Record<string, Record<string, string>>;
  msg: string;
}

const HEAD_RE = /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /;

/** Parses a message written by formatRfc5424 (and other RFC 5424 messages); throws when malformed. */
export function parseRfc5424(text: string): ParsedRfc5424 {
  const m = HEAD_RE.exec(text);
  if (!m) throw new Error(`not an RFC 5424 message: ${text.slice(0, 80)}`);
  let i = m[0].length;
  const sd: Record<string, Record<string, string>> = {};
  if (text[i] === '-') i++;
  else {
    while (text[i] === '[') {
      const idEnd = text.slice(i).search(/[ \]]/) + i;
      const id = text.slice(i + 1, idEnd);
      const params: Record<string, string> = {};
      i = idEnd;
      while (text[i] === ' ') {
        const eq = text.indexOf('="', i);
        const name = text.slice(i + 1, eq);
        let j = eq + 2;
        let v = '';
        while (j < text.length && text[j] !== '"') {
          if (text[j] === '\\' && '"\\]'.includes(text[j + 1])) j++;
          v += text[j++];
        }
        params[name] = v;
        i = j + 1;
      }
      if (text[i] !== ']') throw new Error('unterminated structured data');
      sd[id] = params;
      i++;
    }
  }
  let msg = text[i] === ' ' ? text.slice(i + 1) : '';
  if (msg.startsWith(BOM)) msg = msg.slice(1);
  return {
    pri: Number(m[1]),
    version: Number(m[2]),
    timestamp: m[3],
    hostname: m[4],
    appName: m[5],
    procId: m[6],
    msgId: m[7],
    sd,
    msg,
  };
}

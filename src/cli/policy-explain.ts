// `bulwark policy explain`: the verdict for one file operation, the rule that made it, and every
// other rule that matched and why it lost or did not apply. Offline: reads policy files only.
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { BulwarkError } from '../common/errors.js';
import { formatDiagnostic } from '../common/diagnostic.js';
import { resolveHostPath } from '../common/realpath.js';
import {
  compile,
  describeRule,
  explain,
  loadPolicies,
  OPERATIONS,
  policyName,
  type CompiledRule,
  type Explanation,
  type Operation,
  type Posture,
  type RuleSet,
  type Subject,
} from '../policy/index.js';
import { coverageText, landlockAbi, planForSubject } from '../sensor/index.js';
import { EXIT } from './exit-codes.js';
import { collect, parseLabelOptions } from './option-parsers.js';

interface ExplainOpts {
  policies: string[];
  op: Operation;
  path: string;
  secondPath?: string;
  exe: string;
  label: string[];
  namespace: string;
  uid: string;
  owner?: string;
  secondOwner?: string;
  tty?: string;
  host?: string | boolean;
  posture?: Posture;
  hostPosture?: Posture;
  resolve: boolean;
  json?: boolean;
}

function parseUid(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new BulwarkError('CLI_USAGE', `${flag} expects a numeric uid, got "${v}"`);
  return Number(v);
}

export function registerPolicyExplain(policy: Command): void {
  policy
    .command('explain')
    .description('Explain the decision for one file operation: verdict, winning rule, rules that lost')
    .requiredOption('-p, --policies <path...>', 'policy files or directories')
    .addOption(new Option('--op <operation>', 'the operation').choices([...OPERATIONS]).makeOptionMandatory())
    .requiredOption('--path <path>', 'absolute path operated on (for rename/link: the source)')
    .option('--second-path <path>', 'destination of a rename or link')
    .option('--exe <path>', 'real path of the acting executable (for fromSource rules)', '')
    .option('-l, --label <k=v>', 'workload label (repeatable, or comma-separated)', collect, [])
    .option('-n, --namespace <ns>', 'workload namespace', 'default')
    .option('--uid <uid>', 'uid of the caller', '0')
    .option('--owner <uid>', 'owner uid of the file (for creations: of the parent directory)')
    .option('--second-owner <uid>', 'owner uid for --second-path')
    .option('--tty <tty>', 'controlling terminal of the caller, e.g. pts/0 (for pts rules)')
    .option('--host [hostname]', 'the subject is the host (host policies); hostname defaults to this one')
    .addOption(new Option('--posture <posture>', 'default posture for workloads').choices(['audit', 'block']))
    .addOption(
      new Option('--host-posture <posture>', 'default posture for the host').choices(['audit', 'block']),
    )
    .option('--no-resolve', 'match rules as written only; do not resolve symlinks such as /sbin → /usr/sbin')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      `
Operations: ${OPERATIONS.join(', ')}.
Verdicts: allow, audit, block, posture-audit, posture-block (default posture in whitelist mode).

Examples:
  bulwark policy explain --policies policies/ --op create --path /sbin/file \\
      --exe /usr/bin/touch --label app=mysql --namespace wordpress-mysql
  bulwark policy explain -p hsp.yaml --host --op write --path /etc/passwd --exe /usr/bin/vi --json

Exit codes: 0 explained (whatever the verdict), 1 the policies are invalid, 2 usage error.`,
    )
    .action((opts: ExplainOpts) => {
      process.exitCode = runExplain(opts);
    });
}

function runExplain(opts: ExplainOpts): number {
  if (!opts.path.startsWith('/'))
    throw new BulwarkError('CLI_USAGE', `--path must be absolute, got "${opts.path}"`);
  if ((opts.op === 'rename' || opts.op === 'link') && opts.secondPath === undefined)
    process.stderr.write(
      `bulwark: note: --op ${opts.op} checks both ends; give --second-path for the destination\n`,
    );
  const loaded = loadPolicies(opts.policies);
  for (const d of [...loaded.errors, ...loaded.warnings]) {
    if (d.level === 'error' || !opts.json) process.stderr.write(`${formatDiagnostic(d)}\n`);
  }
  if (!loaded.ok) {
    process.stderr.write('bulwark: the policies have errors; fix them first (bulwark policy check)\n');
    return loaded.errors.some((e) => e.code === 'BW0002') ? EXIT.USAGE : EXIT.FINDINGS;
  }
  const rs = compile(loaded.policies, {
    posture: { workload: opts.posture, host: opts.hostPosture },
    resolve: opts.resolve ? resolveHostPath : undefined,
  });
  const subject: Subject =
    opts.host !== undefined && opts.host !== false
      ? {
          kind: 'host',
          hostname: typeof opts.host === 'string' ? opts.host : hostname(),
          labels: parseLabelOptions(opts.label),
        }
      : { kind: 'workload', namespace: opts.namespace, labels: parseLabelOptions(opts.label) };
  const req = {
    subject,
    op: opts.op,
    path: opts.path,
    secondPath: opts.secondPath,
    exe: opts.exe,
    uid: parseUid('--uid', opts.uid) ?? 0,
    fileOwnerUid: parseUid('--owner', opts.owner),
    secondOwnerUid: parseUid('--second-owner', opts.secondOwner),
    tty: opts.tty ?? null,
  };
  const ex = explain(rs, req);
  const enforcement = enforcementOn(rs, ex, req);
  process.stdout.write(
    opts.json
      ? `${JSON.stringify({ ...toJson(rs, ex, req), enforcement }, null, 2)}\n`
      : renderText(rs, ex, req) + (enforcement ? `\nenforcement on this host: ${enforcement.text}\n` : ''),
  );
  return EXIT.OK;
}

/** The kernel's Landlock ABI, 0 when it has none or the launcher is not built. */
function safeLandlockAbi(): number {
  try {
    return landlockAbi();
  } catch {
    return 0;
  }
}

interface Enforcement {
  status: 'prevented' | 'prevented-broader' | 'detected-only';
  text: string;
}

/**
 * How this host carries out a refusing verdict: Landlock for workloads (per rule and operation,
 * from the workload's plan), detection only for the host unless BPF-LSM loads (bulwark probe).
 * Null when the verdict refuses nothing.
 */
function enforcementOn(
  rs: RuleSet,
  ex: Explanation,
  req: { subject: Subject; op: Operation },
): Enforcement | null {
  const d = ex.decision;
  if (d.verdict !== 'block' && d.verdict !== 'posture-block') return null;
  if (req.subject.kind === 'host')
    return {
      status: 'detected-only',
      text: 'detected only on hosts without BPF-LSM: the change is reported as Audit (Block) (see bulwark probe)',
    };
  const abi = safeLandlockAbi();
  if (abi === 0) return { status: 'detected-only', text: 'detected only: this kernel has no Landlock' };
  const plan = planForSubject(rs, req.subject, abi);
  const entry = plan.coverage.find((c) => c.ruleId === d.ruleId && c.op === req.op);
  if (!entry)
    return d.ruleId === null
      ? { status: 'prevented', text: 'prevented by the Landlock ruleset of the workload (default posture)' }
      : {
          status: 'detected-only',
          text: 'detected only: this rule shapes no Landlock right for this operation',
        };
  return { status: entry.status, text: `${coverageText(entry)} (Landlock ABI ${abi})` };
}

function ruleJson(rs: RuleSet, r: CompiledRule) {
  const p = rs.policies[r.policy];
  return {
    id: r.id,
    policy: p.name,
    kind: p.kind,
    namespace: p.namespace ?? null,
    file: r.pos.file,
    line: r.pos.line,
    col: r.pos.col,
    field: r.field,
    action: r.action,
    severity: r.severity,
    tags: r.tags,
    message: r.message,
    text: describeRule(r),
  };
}

function toJson(
  rs: RuleSet,
  ex: Explanation,
  req: { subject: Subject; op: string; path: string; exe: string },
) {
  const d = ex.decision;
  return {
    verdict: d.verdict,
    reason: d.reason,
    end: d.end,
    rule: d.ruleId !== null ? ruleJson(rs, rs.rules[d.ruleId - 1]) : null,
    subject: req.subject,
    op: req.op,
    exe: req.exe,
    whitelist: ex.whitelist,
    posture: ex.posture,
    rulesetVersion: rs.version,
    ends: ex.ends.map((e) => ({
      end: e.end,
      path: e.path,
      verdict: e.decision.verdict,
      reason: e.decision.reason,
      ruleId: e.decision.ruleId,
      rules: e.rules.map((r) => ({ ...r, rule: ruleJson(rs, rs.rules[r.ruleId - 1]) })),
    })),
  };
}

const REASON_TEXT: Record<string, string> = {
  'violates-rule': 'the operation violates the rule',
  'allowed-by-rule': 'an Allow rule permits it',
  'outside-allow-rule':
    'an Allow rule matched but does not permit this operation; the default posture applies',
  'permitted-by-rule': 'a rule matched but does not forbid this operation, and no other rule does',
  'no-allow-rule':
    'no rule matched and the workload is in whitelist mode (it has Allow rules); the default posture applies',
  'no-rule': 'no rule matched',
};

function renderText(
  rs: RuleSet,
  ex: Explanation,
  req: { subject: Subject; op: string; path: string; secondPath?: string; exe: string; uid: number },
): string {
  const out: string[] = [];
  const d = ex.decision;
  const s = req.subject;
  const who =
    s.kind === 'host'
      ? `host ${s.hostname}`
      : `workload in namespace ${s.namespace} with labels {${Object.entries(s.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}}`;
  out.push(`verdict: ${d.verdict.toUpperCase()}`);
  out.push(
    `  ${REASON_TEXT[d.reason]}${req.secondPath !== undefined ? ` (decided by the ${d.end === 'path' ? 'source' : 'destination'})` : ''}`,
  );
  out.push(`operation: ${req.op} ${req.path}${req.secondPath !== undefined ? ` → ${req.secondPath}` : ''}`);
  out.push(`  by ${req.exe || '(executable not given)'} uid ${req.uid}, ${who}`);
  out.push(
    `  whitelist mode: ${ex.whitelist ? 'yes' : 'no'}; default posture: ${ex.posture}; rule set ${rs.version}`,
  );
  if (d.ruleId !== null) {
    const r = rs.rules[d.ruleId - 1];
    const p = rs.policies[r.policy];
    const title =
      d.reason === 'permitted-by-rule' ? 'matched rule (does not forbid this operation)' : 'winning rule';
    out.push('', `${title} #${r.id}: ${describeRule(r)}`);
    out.push(`  policy ${policyName(p)} (${p.kind})`);
    out.push(`  at ${r.pos.file}:${r.pos.line}:${r.pos.col} (${r.field})`);
    const meta = [
      r.severity ? `severity ${r.severity}` : '',
      r.tags.length ? `tags ${r.tags.join(',')}` : '',
      r.message ? `message "${r.message}"` : '',
    ].filter(Boolean);
    if (meta.length) out.push(`  ${meta.join('; ')}`);
  }
  for (const e of ex.ends) {
    const others = e.rules.filter((r) => r.ruleId !== d.ruleId || e.end !== d.end);
    if (others.length === 0) continue;
    const label = ex.ends.length > 1 ? ` (${e.end === 'path' ? 'source' : 'destination'} ${e.path})` : '';
    out.push('', `other rules that match the path${label}:`);
    for (const r of others) {
      const rule = rs.rules[r.ruleId - 1];
      out.push(`  #${r.ruleId} ${r.status}: ${describeRule(rule)}`);
      out.push(
        `      policy ${policyName(rs.policies[rule.policy])} at ${rule.pos.file}:${rule.pos.line}; ${r.why}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

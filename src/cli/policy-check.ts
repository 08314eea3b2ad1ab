// `bulwark policy check PATH...`: validates KubeArmor policy files and directories offline, prints
// findings like a compiler, then one summary line per file and a total. Exit 0 when every file is
// valid, 1 when any is rejected, 2 when an argument is unusable (not found, no policy files).
import type { Command } from 'commander';
import type { Diagnostic } from '../common/diagnostic.js';
import { formatDiagnostic } from '../common/diagnostic.js';
import { codes } from '../common/errors.js';
import { loadPolicies } from '../policy/load.js';
import type { FileSummary, LoadResult } from '../policy/types.js';
import { EXIT } from './exit-codes.js';

interface CheckOptions {
  json?: boolean;
  quiet?: boolean;
}

/** Codes that mean the command line named something unusable. */
const USAGE_CODES = new Set([codes.FILE_NOT_FOUND.code, codes.POLICY_NOTHING_FOUND.code]);

const HELP_AFTER = `
Each file may hold several YAML documents ("---") or a "kind: List". KubeArmorPolicy,
KubeArmorHostPolicy and KubeArmorClusterPolicy documents are validated as the KubeArmor CRDs do;
other kinds (CiliumNetworkPolicy, NetworkPolicy, ...) are skipped with a warning. A file with
any error is rejected whole. Directories are searched recursively for .yaml, .yml and .json.

Output: one line per finding, "file:line:col level CODE message (field)", with "found:" and
"fix:" lines; then "file: ok, N policies, ..." or "file: REJECTED, N errors" per file; then a
total. Codes are listed in docs/errors.md.

Examples:
  bulwark policy check policies/
  bulwark policy check ksp-fim.yaml hsp-etc.yaml --quiet
  bulwark policy check ../shared/corpus/kubearmor-policy-templates --json | jq '.errors[]'

Exit codes:
  0  every file is valid (warnings allowed)
  1  at least one file was rejected
  2  usage error: no path given, a path does not exist, a directory has no policy files`;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(f: FileSummary): string {
  if (!f.ok) return `${f.file}: REJECTED, ${plural(f.errors, 'error')}`;
  const parts = [`${f.file}: ok`, `${f.policies} ${f.policies === 1 ? 'policy' : 'policies'}`];
  if (f.skipped > 0) parts.push(`${f.skipped} skipped`);
  if (f.warnings > 0) parts.push(plural(f.warnings, 'warning'));
  return parts.join(', ');
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.col - b.col;
}

function textReport(r: LoadResult, quiet: boolean): string {
  const lines: string[] = [];
  const byFile = new Map<string, Diagnostic[]>();
  const findings = quiet ? r.errors : [...r.errors, ...r.warnings];
  for (const d of findings) {
    const list = byFile.get(d.file) ?? [];
    list.push(d);
    byFile.set(d.file, list);
  }
  for (const list of byFile.values()) for (const d of list.sort(byPosition)) lines.push(formatDiagnostic(d));
  for (const f of r.files) if (!quiet || !f.ok) lines.push(summaryLine(f));
  const rejected = r.files.filter((f) => !f.ok).length;
  lines.push(
    `total: ${plural(r.files.length, 'file')} checked, ${rejected} rejected, ` +
      `${r.policies.length} ${r.policies.length === 1 ? 'policy' : 'policies'} accepted, ` +
      `${plural(r.errors.length, 'error')}, ${plural(r.warnings.length, 'warning')}`,
  );
  return `${lines.join('\n')}\n`;
}

function jsonReport(r: LoadResult): string {
  const out = {
    ok: r.ok,
    files: r.files,
    errors: r.errors,
    warnings: r.warnings,
    policies: r.policies.map((p) => ({
      kind: p.kind,
      name: p.name,
      namespace: p.namespace ?? null,
      file: p.pos.file,
      line: p.pos.line,
      rules: p.rules.length,
    })),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Runs the check and returns the exit code (exported for tests and `npm run demo`). */
export function runPolicyCheck(paths: string[], opts: CheckOptions, write: (s: string) => void): number {
  const r = loadPolicies(paths);
  write(opts.json ? jsonReport(r) : textReport(r, opts.quiet === true));
  if (r.errors.some((d) => USAGE_CODES.has(d.code))) return EXIT.USAGE;
  return r.ok ? EXIT.OK : EXIT.FINDINGS;
}

export function registerPolicyCheck(policy: Command): void {
  policy
    .command('check')
    .description('Validate KubeArmor policy files and directories as the KubeArmor CRDs do')
    .argument('<path...>', 'policy files (.yaml, .yml, .json) or directories to search recursively')
    .option('--json', 'print one JSON object: {ok, files, errors, warnings, policies}')
    .option('-q, --quiet', 'print only errors, rejected files and the total line')
    .addHelpText('after', HELP_AFTER)
    .action((paths: string[], opts: CheckOptions) => {
      process.exitCode = runPolicyCheck(paths, opts, (s) => process.stdout.write(s));
    });
}

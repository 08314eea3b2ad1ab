// A stable text dump of a compiled RuleSet, for golden tests and `bulwark policy check --dump`.
import { describeRule, describeSelector, policyName } from './describe.js';
import type { RuleSet } from './types.js';

export function dumpRuleSet(rs: RuleSet): string {
  const out: string[] = [];
  const p = rs.posture;
  const ns = Object.entries(p.namespaces)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  out.push(`ruleset ${rs.version}: ${rs.policies.length} policies, ${rs.rules.length} rules`);
  out.push(`posture: workload=${p.workload} host=${p.host}${ns ? ` namespaces{${ns}}` : ''}`);
  rs.policies.forEach((pol, pi) => {
    out.push(
      `policy ${pol.kind} ${policyName(pol)} (${describeSelector(pol.selector)}) action=${pol.action}`,
    );
    if (pol.unenforced.length > 0) out.push(`  not enforced: ${pol.unenforced.join(', ')}`);
    for (const r of rs.rules) {
      if (r.policy !== pi) continue;
      const meta = [
        `severity=${r.severity}`,
        `tags=[${r.tags.join(',')}]`,
        `message=${JSON.stringify(r.message)}`,
        `at ${r.field}`,
      ];
      out.push(`  #${r.id} ${describeRule(r)} ${meta.join(' ')}`);
    }
  });
  return `${out.join('\n')}\n`;
}

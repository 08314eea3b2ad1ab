// Renders docs/errors.md from the catalogue, so the documentation cannot drift from the code.
import { codeAreas } from './errors.js';
import type { CodeEntry } from './codes/types.js';

const AREA_TITLES: Record<string, string> = {
  general: 'General (BW0xxx)',
  policy: 'Policies (BW1xxx)',
  bpf: 'BPF-LSM enforcer (BW2xxx)',
  sensor: 'Kernel layer: sandbox, audit, fanotify, probe (BW3xxx)',
  config: 'Agent configuration (BW4xxx)',
  alert: 'Alerts, sinks and the alert store (BW6xxx)',
  api: 'gRPC and HTTP API (BW7xxx)',
  baseline: 'Signed baseline (BW5xxx)',
  agent: 'Agent, bulwark run and status (BW8xxx)',
};

export function renderErrorsDoc(): string {
  const lines = [
    '# Error and warning codes',
    '',
    'Generated from `src/common/codes/*.ts` by `npm run gen:errors`; do not edit by hand.',
    'Codes are stable: a retired code is never reused. Errors reject the input; warnings inform.',
    '',
  ];
  for (const [area, entries] of Object.entries(codeAreas)) {
    lines.push(`## ${AREA_TITLES[area] ?? area}`, '');
    const list = Object.values(entries as Record<string, CodeEntry>).sort((a, b) =>
      a.code.localeCompare(b.code),
    );
    for (const e of list) {
      lines.push(`### ${e.code}`, '', `**${e.title}** (${e.level})`, '', e.help, '');
    }
  }
  return lines.join('\n');
}

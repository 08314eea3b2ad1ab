// Layering rule (docs/architecture.md): a folder under src/ may import only folders that come
// before it in STAGES. Checked by test/unit/architecture.test.ts.
const STAGES = [
  'common',
  'config',
  'policy',
  'sensor',
  'enrich',
  'engine',
  'alert',
  'sinks',
  'baseline',
  'api',
  'app',
  'cli',
];

const forbidden = STAGES.slice(0, -1).map((stage, i) => ({
  name: `layer-${stage}`,
  comment: `src/${stage}/ may import only ${STAGES.slice(0, i).join(', ') || 'nothing in src/'}`,
  severity: 'error',
  from: { path: `(^|/)src/${stage}/` },
  to: { path: `(^|/)src/(${STAGES.slice(i + 1).join('|')})/` },
}));

forbidden.push({
  name: 'no-circular',
  comment: 'modules must not depend on each other in a cycle',
  severity: 'error',
  from: {},
  to: { circular: true },
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};

// Golden dumps of compiled rule sets for a few real policies (the seed and corpus files). A change
// in compilation shows up as a diff; regenerate with UPDATE_GOLDEN=1 after checking it is right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile, dumpRuleSet, loadPolicies } from '../../src/policy/index.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const corpus = `${repo}../shared/corpus/kubearmor-policy-templates`;
const golden = `${repo}test/fixtures/policies/golden`;

const CASES: Record<string, string> = {
  'seed-fim': `${repo}deploy/policies/fim.yaml`,
  'hsp-log-removal': `${corpus}/nist/system/hsp-nist-au-3-block-removal-of-log-files.yaml`,
  'ksp-patterns': `${corpus}/redis/system/ksp-redis-hardening-rule-audit-redis-log-files.yaml`,
  'ksp-allow': `${corpus}/nist/system/ksp-ac-3-4-access-enforcement-discretionary-access-control-file.yaml`,
  'hsp-cis-admin-conf': `${corpus}/cis/system/hsp-cis-1.1.13-admin-conf-block.yaml`,
};

for (const [name, file] of Object.entries(CASES)) {
  test(`golden rule-set dump: ${name}`, (t) => {
    if (!existsSync(file)) {
      // The corpus lives beside the repository (shared/); without it there is nothing to compare.
      assert.fail(`missing input ${file}`);
    }
    const loaded = loadPolicies([file]);
    assert.ok(loaded.ok, JSON.stringify(loaded.errors));
    const dump = dumpRuleSet(compile(loaded.policies));
    const path = `${golden}/${name}.txt`;
    if (process.env.UPDATE_GOLDEN === '1') {
      writeFileSync(path, dump);
      t.diagnostic(`wrote ${path}`);
    }
    assert.equal(dump, readFileSync(path, 'utf8'));
  });
}

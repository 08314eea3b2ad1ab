// Public surface of the policy stage.
export * from './types.js';
export { compile, DEFAULT_POSTURE } from './compiler.js';
export { decide, ruleMatchesPath, candidatesFor, evaluateRule, VERDICT_STRICTNESS } from './decide.js';
export { rulesFor, isWhitelist, postureFor, viewOf } from './subject.js';
export { selectorMatches } from './selector.js';
export { compileGlob, GlobError } from './glob.js';
export { normalisePath, normaliseDir } from './paths.js';
export {
  explain,
  type Explanation,
  type EndExplanation,
  type RuleVerdict,
  type RuleStatus,
} from './explain.js';
export { dumpRuleSet } from './dump.js';
export { describeRule, describeSelector, policyName } from './describe.js';
export { loadPolicies, parsePolicyText } from './load.js';
export { findPolicyFiles, isPolicyFileName, POLICY_EXTENSIONS } from './sources.js';
export { readDocuments, type RawDocument, type PosMap, type Pos } from './reader.js';

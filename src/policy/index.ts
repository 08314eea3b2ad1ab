// Public surface of the policy stage.
export * from './types.js';
export { compile, DEFAULT_POSTURE } from './compiler.js';
export { decide, ruleMatchesPath, candidatesFor, evaluateRule, VERDICT_STRICTNESS } from './decide.js';
export { rulesFor, isWhitelist, postureFor, viewOf } from './subject.js';
export { selectorMatches } from './selector.js';
export { compileGlob, GlobError } from './glob.js';
export { normalisePath, normaliseDir } from './paths.js';

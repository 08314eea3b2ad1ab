// The Landlock plan of one subject, straight from a compiled RuleSet: the rules whose policies
// select it, its whitelist mode and posture (policy's rulesFor/isWhitelist/postureFor).
import { isWhitelist, postureFor, rulesFor } from '../policy/index.js';
import type { RuleSet, Subject } from '../policy/types.js';
import { planLandlock, type LandlockPlan, type PlanFs } from './landlock-plan.js';

export function planForSubject(ruleSet: RuleSet, subject: Subject, abi: number, fs?: PlanFs): LandlockPlan {
  return planLandlock({
    rules: rulesFor(ruleSet, subject),
    whitelist: isWhitelist(ruleSet, subject),
    posture: postureFor(ruleSet, subject),
    abi,
    fs,
  });
}

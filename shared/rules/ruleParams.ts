// Rule parameters are checked when a project is saved, with the same per-action schema the job applies when it runs
// (shared/jira/automation.ts customDataSchemas, read by parseParams in the workflows), so a mistyped rule is a 400
// naming the rule and the field at PUT time rather than a job failing with params_invalid on the next Jira event.
// Only validated here: what is stored is what the admin wrote, and the job parses it again (dates are normalised
// there). Unknown fields are refused, as they are in Automation custom data, so a typo cannot be silently ignored.
import type { z } from 'zod';
import { customDataSchemas } from '../jira/automation.js';
import type { Action } from '../actions.js';
import type { Rule } from './projectSettings.js';

/** The schema each action's job reads its params with; actions missing here read no params. */
const paramSchemas: Partial<Record<Action, z.ZodObject>> = {
  ...customDataSchemas,
  // cancel-booking runs the booking job (shared/workflows/booking.ts), which parses with the booking schema.
  'cancel-booking': customDataSchemas.booking,
};

/** The first problem with the rules' params, naming the rule (index, trigger, action) and the field; or undefined. */
export function ruleParamsProblem(rules: readonly Rule[] | undefined): string | undefined {
  for (const [index, rule] of (rules ?? []).entries()) {
    const schema = paramSchemas[rule.action];
    if (!schema || rule.params === undefined) continue;
    const parsed = schema.strict().safeParse(rule.params);
    if (parsed.success) continue;
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? `params.${issue.path.join('.')}` : (issue as { keys?: string[] }).keys?.map((k) => `params.${k}`).join(', ') ?? 'params';
    return `rules.${index} (${rule.when} → ${rule.action}): ${field}: ${issue.message}`;
  }
  return undefined;
}

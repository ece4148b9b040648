// The real Functions host's registration rules, in one place for the local stand-in host (dev/host.ts) and the
// deployment bundle check (scripts/bundle.mjs --verify, which bundles this file with esbuild: import only
// dependency-free modules of dev/). A function that breaks one is "in error": the host logs it, gives it no route and no listener, and
// runs the others. Sources (../shared/contracts/functions-host.md has the table):
// - Azure/azure-functions-host src/WebJobs.Script/Host/ScriptHost.cs `ValidateHttpFunction` / `HttpRoutesConflict`:
//   a route template (no route: the function name), trimmed of '/' and lower-cased, must not start with `admin` or
//   `runtime` ("The specified route conflicts with one or more built in routes."); two HTTP functions whose
//   templates are equal (trimmed, case-insensitive) and whose methods intersect (none listed = all) conflict, and
//   the later one is in error ("The route specified conflicts with the route defined by function '{name}'.").
// - same repo, src/WebJobs.Script/Utility.cs: function names match `^[a-z][a-z0-9_\-]{0,127}$` (ignore case) and are
//   not `host` ("'{name}' is not a valid function name."); binding names match `^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$`
//   ("The binding name {name} is invalid. Please assign a valid name to the binding.").
// - `AddFunctionError` / ScriptHostLoggerExtension: "The '{name}' function is in error: {error}" (errors flattened
//   with a trailing period, Utility.FlattenException).
// - Timer schedules on Flex Consumption must be NCRONTAB; TimeSpan schedules are not supported (Microsoft Learn,
//   "Timer trigger for Azure Functions", "NCRONTAB expressions" / "TimeSpan"). The wording of that refusal is ours;
//   an expression that is not NCRONTAB either gets the timer extension's "The schedule expression '{schedule}' was
//   not recognized as a valid cron expression or timespan string." (azure-webjobs-sdk-extensions TimerSchedule).

import { parseSchedule } from './ncrontab.js';

export interface BindingMetadata {
  type: string;
  direction?: string;
  [setting: string]: unknown;
}

/** A registration as `@azure/functions` hands it to the worker: name and bindings keyed by binding name. */
export interface FunctionRegistration {
  name: string;
  bindings: Record<string, BindingMetadata>;
}

export interface RegistrationError {
  name: string;
  message: string;
}

export interface RegistrationOptions {
  /**
   * Value of an app setting for `%NAME%` in a timer schedule. Undefined (the bundle check, where settings are not
   * known) skips schedules that use a setting.
   */
  setting?: (name: string) => string | undefined;
}

const FUNCTION_NAME = /^[a-z][a-z0-9_-]{0,127}$/i;
const BINDING_NAME = /^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$/;
const TIMESPAN = /^\s*(?:\d+\.)?\d+:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?\s*$/;

/**
 * A `%NAME%` binding expression with no such app setting: the WebJobs SDK's indexing error, worded as real host logs
 * show it ("Error indexing method 'Functions.{name}'. ... '%NAME%' does not resolve to a value."; taken from
 * reported host logs, not read in the SDK's source).
 */
export function unresolved(functionName: string, setting: string): string {
  return `Error indexing method 'Functions.${functionName}'. '%${setting}%' does not resolve to a value.`;
}

/** The line the host logs for a function it left out. */
export function inErrorLine(error: RegistrationError): string {
  const message = /\.$/.test(error.message) ? error.message : `${error.message}.`;
  return `The '${error.name}' function is in error: ${message}`;
}

export function isHttpTrigger(binding: BindingMetadata): boolean {
  return /^httpTrigger$/i.test(binding.type);
}

function triggerOf(fn: FunctionRegistration): BindingMetadata | undefined {
  return Object.values(fn.bindings).find((b) => /trigger$/i.test(b.type));
}

/** The route the host serves: the binding's `route`, or the function name when there is none. */
export function routeTemplate(fn: FunctionRegistration): string | undefined {
  const trigger = triggerOf(fn);
  if (!trigger || !isHttpTrigger(trigger)) return undefined;
  const route = typeof trigger.route === 'string' && trigger.route.trim() !== '' ? trigger.route : fn.name;
  return route;
}

function methodsOf(trigger: BindingMetadata): string[] {
  return Array.isArray(trigger.methods) ? trigger.methods.map((m) => String(m).toUpperCase()) : [];
}

function routesConflict(a: BindingMetadata & { template: string }, b: BindingMetadata & { template: string }): boolean {
  if (a.template.replace(/^\/+|\/+$/g, '').toLowerCase() !== b.template.replace(/^\/+|\/+$/g, '').toLowerCase()) return false;
  const ma = methodsOf(a);
  const mb = methodsOf(b);
  // No methods means all methods, which intersects with anything.
  if (ma.length === 0 || mb.length === 0) return true;
  return ma.some((m) => mb.includes(m));
}

/**
 * Applies the host's rules in registration order. `valid` keeps the order; a function listed in `errors` must get
 * no route, listener or timer.
 */
export function validateRegistrations(
  functions: readonly FunctionRegistration[],
  options: RegistrationOptions = {},
): { valid: FunctionRegistration[]; errors: RegistrationError[] } {
  const valid: FunctionRegistration[] = [];
  const errors: RegistrationError[] = [];
  const http: { name: string; trigger: BindingMetadata & { template: string } }[] = [];
  for (const fn of functions) {
    const message = check(fn);
    if (message) errors.push({ name: fn.name, message });
    else valid.push(fn);
  }
  return { valid, errors };

  function check(fn: FunctionRegistration): string | undefined {
    if (!FUNCTION_NAME.test(fn.name) || fn.name.toLowerCase() === 'host') return `'${fn.name}' is not a valid function name.`;
    for (const name of Object.keys(fn.bindings)) {
      if (!BINDING_NAME.test(name)) return `The binding name ${name} is invalid. Please assign a valid name to the binding.`;
    }
    const trigger = triggerOf(fn);
    if (!trigger) return `Function '${fn.name}' has no trigger binding.`;
    if (isHttpTrigger(trigger)) {
      const template = routeTemplate(fn) ?? fn.name;
      const normalized = template.replace(/^\/+|\/+$/g, '').toLowerCase();
      if (normalized.startsWith('admin') || normalized.startsWith('runtime')) {
        return 'The specified route conflicts with one or more built in routes.';
      }
      const mine = { ...trigger, template };
      const other = http.find((h) => routesConflict(mine, h.trigger));
      if (other) return `The route specified conflicts with the route defined by function '${other.name}'.`;
      http.push({ name: fn.name, trigger: mine });
    }
    if (/^timerTrigger$/i.test(trigger.type)) {
      const raw = typeof trigger.schedule === 'string' ? trigger.schedule : '';
      let schedule: string | undefined = raw;
      if (/%[^%]+%/.test(raw)) {
        if (!options.setting) return undefined;
        const missing: string[] = [];
        schedule = raw.replace(/%([^%]+)%/g, (_, name: string) => {
          const value = options.setting!(name);
          if (value === undefined) missing.push(name);
          return value ?? '';
        });
        if (missing.length > 0) return unresolved(fn.name, missing[0]!);
      }
      if (TIMESPAN.test(schedule)) {
        return `The schedule "${schedule}" is a TimeSpan; Flex Consumption and Consumption plans accept only NCRONTAB expressions ("{second} {minute} {hour} {day} {month} {day-of-week}").`;
      }
      try {
        parseSchedule(schedule);
      } catch {
        return `The schedule expression '${schedule}' was not recognized as a valid cron expression or timespan string.`;
      }
    }
    return undefined;
  }
}

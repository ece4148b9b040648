// The one wrapper every function runs in: a preInvocation hook (registered once, when any function file imports
// this module) runs each handler inside a log scope whose sink is the invocation's own logger and whose
// dimensions start with the invocation id. Application Insights links a trace to the request or queue message only
// when it is written through the invocation context (context.log/warn/error), not through console.
// Hooks: https://learn.microsoft.com/azure/azure-functions/functions-node-hooks (programming model v4.1+).
import { app, type InvocationContext } from '@azure/functions';
import { runWithLogScope, type LogSink } from '../../shared/log.js';

export function invocationLogSink(context: InvocationContext): LogSink {
  return (level, line) => {
    if (level === 'error') context.error(line);
    else if (level === 'warn') context.warn(line);
    else if (level === 'debug') context.debug(line);
    else context.log(line);
  };
}

/** Runs `run` as the invocation `context`: every app log line goes through it and carries its id. */
export function inInvocationScope<T>(context: InvocationContext, run: () => T): T {
  return runWithLogScope(
    { sink: invocationLogSink(context), dimensions: { invocationId: context.invocationId, functionName: context.functionName } },
    run,
  );
}

let registered = false;

/** Registers the hook once per process; every function file imports this module, so load order does not matter. */
export function observeInvocations(): void {
  if (registered) return;
  registered = true;
  app.hook.preInvocation((hook) => {
    const handler = hook.functionHandler;
    hook.functionHandler = (trigger: unknown, context: InvocationContext) => inInvocationScope(context, () => handler(trigger, context));
  });
}

observeInvocations();

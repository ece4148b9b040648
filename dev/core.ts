// Local stand-in for the Azure Functions host (dev and tests only; never deployed, not app code).
//
// `@azure/functions` v4 talks to the host's Node worker through a module it `require`s by the name
// `@azure/functions-core` (node_modules/@azure/functions/dist/azure-functions.js: `tryGetCoreApiLazy`). It calls
// `setProgrammingModel(model)`, `registerFunction(metadata, handler)`, `registerHook(name, cb)` and `log(...)`.
// This file supplies that module, records every registration, and invokes a function the way the real worker does
// (Azure/azure-functions-nodejs-worker src/eventHandlers/InvocationHandler.ts): the library's own
// `InvocationModel` turns an RPC-shaped `InvocationRequest` into real `HttpRequest` / `InvocationContext` objects
// and the handler's result back into RPC `returnValue` / `outputData`.

import { randomUUID } from 'node:crypto';
import Module from 'node:module';
import { recordRequest, recordTrace } from './telemetry.js';

/** RPC `TypedData` (azure-functions-language-worker-protobuf), the subset this host produces or consumes. */
export interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  int?: number;
  double?: number;
  http?: RpcHttp;
}

export interface RpcHttp {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: RpcTypedData;
  statusCode?: string;
  cookies?: RpcHttpCookie[];
}

export interface RpcHttpCookie {
  name: string;
  value: string;
  domain?: { value: string };
  path?: { value: string };
  expires?: { value: { seconds: number } };
  secure?: { value: boolean };
  httpOnly?: { value: boolean };
  sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone';
  maxAge?: { value: number };
}

export interface RpcBinding {
  type: string;
  direction: 'in' | 'out';
  [setting: string]: unknown;
}

interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, RpcBinding>;
}

type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
type LogCategory = 'user' | 'system' | 'customMetric';

interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: Handler): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<InvocationResponse>;
}

interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
}

type Handler = (...args: unknown[]) => unknown;
type HookCallback = (context: Record<string, unknown>) => unknown;

export interface InvocationResponse {
  invocationId: string;
  returnValue?: RpcTypedData | null;
  outputData?: { name: string; data: RpcTypedData }[];
}

/** What the host knows about one registered function; `listFunctions()` returns these. */
export interface FunctionInfo {
  name: string;
  /** Trigger binding type as registered: `httpTrigger`, `queueTrigger`, `timerTrigger`, ... */
  triggerType: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
  queueName?: string;
  connection?: string;
  schedule?: string;
  runOnStartup?: boolean;
}

interface RegisteredFunction {
  info: FunctionInfo;
  metadata: CoreFunctionMetadata;
  triggerBindingName: string;
  handler: Handler;
}

export type LogSink = (line: string) => void;

let programmingModel: ProgrammingModel | undefined;
const functions = new Map<string, RegisteredFunction>();
const hooks = new Map<string, HookCallback[]>();
const appHookData: Record<string, unknown> = {};
let logSink: LogSink = (line) => process.stdout.write(line + '\n');

export function setLogSink(sink: LogSink): void {
  logSink = sink;
}

export function hostLog(message: string): void {
  logSink(`[${new Date().toISOString()}] ${message}`);
}

function formatLevel(level: LogLevel): string {
  return level === 'information' ? '' : ` [${level}]`;
}

/** The module object the library gets from `require('@azure/functions-core')`. */
const coreApi = {
  setProgrammingModel(model: ProgrammingModel): void {
    programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return programmingModel;
  },
  registerFunction(metadata: CoreFunctionMetadata, handler: Handler): { dispose(): void } {
    if (functions.has(metadata.name)) {
      // Same message as the real worker (WorkerContext/AppContext), so a duplicate name fails locally too.
      throw new Error(`A function with name "${metadata.name}" has already been registered.`);
    }
    const trigger = Object.entries(metadata.bindings).find(([, b]) => /trigger$/i.test(b.type));
    if (!trigger) throw new Error(`Function "${metadata.name}" has no trigger binding.`);
    const [triggerBindingName, binding] = trigger;
    functions.set(metadata.name, { info: describe(metadata.name, binding), metadata, triggerBindingName, handler });
    return { dispose: () => functions.delete(metadata.name) };
  },
  registerHook(hookName: string, callback: HookCallback): { dispose(): void } {
    const list = hooks.get(hookName) ?? [];
    list.push(callback);
    hooks.set(hookName, list);
    return { dispose: () => list.splice(list.indexOf(callback), 1) };
  },
  log(level: LogLevel, category: LogCategory, message: string): void {
    if (level === 'debug' || level === 'trace') return;
    hostLog(`[worker ${category}]${formatLevel(level)} ${message}`);
  },
};

/** What the host reads from a trigger binding (route, queue, schedule), as `listFunctions()` reports it. */
export function describe(name: string, b: RpcBinding): FunctionInfo {
  const info: FunctionInfo = { name, triggerType: b.type };
  const str = (key: string): string | undefined => (typeof b[key] === 'string' ? (b[key] as string) : undefined);
  if (/^httpTrigger$/i.test(b.type)) {
    // The real host uses the function name when a route is not given.
    info.route = str('route') ?? name;
    info.methods = Array.isArray(b.methods) ? (b.methods as string[]).map((m) => m.toUpperCase()) : ['GET', 'POST'];
    info.authLevel = str('authLevel') ?? 'anonymous';
  } else if (/^queueTrigger$/i.test(b.type)) {
    info.queueName = str('queueName');
    info.connection = str('connection') ?? 'AzureWebJobsStorage';
  } else if (/^timerTrigger$/i.test(b.type)) {
    info.schedule = str('schedule');
    info.runOnStartup = b.runOnStartup === true;
  }
  return info;
}

let installed = false;

/**
 * Makes `require('@azure/functions-core')` return this module. Must run before any function file (and so the
 * library) loads. Only that one request id is intercepted; nothing is added to node_modules.
 */
export function installCoreApi(): void {
  if (installed) return;
  installed = true;
  const mod = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const originalLoad = mod._load;
  mod._load = function (request: string, ...rest: unknown[]) {
    if (request === '@azure/functions-core') return coreApi;
    return originalLoad.call(this, request, ...rest);
  };
}

export function listFunctions(): FunctionInfo[] {
  return [...functions.values()].map((f) => ({ ...f.info }));
}

/** Every registration as the worker reports it to the host (name and bindings), in registration order. */
export function listRegistrations(): { name: string; bindings: Record<string, RpcBinding> }[] {
  return [...functions.values()].map((f) => ({ name: f.metadata.name, bindings: f.metadata.bindings }));
}

export async function runAppHooks(name: 'appStart' | 'appTerminate'): Promise<void> {
  for (const cb of hooks.get(name) ?? []) {
    await cb({ hookData: appHookData, appHookData, functionAppDirectory: process.cwd() });
  }
}

/** An RPC `InvocationRequest`, the shape the library's `InvocationModel` reads. */
export interface InvocationRequest {
  inputData: { name?: string; data: RpcTypedData }[];
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: { retryCount: number; maxRetryCount: number };
}

class CoreInvocationContext {
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  constructor(
    readonly invocationId: string,
    readonly request: { invocationId: string } & Omit<InvocationRequest, 'inputData'> & {
        inputData: { name: string; data: RpcTypedData }[];
      },
    readonly metadata: CoreFunctionMetadata,
  ) {}

  log(level: LogLevel, category: LogCategory, message: string): void {
    recordTrace(this.metadata.name, this.invocationId, level, category, message);
    if (level === 'debug' || level === 'trace') return;
    const tag = category === 'system' ? ' [system]' : '';
    hostLog(`${this.metadata.name} (Id=${this.invocationId})${tag}${formatLevel(level)} ${message}`);
  }
}

/**
 * Invokes a registered function as the Node worker does: library builds the arguments, pre-invocation hooks,
 * handler, post-invocation hooks, library converts the result. A handler's throw rejects with that error.
 * `trigger` is the trigger binding's input data; its binding name is filled in here.
 */
export async function invoke(
  functionName: string,
  trigger: RpcTypedData,
  triggerMetadata: Record<string, RpcTypedData> | undefined,
  reason: string,
  invocationId: string = randomUUID(),
): Promise<InvocationResponse> {
  const fn = functions.get(functionName);
  if (!fn) throw new Error(`Function "${functionName}" is not registered.`);
  if (!programmingModel) throw new Error('@azure/functions did not set a programming model.');
  const coreCtx = new CoreInvocationContext(
    invocationId,
    { invocationId, inputData: [{ name: fn.triggerBindingName, data: trigger }], triggerMetadata },
    fn.metadata,
  );
  const started = Date.now();
  hostLog(`Executing 'Functions.${functionName}' (Reason='${reason}', Id=${invocationId})`);
  const model = programmingModel.getInvocationModel(coreCtx);
  const hookData: Record<string, unknown> = {};
  const { context, inputs: initialInputs } = await model.getArguments();
  const pre = { hookData, appHookData, invocationContext: context, functionCallback: fn.handler, inputs: initialInputs };
  coreCtx.state = 'preInvocationHooks';
  for (const cb of hooks.get('preInvocation') ?? []) await cb(pre);
  coreCtx.state = 'invocation';
  const post: Record<string, unknown> = { hookData, appHookData, invocationContext: context, inputs: pre.inputs };
  post.result = null;
  post.error = null;
  try {
    post.result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
  } catch (err) {
    post.error = err;
  }
  coreCtx.state = 'postInvocationHooks';
  for (const cb of hooks.get('postInvocation') ?? []) await cb(post);
  coreCtx.state = undefined;
  const ms = Date.now() - started;
  if (post.error) {
    const err = post.error instanceof Error ? post.error : new Error(String(post.error));
    hostLog(`Executed 'Functions.${functionName}' (Failed, Id=${invocationId}, Duration=${ms}ms) ${err.stack ?? err.message}`);
    recordRequest({ functionName, invocationId, reason, startedAt: started, trigger, error: err });
    throw err;
  }
  const response = await model.getResponse(context, post.result);
  recordRequest({ functionName, invocationId, reason, startedAt: started, trigger, response });
  hostLog(`Executed 'Functions.${functionName}' (Succeeded, Id=${invocationId}, Duration=${ms}ms)`);
  return response;
}

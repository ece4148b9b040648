// Local stand-in for what Application Insights stores about a run (dev and tests only; never deployed).
//
// The real host sends one `requests` row per invocation and one `traces` row per log line written through the
// invocation's logger. This file writes the same rows, in the same shape (column names as in the Application
// Insights `requests` and `traces` tables), as JSON lines under `.local/telemetry/` (or DEVHOST_TELEMETRY_DIR;
// DEVHOST_TELEMETRY=off switches it off), so the alert and workbook queries in bicep/queries/ can be run locally
// over records produced by real runs (test/unit/monitoring/, test/integration/monitoring.test.ts).
//
// Facts the shape relies on:
// - `success` is "the function did not throw", not the HTTP status: a handler that returns 500 is success=true
//   with resultCode "500" (Azure/azure-webjobs-sdk WebJobsTelemetryInitializer.cs, ../shared/contracts/functions-host.md).
//   An HTTP function that throws is answered 500 by the host: success=false, resultCode "500".
// - Non-HTTP triggers (queue, timer) always have resultCode "0" (Azure/azure-webjobs-sdk issue 1236: "non-Http
//   bindings return a 0 status code"; Azure/azure-functions-host issue 11056).
// - `resultCode` is a string column; `severityLevel` is 0 verbose, 1 information, 2 warning, 3 error, 4 critical
//   (Microsoft Learn, "Application Insights telemetry data model": request and trace telemetry).
// - A worker log line is a trace whose `message` is the text logged, with customDimensions Category
//   "Function.<name>.User", InvocationId and LogLevel, and the invocation's operation_Id / operation_Name
//   (Microsoft Learn, "Monitor executions in Azure Functions": "Log categories").

import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export interface RequestRow {
  itemType: 'request';
  timestamp: string;
  id: string;
  name: string;
  url: string;
  success: boolean;
  resultCode: string;
  duration: number;
  operation_Id: string;
  operation_ParentId: string;
  operation_Name: string;
  cloud_RoleName: string;
  customDimensions: Record<string, string>;
}

export interface TraceRow {
  itemType: 'trace';
  timestamp: string;
  message: string;
  severityLevel: number;
  operation_Id: string;
  operation_ParentId: string;
  operation_Name: string;
  cloud_RoleName: string;
  customDimensions: Record<string, string>;
}

export type TelemetryRow = RequestRow | TraceRow;

const severity: Record<string, number> = { trace: 0, debug: 0, information: 1, warning: 2, error: 3, critical: 4 };
const levelName: Record<string, string> = { trace: 'Trace', debug: 'Debug', information: 'Information', warning: 'Warning', error: 'Error', critical: 'Critical' };

let file: string | null | undefined;

function target(): string | null {
  if (file !== undefined) return file;
  if (/^(off|0|false)$/i.test(process.env.DEVHOST_TELEMETRY ?? '')) return (file = null);
  const dir = process.env.DEVHOST_TELEMETRY_DIR ?? path.join(process.cwd(), '.local', 'telemetry');
  mkdirSync(dir, { recursive: true });
  // One file per host process: concurrent hosts (parallel test files) never interleave partial lines.
  file = path.join(dir, `host-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`);
  return file;
}

function write(row: TelemetryRow): void {
  const out = target();
  if (!out) return;
  try {
    appendFileSync(out, JSON.stringify(row) + '\n');
  } catch {
    // Telemetry is a by-product of a local run; a full disk must not fail an invocation.
  }
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const roleName = () => process.env.WEBSITE_SITE_NAME ?? 'local';

interface Operation {
  operationId: string;
  requestId: string;
}
const operations = new Map<string, Operation>();

function operation(invocationId: string): Operation {
  let op = operations.get(invocationId);
  if (!op) {
    // W3C trace id (16 bytes) and span id (8 bytes), as the host's Activity gives them.
    op = { operationId: hex(16), requestId: hex(8) };
    operations.set(invocationId, op);
  }
  return op;
}

/** One log line of an invocation (worker `user` or `system` category). */
export function recordTrace(functionName: string, invocationId: string, level: string, category: string, message: string): void {
  if (level === 'none' || level === 'debug' || level === 'trace') return; // host.json logLevel: Information
  const op = operation(invocationId);
  write({
    itemType: 'trace',
    timestamp: new Date().toISOString(),
    message,
    severityLevel: severity[level] ?? 1,
    operation_Id: op.operationId,
    operation_ParentId: op.requestId,
    operation_Name: functionName,
    cloud_RoleName: roleName(),
    customDimensions: {
      Category: category === 'user' ? `Function.${functionName}.User` : `Function.${functionName}`,
      InvocationId: invocationId,
      LogLevel: levelName[level] ?? 'Information',
      ProcessId: String(process.pid),
    },
  });
}

/** The invocation's `requests` row, written when it completes. */
export function recordRequest(args: {
  functionName: string;
  invocationId: string;
  reason: string;
  startedAt: number;
  /** The trigger's RPC data: `http` present for HTTP triggers. */
  trigger: { http?: { url?: string; method?: string } };
  /** RPC return value of an HTTP function (its statusCode), when it did not throw. */
  response?: { returnValue?: { http?: { statusCode?: string } } | null };
  error?: unknown;
}): void {
  const op = operation(args.invocationId);
  operations.delete(args.invocationId);
  const http = args.trigger.http;
  const success = args.error === undefined;
  const resultCode = !http ? '0' : !success ? '500' : String(args.response?.returnValue?.http?.statusCode ?? '200');
  write({
    itemType: 'request',
    timestamp: new Date(args.startedAt).toISOString(),
    id: op.requestId,
    name: args.functionName,
    url: http?.url ?? '',
    success,
    resultCode,
    duration: Date.now() - args.startedAt,
    operation_Id: op.operationId,
    operation_ParentId: op.operationId,
    operation_Name: args.functionName,
    cloud_RoleName: roleName(),
    customDimensions: {
      Category: 'Host.Results',
      FullName: `Functions.${args.functionName}`,
      InvocationId: args.invocationId,
      TriggerReason: args.reason,
      LogLevel: success ? 'Information' : 'Error',
    },
  });
}

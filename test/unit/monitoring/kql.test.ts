// The KQL interpreter the alert tests rely on (test/support/kql.ts): it must read the checked-in queries, compute
// what Kusto computes for the subset they use, and refuse what Kusto refuses, or a broken alert would pass locally.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runKql, type Tables } from '../../support/kql.js';
import { queryFiles, readQuery } from '../../support/queries.js';

const trace = (at: string, line: Record<string, unknown>) => ({
  itemType: 'trace',
  timestamp: at,
  message: JSON.stringify(line),
  severityLevel: 1,
  operation_Id: 'op',
  operation_Name: 'opsReport',
  customDimensions: { Category: 'Function.opsReport.User', InvocationId: 'inv' },
});
const request = (name: string, resultCode: string, success = true) => ({
  itemType: 'request',
  timestamp: '2026-12-04T10:00:00.000Z',
  name,
  operation_Name: name,
  resultCode,
  success,
  duration: 5,
  customDimensions: { InvocationId: 'x' },
});

describe('KQL subset', () => {
  it('every checked-in query parses and runs over empty tables', () => {
    const empty: Tables = { requests: [], traces: [] };
    assert.ok(queryFiles().length >= 13);
    for (const name of queryFiles()) assert.doesNotThrow(() => runKql(readQuery(name), empty, { params: { IssueKey: 'A-1' } }), name);
  });

  it('refuses comparing the string resultCode with a number, as Kusto does', () => {
    const tables = { requests: [request('jiraEvents', '500')] };
    assert.throws(() => runKql('requests | where resultCode >= 500', tables), /Cannot compare values of types string and number/);
    assert.equal(runKql('requests | where toint(resultCode) >= 500', tables).length, 1);
  });

  it('refuses comparing a dynamic value before it is converted', () => {
    const tables = { traces: [trace('2026-12-04T10:00:00Z', { event: 'x' })] };
    assert.throws(() => runKql('traces | extend d = parse_json(message) | where d.event == "x"', tables), /dynamic/);
    assert.equal(runKql('traces | extend d = parse_json(message) | where tostring(d.event) == "x"', tables).length, 1);
  });

  it('refuses operators and functions it does not implement instead of guessing', () => {
    const tables = { requests: [] };
    assert.throws(() => runKql('requests | join (traces) on operation_Id', tables), /unsupported operator "join"/);
    assert.throws(() => runKql('requests | where matches_regex(name, "x")', tables), /unsupported function/);
    assert.throws(() => runKql('requests | summarize max(duration)', tables), /name the max\(\) aggregate/);
    assert.throws(() => runKql('nosuchtable | take 1', tables), /unknown table/);
    assert.throws(() => runKql('requests | where name == "{Missing}"', tables), /parameter \{Missing\}/);
    assert.throws(() => runKql('let a = 1; requests', tables, { lets: { b: 2 } }), /declares no "let b"/);
  });

  it('summarize by, arg_max, percentile and in behave like Kusto on a small sample', () => {
    const tables = {
      traces: [
        trace('2026-12-04T10:00:00Z', { event: 'ops.queue', queue: 'a', poisonMessages: 2 }),
        trace('2026-12-04T10:05:00Z', { event: 'ops.queue', queue: 'a', poisonMessages: 0 }),
        trace('2026-12-04T10:05:00Z', { event: 'ops.queue', queue: 'b', poisonMessages: 1 }),
      ],
      requests: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((d) => ({ ...request('jiraEvents', '202'), duration: d })),
    };
    // The newest report decides: queue a was emptied, b still holds one.
    assert.deepEqual(runKql(readQuery('alert-poison'), tables), [{ queue: 'b', timestamp: '2026-12-04T10:05:00.000Z', poisonMessages: 1 }]);
    assert.deepEqual(runKql('requests | summarize p50 = percentile(duration, 50), p95 = percentile(duration, 95), n = count()', tables), [{ p50: 50, p95: 100, n: 10 }]);
    assert.deepEqual(runKql('requests | where operation_Name in ("jiraEvents", "x") | summarize count() by resultCode', tables), [{ resultCode: '202', count_: 10 }]);
    assert.deepEqual(runKql('requests | where operation_Name !in ("jiraEvents") | summarize count()', tables), [{ count_: 0 }]);
  });

  it('the 5xx alert fires on a returned 500 (success=true) and ignores the health verdict', () => {
    const tables = { requests: [request('jiraEvents', '500', true), request('health', '503'), request('chatJobs', '0', false)] };
    assert.deepEqual(runKql(readQuery('alert-http-5xx'), tables), [{ operation_Name: 'jiraEvents', resultCode: '500', failures: 1 }]);
  });
});

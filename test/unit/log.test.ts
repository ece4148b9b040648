// shared/log.ts correlation: inside an invocation's scope every line goes to the invocation's sink and carries its
// dimensions (what Application Insights needs to link and filter lines), concurrent invocations never mix, and the
// redaction still applies to everything.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addLogDimensions, createLogger, invocationSink, noteRequestId, runWithLogScope, type LogSink } from '../../shared/log.js';

function capture(): { sink: LogSink; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { sink: (_level, line) => lines.push(JSON.parse(line)), lines };
}

describe('log scope', () => {
  it('a logger made before the invocation writes through the invocation sink with its dimensions', async () => {
    const log = createLogger(invocationSink, 'debug');
    const a = capture();
    await runWithLogScope({ sink: a.sink, dimensions: { invocationId: 'inv-a' } }, async () => {
      log.info('first');
      addLogDimensions({ siteId: 'site-1', issueKey: 'ABC-1', tenantId: undefined });
      noteRequestId('graph', 'rid-1');
      noteRequestId('graph', 'rid-1');
      noteRequestId('graph', 'rid-2');
      log.with({ jobId: 'job-1' }).warn('second', { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig', note: 'Bearer abc.def' });
    });
    assert.deepEqual(a.lines[0], { level: 'info', event: 'first', invocationId: 'inv-a' });
    assert.deepEqual(a.lines[1], {
      level: 'warn',
      event: 'second',
      invocationId: 'inv-a',
      siteId: 'site-1',
      issueKey: 'ABC-1',
      graphRequestIds: ['rid-1', 'rid-2'],
      jobId: 'job-1',
      token: '[redacted]',
      note: '[redacted]',
    });
  });

  it('two invocations running at once keep their own sink and dimensions', async () => {
    const log = createLogger(invocationSink);
    const a = capture();
    const b = capture();
    // Interleaved on purpose, without timers: a starts, then waits until b has set its dimensions and logged.
    let bLogged!: () => void;
    const afterB = new Promise<void>((resolve) => (bLogged = resolve));
    await Promise.all([
      runWithLogScope({ sink: a.sink, dimensions: { invocationId: 'a' } }, async () => {
        addLogDimensions({ issueKey: 'A-1' });
        await afterB;
        log.info('from-a');
      }),
      runWithLogScope({ sink: b.sink, dimensions: { invocationId: 'b' } }, async () => {
        addLogDimensions({ issueKey: 'B-1' });
        log.info('from-b');
        bLogged();
      }),
    ]);
    assert.deepEqual(a.lines, [{ level: 'info', event: 'from-a', invocationId: 'a', issueKey: 'A-1' }]);
    assert.deepEqual(b.lines, [{ level: 'info', event: 'from-b', invocationId: 'b', issueKey: 'B-1' }]);
  });

  it('outside an invocation nothing is added and dimension calls do nothing', () => {
    const out = capture();
    addLogDimensions({ issueKey: 'X-1' });
    noteRequestId('jira', 'r');
    createLogger(out.sink).info('alone', { a: 1 });
    assert.deepEqual(out.lines, [{ level: 'info', event: 'alone', a: 1 }]);
  });
});

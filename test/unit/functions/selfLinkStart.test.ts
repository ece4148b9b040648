// functions/selfLinkStart.ts with the real @azure/functions HttpRequest and InvocationContext, for the path nobody
// plans: shared/ throws something unexpected (here the app's secret store cannot be read). The adapter
// (functions/lib/http.ts `answer`) answers a generic 500 JSON error that points at the invocation's logs, with no
// message, stack or secret in it, and the error is logged through the invocation context with its id.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { HttpRequest, invocation, invoke, loggedEvents, useAppEnv } from '../../support/functionsAdapter.js';

const { secretsFile } = useAppEnv();
const { selfLinkStart } = await import('../../../functions/selfLinkStart.js');

// A secrets file someone edited by hand into something that is not JSON: a token pasted in as it is. JSON.parse's
// own error message quotes the start of the text it could not read (V8: `Unexpected token 'A', "ATATT3xFfG"... is
// not valid JSON`), so that start must not reach the answer or the logs.
const secret = 'ATATT3xFfGF0-hand-edited-secret';
writeFileSync(secretsFile, `${secret}\n`);

describe('selfLinkStart adapter', () => {
  it('an unexpected failure in shared/ is a 500 internal_error JSON answer with nothing of the error in it, logged with the invocation id', async () => {
    const request = new HttpRequest({ method: 'GET', url: 'http://127.0.0.1:7071/api/self-link/start?invitation=aaa.bbb.ccc' });
    const { context, lines } = invocation('selfLinkStart');
    const response = await invoke(selfLinkStart, request, context);

    assert.equal(response.status, 500);
    assert.match(String(new Headers(response.headers as Record<string, string>).get('content-type')), /^application\/json/);
    const body = JSON.parse(String(response.body)) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'internal_error');
    assert.equal(body.error.message, `unexpected error; see logs for invocation ${context.invocationId}`);
    assert.doesNotMatch(String(response.body), /SyntaxError|JSON|\bat \S+:\d+|secrets\.json/, 'no error text, stack or path');
    assert.ok(!String(response.body).includes(secret.slice(0, 8)));

    const errors = loggedEvents(lines).filter((l) => l.event === 'http.unhandled');
    assert.equal(errors.length, 1, lines.map((l) => l.text).join('\n'));
    assert.equal(errors[0]!.level, 'error');
    assert.equal(errors[0]!.invocationId, context.invocationId, 'correlated with the invocation');
    assert.ok(lines.some((l) => l.level === 'error' && l.text.includes('http.unhandled')), 'written through context.error');
    assert.ok(!lines.some((l) => l.text.includes(secret.slice(0, 8))), `no part of the secret in the logs: ${lines.map((l) => l.text).join('\n')}`);
  });
});

// shared/http/outcome.ts: the checks every body-taking endpoint runs before its handler, each a precise 4xx JSON
// error that names what was wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyTooLarge, fail, invalid, methodNotAllowed, parseJson, redirect, requireBody, requireJson, type RawRequest } from '../../../shared/http/outcome.js';

function request(headers: RawRequest['headers'] = {}, body = ''): RawRequest {
  return { method: 'POST', headers, query: {}, params: {}, body: Buffer.from(body, 'utf8') };
}

const code = (outcome: { body?: unknown } | undefined) => (outcome?.body as { error?: { code?: string } } | undefined)?.error?.code;
const message = (outcome: { body?: unknown } | undefined) => (outcome?.body as { error?: { message?: string } } | undefined)?.error?.message ?? '';

describe('requireJson', () => {
  it('accepts application/json with or without parameters, any case, and +json types', () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json', 'application/json ;charset=utf-8']) {
      assert.equal(requireJson(request({ 'content-type': type })), undefined, type);
    }
  });

  it('answers 415 when the Content-Type is missing, saying so', () => {
    const outcome = requireJson(request());
    assert.equal(outcome?.status, 415);
    assert.equal(code(outcome), 'unsupported_media_type');
    assert.match(message(outcome), /missing/);
  });

  it('answers 415 naming a type that only looks like JSON, and cuts a long header', () => {
    for (const type of ['text/plain', 'application/jsonp', 'application/x-www-form-urlencoded', 'text/json', 'application/json-seq']) {
      const outcome = requireJson(request({ 'content-type': type }));
      assert.equal(outcome?.status, 415, type);
      assert.ok(message(outcome).includes(JSON.stringify(type)), message(outcome));
    }
    const long = requireJson(request({ 'content-type': `text/${'x'.repeat(500)}` }));
    assert.ok(message(long).length < 200, 'the echoed header is cut');
  });
});

describe('parseJson', () => {
  it('parses a UTF-8 JSON body', () => {
    assert.deepEqual(parseJson(request({}, '{"summary":"Drucker brennt – ½"}')), { ok: true, value: { summary: 'Drucker brennt – ½' } });
  });

  it('an empty body is 400 empty_body, not a parse error', () => {
    const result = parseJson(request());
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.outcome.status, 400);
    assert.equal(!result.ok && code(result.outcome), 'empty_body');
  });

  it('malformed JSON is 400 malformed_json with the parser\'s reason, cut short', () => {
    const result = parseJson(request({}, `{"a": ${'['.repeat(10)}`));
    assert.equal(!result.ok && result.outcome.status, 400);
    assert.equal(!result.ok && code(result.outcome), 'malformed_json');
    assert.ok(!result.ok && message(result.outcome).length <= 'the body is not valid JSON: '.length + 120);
  });
});

describe('bodyTooLarge', () => {
  it('allows a body of exactly the limit', () => {
    assert.equal(bodyTooLarge(request({ 'content-length': '10' }, 'x'.repeat(10)), 10), undefined);
  });

  it('answers 413 for a body over the limit, and for a declared Content-Length over it before reading further', () => {
    assert.equal(bodyTooLarge(request({}, 'x'.repeat(11)), 10)?.status, 413);
    const declared = bodyTooLarge(request({ 'content-length': '1000000' }, 'x'), 10);
    assert.equal(declared?.status, 413);
    assert.equal(code(declared), 'body_too_large');
    assert.match(message(declared), /10 bytes/);
  });

  it('ignores a Content-Length that is not a number (the body length still counts)', () => {
    assert.equal(bodyTooLarge(request({ 'content-length': 'lots' }, 'x'), 10), undefined);
  });
});

describe('requireBody', () => {
  it('lets a request with a body through', () => {
    assert.equal(requireBody(request({ 'content-length': '2' }, '{}')), undefined);
  });

  it('a chunked request arrives empty on Azure Functions: 411 body_required naming Content-Length', () => {
    for (const te of ['chunked', 'gzip, chunked', 'Chunked']) {
      const outcome = requireBody(request({ 'transfer-encoding': te }));
      assert.equal(outcome?.status, 411, te);
      assert.equal(code(outcome), 'body_required');
      assert.match(message(outcome), /Content-Length/);
    }
  });

  it('no Content-Length at all is 411 too; an explicit Content-Length: 0 is 400 empty_body', () => {
    assert.equal(requireBody(request())?.status, 411);
    const zero = requireBody(request({ 'content-length': '0' }));
    assert.equal(zero?.status, 400);
    assert.equal(code(zero), 'empty_body');
  });
});

describe('answers', () => {
  it('fail and invalid give the { error: { code, message } } body', () => {
    assert.deepEqual(fail(404, 'not_found', 'no such site'), { status: 404, body: { error: { code: 'not_found', message: 'no such site' } }, headers: undefined });
    assert.deepEqual(invalid({ ok: false, status: 400, code: 'invalid_param', message: 'days must be 1-90' }).body, { error: { code: 'invalid_param', message: 'days must be 1-90' } });
  });

  it('405 lists the allowed methods in Allow, a redirect is never cached', () => {
    const outcome = methodNotAllowed(['GET', 'POST']);
    assert.equal(outcome.status, 405);
    assert.equal(outcome.headers?.Allow, 'GET, POST');
    const r = redirect('https://login.example.test/authorize?state=x', { 'set-cookie': 'a=b' });
    assert.deepEqual(r, { status: 302, headers: { location: 'https://login.example.test/authorize?state=x', 'cache-control': 'no-store', 'set-cookie': 'a=b' } });
  });
});

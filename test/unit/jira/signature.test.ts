// Webhook signatures (shared/jira/signature.ts): `X-Hub-Signature: sha256=<hex>` over the raw bytes, checked in
// constant time against the current and previous secret, and Automation bearer tokens compared safely.
// https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { signBody, tokensEqual, verifySignature } from '../../../shared/jira/signature.js';
import { jiraFixturesDir } from '../../support/repoRoot.js';

const raw = readFileSync(path.join(jiraFixturesDir(), 'issue_created.kanban.json'));

describe('webhook signature', () => {
  it('is the HMAC-SHA256 of the raw body in the sha256=<hex> form Jira sends', () => {
    const expected = createHmac('sha256', 'It’s a secret').update(raw).digest('hex');
    assert.equal(signBody('It’s a secret', raw), `sha256=${expected}`);
    assert.equal(signBody('s', raw.toString('utf8')), signBody('s', raw), 'string and Buffer of the same bytes sign alike');
  });

  it('verifies a body signed with the current secret, and with the previous one during a rotation', () => {
    assert.equal(verifySignature(signBody('new', raw), raw, ['new', 'old']), true);
    assert.equal(verifySignature(signBody('old', raw), raw, ['new', 'old']), true);
    assert.equal(verifySignature(signBody('older', raw), raw, ['new', 'old']), false, 'a secret rotated out no longer verifies');
  });

  it('accepts upper-case hex and surrounding whitespace in the header', () => {
    const header = signBody('s', raw);
    assert.equal(verifySignature(`  sha256=${header.slice(7).toUpperCase()} `, raw, ['s']), true);
  });

  it('refuses a missing, malformed, truncated or wrong-algorithm header', () => {
    const good = signBody('s', raw);
    for (const header of [undefined, '', 'sha256=', good.slice(0, -2), `${good}00`, good.replace('sha256=', 'sha1='), good.slice(7), 'sha256=zz' + good.slice(9)]) {
      assert.equal(verifySignature(header, raw, ['s']), false, `header ${JSON.stringify(header)}`);
    }
  });

  it('refuses a body changed by one byte, e.g. re-serialised JSON', () => {
    const header = signBody('s', raw);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))));
    assert.equal(verifySignature(header, reserialised, ['s']), false, 'the raw bytes are signed, not the parsed JSON');
    const flipped = Buffer.from(raw);
    flipped[10] = flipped[10]! ^ 1;
    assert.equal(verifySignature(header, flipped, ['s']), false);
  });

  it('verifies nothing when the site has no secret', () => {
    assert.equal(verifySignature(signBody('', raw), raw, []), false);
  });
});

describe('automation token comparison', () => {
  it('is true only for the identical token, whatever the lengths', () => {
    assert.equal(tokensEqual('abc123', 'abc123'), true);
    assert.equal(tokensEqual('abc124', 'abc123'), false);
    assert.equal(tokensEqual('abc12', 'abc123'), false);
    assert.equal(tokensEqual('', 'abc123'), false);
    assert.equal(tokensEqual('abc123abc123', 'abc123'), false);
  });
});

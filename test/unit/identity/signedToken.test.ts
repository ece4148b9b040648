// The app's signed tokens (shared/identity/signedToken.ts): HS256 JWTs with this app as `iss` and one use as
// `aud`, checked against the caller's clock; every way a token can be wrong has its own reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT, decodeJwt } from 'jose';
import { peekClaim, signToken, tokenIssuer, verifyToken } from '../../../shared/identity/signedToken.js';
import { resignedWithOtherKey, withChangedClaims } from '../../support/tokens.js';

const key = new Uint8Array(32).fill(42);
const now = new Date('2026-03-02T10:00:00Z');
const inAnHour = new Date(now.getTime() + 3600_000);

describe('signed tokens', () => {
  it('round-trips its claims with iss, aud, iat and exp from the given clock', async () => {
    const token = await signToken(key, 'self-link', { a: 'acct', jti: 'n1' }, now, inAnHour);
    assert.deepEqual(decodeJwt(token), { a: 'acct', jti: 'n1', iss: tokenIssuer, aud: 'self-link', iat: now.getTime() / 1000, exp: inAnHour.getTime() / 1000 });
    const check = await verifyToken<{ a: string }>(key, 'self-link', token, now);
    assert.ok(check.ok);
    assert.equal(check.claims.a, 'acct');
  });

  it('a token for another use is wrong-use; one with a changed claim or another key is bad-signature', async () => {
    const token = await signToken(key, 'oauth-state', { flow: 'consent' }, now, inAnHour);
    assert.deepEqual(await verifyToken(key, 'self-link', token, now), { ok: false, reason: 'wrong-use' });
    assert.deepEqual(await verifyToken(key, 'console', token, now), { ok: false, reason: 'wrong-use' });
    assert.deepEqual(await verifyToken(key, 'self-link', withChangedClaims(token, (c) => (c.aud = 'self-link')), now), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(await verifyToken(key, 'oauth-state', await resignedWithOtherKey(token), now), { ok: false, reason: 'bad-signature' });
  });

  it('past exp it is expired and still says which token it was; garbage and alg none are malformed', async () => {
    const token = await signToken(key, 'oauth-state', { jti: 'n2' }, now, inAnHour);
    const late = await verifyToken<{ jti: string }>(key, 'oauth-state', token, new Date(inAnHour.getTime() + 1000));
    assert.ok(!late.ok && late.reason === 'expired');
    assert.equal(late.reason === 'expired' ? late.claims.jti : undefined, 'n2');
    for (const bad of ['', 'a.b', 'a.b.c', `${Buffer.from('{"alg":"none"}').toString('base64url')}.${token.split('.')[1]}.`]) {
      assert.deepEqual(await verifyToken(key, 'oauth-state', bad, now), { ok: false, reason: 'malformed' }, bad);
    }
    const withoutExp = await new SignJWT({ iss: tokenIssuer, aud: 'oauth-state' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now).sign(key);
    assert.deepEqual(await verifyToken(key, 'oauth-state', withoutExp, now), { ok: false, reason: 'malformed' });
  });

  it('peekClaim reads a claim for routing only from a token of the named use', async () => {
    const token = await signToken(key, 'oauth-state', { flow: 'self-link' }, now, inAnHour);
    assert.equal(peekClaim(token, 'oauth-state', 'flow'), 'self-link');
    assert.equal(peekClaim(token, 'self-link', 'flow'), undefined);
    assert.equal(peekClaim('v1.nonce.123.self-link.mac', 'oauth-state', 'flow'), undefined);
    assert.equal(peekClaim(null, 'oauth-state', 'flow'), undefined);
  });
});

// The identity admin routes answer with the app's one HTTP outcome type (issue 13): a wrong method is a 405 with
// an Allow header, like every other route (shared/http/outcome.ts methodNotAllowed), not a bare 405. RFC 9110
// §15.5.6: "The origin server MUST generate an Allow header field in a 405 response".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adminServiceUsers, adminTenants } from '../../../shared/identity/admin.js';
import type { IdentityDeps } from '../../../shared/identity/tokens.js';

// The method is checked before anything is read, so no storage is needed to reach the answer.
const deps = {} as IdentityDeps;
const request = (method: string, segments: string[]) => ({ method, segments, query: new URLSearchParams(), body: undefined });

describe('identity admin routes: wrong method', () => {
  it('POST /api/manage/service-users → 405 method_not_allowed with Allow: GET', async () => {
    const r = await adminServiceUsers(deps, request('POST', []));
    assert.equal(r.status, 405);
    assert.deepEqual(r.body, { error: { code: 'method_not_allowed', message: 'use GET to list service users' } });
    assert.equal(r.headers?.Allow, 'GET');
  });

  it('POST /api/manage/tenants → 405 with Allow: GET; GET /api/manage/tenants/app-credential → Allow: PUT, DELETE', async () => {
    const list = await adminTenants(deps, request('POST', []));
    assert.equal(list.status, 405);
    assert.equal(list.headers?.Allow, 'GET');
    const credential = await adminTenants(deps, request('GET', ['app-credential']));
    assert.equal(credential.status, 405);
    assert.equal(credential.headers?.Allow, 'PUT, DELETE');
  });
});

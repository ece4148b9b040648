// POST /api/manage/invitations: a signed, expiring, single-use link for a Microsoft 365 admin (consent) or a
// service user's owner (sign-in / re-authentication), bound to one tenant and feature. The link carries no key.
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { createInvitation } from '../shared/identity/invitations.js';
import { methodNotAllowed } from '../shared/http/outcome.js';
import { getRuntime } from '../shared/runtime.js';
import { answer } from './lib/http.js';
import { isOutcome, toAdminRequest } from './lib/admin.js';
import { manageHttp } from './lib/manage.js';

export async function adminInvitations(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const parsed = await toAdminRequest(request);
    if (isOutcome(parsed)) return parsed;
    if (parsed.method !== 'POST') return methodNotAllowed(['POST']);
    return createInvitation(getRuntime(), parsed.body);
  });
}

manageHttp('adminInvitations', 'manage/invitations', adminInvitations);

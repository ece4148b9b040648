// POST /api/manage/dry-run: what an event would do (topic, members, unmapped people, Graph calls), writing nothing.
import './lib/invocation.js';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { dryRun } from '../shared/admin/dryRun.js';
import { getRuntime } from '../shared/runtime.js';
import { createWorkflowDeps } from '../shared/jobs/deps.js';
import { methodNotAllowed, parseJson, requireJson } from '../shared/http/outcome.js';
import { answer, toRawRequest } from './lib/http.js';
import { manageHttp } from './lib/manage.js';

export async function adminDryRun(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    const raw = await toRawRequest(request);
    if (raw.method !== 'POST') return methodNotAllowed(['POST']);
    const media = requireJson(raw);
    if (media) return media;
    const body = parseJson(raw);
    if (!body.ok) return body.outcome;
    return dryRun(createWorkflowDeps(getRuntime()), body.value);
  });
}

manageHttp('adminDryRun', 'manage/dry-run', adminDryRun);

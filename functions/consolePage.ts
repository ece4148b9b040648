// GET /api/console: the admin console's page for a signed-in admin; anyone else is sent to the sign-in page.
// (Named consolePage, not console, so the handler does not shadow the global console.)
import './lib/invocation.js';
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { readSession, adminRole } from '../shared/console/session.js';
import { consolePageHeaders, shellHtml } from '../shared/console/pages.js';
import { createLocalSignInLink, signInOptions } from '../shared/console/signIn.js';
import { getRuntime } from '../shared/runtime.js';
import { answer } from './lib/http.js';
import { methodNotAllowed, redirect } from '../shared/http/outcome.js';

export async function consolePage(request: HttpRequest, context: InvocationContext) {
  return answer(context, async () => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(['GET']);
    const session = await readSession(getRuntime(), request.headers.get('cookie') ?? undefined);
    if (!session?.roles.includes(adminRole)) return redirect('/api/console/sign-in');
    return { status: 200, body: shellHtml(), headers: { ...consolePageHeaders } };
  });
}

app.http('consolePage', { route: 'console', methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'], authLevel: 'anonymous', handler: consolePage });

// A local run (npm start) prints the one-time sign-in link once the app has started. A failure here (a refused
// configuration, storage not reachable yet) must not stop the app: the sign-in page can print a new link.
app.hook.appStart(async () => {
  let deps: ReturnType<typeof getRuntime>;
  try {
    deps = getRuntime();
  } catch {
    return; // the configuration error is logged at start-up and shown by /api/health
  }
  if (!signInOptions(deps.config).local) return;
  try {
    process.stdout.write(`Console sign-in link (one use, valid for an hour, this machine only): ${await createLocalSignInLink(deps)}\n`);
  } catch (e) {
    process.stdout.write(`The console sign-in link could not be made (${e instanceof Error ? e.message : String(e)}); open ${deps.config.publicBaseUrl}/api/console/sign-in to print one.\n`);
  }
});

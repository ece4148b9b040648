// Registers an admin (`/api/manage/...`) function and remembers it, so the console can call the very same handler
// with a signed-in session instead of a function key. The real host checks function keys before the worker runs
// (contracts/functions-host.md), so the console cannot reach these routes over HTTP without a key; it has its own
// anonymous route (functions/consoleRoutes.ts) that authenticates the session and then dispatches here.
import azureFunctions, { app, type HttpHandler, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { compileTemplate, findTemplate, type RouteTemplate } from '../../shared/http/routeTemplate.js';
import { allMethods } from './http.js';

interface ManageRoute {
  name: string;
  route: RouteTemplate;
  handler: HttpHandler;
}

const registered: ManageRoute[] = [];

export function manageHttp(name: string, route: `manage/${string}`, handler: HttpHandler): void {
  registered.push({ name, route: compileTemplate(route), handler });
  app.http(name, { route, methods: [...allMethods], authLevel: 'function', handler });
}

export function manageRoutes(): readonly { name: string; template: string }[] {
  return registered.map((r) => ({ name: r.name, template: r.route.template }));
}

/**
 * Calls the admin handler for `manage/<path>` with the console's request (its method, body, query and content
 * headers; not its cookie or CSRF header). Undefined when no admin route matches.
 */
export async function dispatchManage(request: HttpRequest, path: string, body: Buffer, context: InvocationContext): Promise<HttpResponseInit | undefined> {
  const found = findTemplate(registered, `manage/${path}`);
  if (!found) return undefined;
  const source = new URL(request.url);
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'content-length', 'accept']) {
    const value = request.headers.get(name);
    if (value) headers[name] = value;
  }
  // The class is reached through the CommonJS default export: Node's ESM named-export detection does not see it.
  const forwarded = new azureFunctions.HttpRequest({
    method: request.method,
    url: `${source.origin}/api/manage/${path}${source.search}`,
    headers,
    params: found.params,
    body: { bytes: body },
  });
  return found.entry.handler(forwarded, context) as Promise<HttpResponseInit>;
}

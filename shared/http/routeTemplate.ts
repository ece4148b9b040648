// Matches a path against an Azure Functions route template, for the console's dispatch into the admin routes.
// The subset the app's admin routes use: literal segments (case-insensitive, as the host), `{name}` and `{name?}`
// (https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger#customize-the-http-endpoint).

type Segment = { literal: string } | { param: string; optional: boolean };

export interface RouteTemplate {
  template: string;
  segments: Segment[];
}

export function compileTemplate(template: string): RouteTemplate {
  const segments = template
    .split('/')
    .filter(Boolean)
    .map((text): Segment => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)(\?)?\}$/.exec(text);
      if (!m) {
        if (/[{}*]/.test(text)) throw new Error(`route template segment ${text} is not supported here`);
        return { literal: text.toLowerCase() };
      }
      return { param: m[1]!, optional: m[2] === '?' };
    });
  return { template, segments };
}

/** Route params when `path` (no leading slash, not decoded) matches, else undefined. */
export function matchTemplate(route: RouteTemplate, path: string): Record<string, string> | undefined {
  const parts = path.split('/').filter((p, i, all) => p !== '' || i < all.length - 1);
  if (parts.some((p) => p === '')) return undefined;
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of route.segments) {
    const part = parts[i];
    if (part === undefined) {
      if ('param' in seg && seg.optional) continue;
      return undefined;
    }
    let value: string;
    try {
      value = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if ('literal' in seg) {
      if (value.toLowerCase() !== seg.literal) return undefined;
    } else {
      params[seg.param] = value;
    }
    i++;
  }
  return i === parts.length ? params : undefined;
}

/** Literal segments beat parameters, as in the host's (ASP.NET) route precedence. */
export function findTemplate<T extends { route: RouteTemplate }>(routes: readonly T[], path: string): { entry: T; params: Record<string, string> } | undefined {
  const score = (r: RouteTemplate) => r.segments.map((s) => ('literal' in s ? '0' : '1')).join('');
  return routes
    .map((entry) => ({ entry, params: matchTemplate(entry.route, path) }))
    .filter((c): c is { entry: T; params: Record<string, string> } => c.params !== undefined)
    .sort((a, b) => score(a.entry.route).localeCompare(score(b.entry.route)))[0];
}

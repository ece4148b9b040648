// `npm run demo` (scripts/demo.mjs runs this after the build, with Azurite and a throwaway TLS CA): the whole
// bridge on this machine with the local stand-ins the tests use (fake Graph, Entra and Jira over real HTTP), a demo
// site, tenant, service user and project already set up, the console's one-time sign-in link, and a small page to
// send a sample incident, watch its chat appear in a read-only view of the stand-in Teams, and resolve it.
// Development only: nothing here is in the deployment bundle (scripts/bundle.mjs bundles functions/ only).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { startBridge, type Bridge } from '../test/support/bridge.js';
import { webhookFor } from '../test/support/jiraPayloads.js';
import { escapeHtml } from '../shared/identity/pages.js';
import type { FakeJiraUser } from '../test/fakes/jira.js';

const PROJECT = 'INC';

async function main(): Promise<void> {
  process.stdout.write('Starting the bridge with the local Graph, Entra and Jira stand-ins...\n');
  const bridge = await startBridge({ env: { CONSOLE_LOCAL_SIGN_IN: 'true', LOG_LEVEL: 'warn' } });
  const { graph, jira } = bridge;
  await bridge.configureProject(PROJECT);
  // People the sample incidents bring into their chats.
  const people: FakeJiraUser[] = [];
  for (const [name, mail] of [['Alice Agent', 'alice'], ['Bob Responder', 'bob']] as const) {
    graph.addUser({ displayName: name, mail: `${mail}@contoso.example` });
    people.push(jira.addUser({ displayName: name, emailAddress: `${mail}@contoso.example`, emailVisible: true }));
  }
  let next = 1;

  const server = createServer((req, res) => {
    void handle(bridge, req, res, {
      incident: async () => {
        const issue = jira.addJsmIssue({ key: `${PROJECT}-${next++}`, summary: 'Checkout page answers 500 for every customer', priority: 'Highest', assignee: people[0]!, reporter: people[0]!, responders: [people[1]!] });
        const r = await bridge.webhook(webhookFor({ id: issue.id, key: issue.key, fields: issue.fields }));
        return `${issue.key}: Jira webhook answered ${r.status} ${JSON.stringify(r.body)}`;
      },
      resolve: async (key) => {
        const issue = jira.issue(key);
        if (!issue) return `no issue ${key}`;
        issue.fields.resolution = { id: '10000', name: 'Done' };
        // Jira's real "issue updated" envelope with the resolution change in its changelog.
        const body = webhookFor({ id: issue.id, key: issue.key, fields: issue.fields }, 'issue_updated.status-transition.json');
        body.changelog.items = [{ field: 'resolution', fieldtype: 'jira', fieldId: 'resolution', from: null, fromString: null, to: '10000', toString: 'Done' }];
        const r = await bridge.webhook(body);
        return `${key} resolved: Jira webhook answered ${r.status} ${JSON.stringify(r.body)}`;
      },
    });
  });
  await new Promise<void>((resolve) => server.listen(Number(process.env.DEMO_PORT ?? 7072), '127.0.0.1', resolve));
  const demoUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const link = bridge.app.logs.find((l) => l.includes('/api/console/local-sign-in?token='));
  process.stdout.write(
    [
      '',
      'The demo is running:',
      `  Admin console:         ${link ? link.slice(link.indexOf('http')) : `${bridge.baseUrl}/api/console`}`,
      `  Stand-in Teams + Jira: ${demoUrl}  (send a sample incident, watch the chat, resolve it)`,
      `  Demo site: ${bridge.siteId}, tenant ${bridge.tenantId}, service user ${bridge.serviceUser.userPrincipalName}, project ${PROJECT}`,
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    server.close();
    await bridge.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

let lastMessage = '';

async function handle(bridge: Bridge, req: IncomingMessage, res: ServerResponse, actions: { incident(): Promise<string>; resolve(key: string): Promise<string> }): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  try {
    if (req.method === 'POST' && url.pathname === '/incident') lastMessage = await actions.incident();
    else if (req.method === 'POST' && url.pathname === '/resolve') lastMessage = await actions.resolve(url.searchParams.get('key') ?? '');
    if (req.method === 'POST') {
      res.writeHead(303, { location: '/' }).end();
      return;
    }
    if (url.pathname !== '/') {
      res.writeHead(404).end();
      return;
    }
  } catch (e) {
    lastMessage = `failed: ${e instanceof Error ? e.message : String(e)}`;
    res.writeHead(303, { location: '/' }).end();
    return;
  }
  const users = bridge.graph.users;
  const chats = [...bridge.graph.chats.values()].sort((a, b) => b.createdDateTime.localeCompare(a.createdDateTime));
  const text = (html: string) => escapeHtml(html.replace(/<[^>]*>/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim());
  const body = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta http-equiv="refresh" content="4"><title>Stand-in Teams (demo)</title>',
    '<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.5}article{border:1px solid #c9d1d9;border-radius:6px;padding:.75rem;margin:.75rem 0}li{margin:.25rem 0}button{font:inherit;padding:.4rem .8rem}</style>',
    '</head><body><h1>Stand-in Microsoft Teams (read-only) and Jira</h1>',
    `<p>Jira site <code>${escapeHtml(bridge.siteId)}</code>, project ${PROJECT}. The admin console is at <a href="${escapeHtml(bridge.baseUrl)}/api/console">${escapeHtml(bridge.baseUrl)}/api/console</a>.</p>`,
    '<form method="post" action="/incident"><button type="submit">Send a sample incident (signed Jira webhook)</button></form>',
    lastMessage ? `<p role="status">${escapeHtml(lastMessage)}</p>` : '',
    `<h2>Chats (${chats.length})</h2>`,
    chats.length === 0 ? '<p>No chat yet. Send a sample incident; the chat appears here within a few seconds (this page refreshes itself).</p>' : '',
    ...chats.map((c) => {
      const key = /\[(?:Resolved\] \[)?([A-Z]+-\d+)\]/.exec(c.topic ?? '')?.[1];
      return [
        `<article><h3>${escapeHtml(c.topic ?? '(no topic)')}</h3>`,
        `<p>Members: ${c.members.map((m) => escapeHtml(users.get(m.userId)?.displayName ?? m.userId)).join(', ')}</p>`,
        '<ol>',
        ...c.messages.map((m) => `<li>${text(m.body.content)}</li>`),
        '</ol>',
        key && !c.topic?.startsWith('[Resolved]') ? `<form method="post" action="/resolve?key=${encodeURIComponent(key)}"><button type="submit">Resolve ${escapeHtml(key)} in Jira</button></form>` : '<p>Closed.</p>',
        '</article>',
      ].join('\n');
    }),
    '</body></html>',
  ].join('\n');
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'", 'cache-control': 'no-store' }).end(body);
}

main().catch((e: unknown) => {
  process.stderr.write(`demo: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});

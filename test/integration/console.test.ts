// The admin console in a real browser (Chromium through playwright-core) against the app in the local host, real
// Azurite and the fake Jira, Graph and Entra: a new admin does the whole set-up in the console, a signed webhook
// makes a chat that the issue's audit view shows, a poison message is replayed from the console, and the access
// rules hold (no session → sign-in page; no app role → refused; a cross-site POST → refused).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startBridge, type Bridge } from '../support/bridge.js';
import { launchBrowser, screenshot } from '../support/browser.js';
import { webhookFor } from '../support/jiraPayloads.js';
import { queueClient, queueLength } from '../support/storage.js';
import { withChangedClaims } from '../support/tokens.js';

const SITE = 'acme';

describe('admin console in the browser', () => {
  let bridge: Bridge;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let webhookSecret = '';

  /** The one-time sign-in link the app printed at start (CONSOLE_LOCAL_SIGN_IN, as npm start runs it). */
  function printedSignInLink(): string {
    const line = [...bridge.app.logs].reverse().find((l) => l.includes('/api/console/local-sign-in?token='));
    assert.ok(line, `no sign-in link in the app's output:\n${bridge.app.logs.slice(-20).join('\n')}`);
    return /(http:\/\/\S+\/api\/console\/local-sign-in\?token=\S+)/.exec(line)![1]!;
  }

  async function show(screen: string): Promise<void> {
    await page.click(`nav a[href="#/${screen}"]`);
    await page.waitForSelector(`nav a[href="#/${screen}"][aria-current="page"]`);
  }

  before(async () => {
    browser = await launchBrowser();
    bridge = await startBridge({ setup: false, env: { CONSOLE_LOCAL_SIGN_IN: 'true' } });
    admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await admin.newPage();
  });
  after(async () => {
    if (process.env.SHOW_APP_LOGS) console.log(bridge?.app.logs.join('\n'));
    await browser?.close();
    await bridge?.stop();
  });

  it('an unauthenticated visitor is sent to the sign-in page', async () => {
    const context = await browser.newContext();
    const visitor = await context.newPage();
    const response = await visitor.goto(`${bridge.baseUrl}/api/console`);
    assert.equal(new URL(visitor.url()).pathname, '/api/console/sign-in');
    assert.equal(response?.status(), 200);
    assert.equal(await visitor.textContent('h1'), 'Sign in to the bridge console');
    const api = await visitor.evaluate(async () => (await fetch('/api/console/api/sites')).status);
    assert.equal(api, 401, 'the API refuses a visitor without a session');
    await screenshot(visitor, '00-sign-in');
    await context.close();
  });

  it('a new admin completes the set-up in the console: site, secrets, consent, service-user sign-in, project', async () => {
    const { jira, entra, graph, tenantId, serviceUser } = bridge;
    const link = printedSignInLink();
    await page.goto(link);
    assert.equal(new URL(page.url()).pathname, '/api/console');
    await page.waitForSelector('h2#h-overview');
    const cookie = (await admin.cookies()).find((c) => c.name === '__Host-bridge-console');
    assert.ok(cookie?.httpOnly && cookie.secure && cookie.sameSite === 'Lax', `session cookie flags: ${JSON.stringify(cookie)}`);
    await screenshot(page, '01-overview-empty');

    // The link works once.
    const second = await browser.newContext();
    const again = await second.newPage();
    const reused = await again.goto(link);
    assert.equal(reused?.status(), 400, 'a used sign-in link is refused');
    await second.close();

    // Sites: register, then create both secrets (shown once).
    await show('sites');
    await page.fill('input[name=siteId]', SITE);
    await page.fill('input[name=jiraBaseUrl]', jira.baseUrl);
    await page.fill('input[name=jiraEmail]', jira.credentials.email);
    await page.fill('input[name=jiraApiToken]', jira.credentials.apiToken);
    await page.click('button:has-text("Save site")');
    await page.waitForSelector(`text=Site ${SITE} saved.`);
    await page.click(`article:has(h3:text-is("${SITE}")) button:has-text("Test Jira connection")`);
    assert.match((await (await page.waitForSelector('[data-testid=jira-test]')).textContent())!, /^Connected to .* as /);
    await page.click(`article:has(h3:text-is("${SITE}")) button:has-text("Create webhook secret")`);
    webhookSecret = (await page.textContent('[data-testid=webhook-secret]'))!.trim();
    assert.match(webhookSecret, /^\S{20,}$/);
    await page.click(`article:has(h3:text-is("${SITE}")) button:has-text("Create Automation token")`);
    const token = (await page.textContent('[data-testid=automation-token]'))!.trim();
    assert.match(token, /^\S{20,}$/);
    const card = `article:has(h3:text-is("${SITE}"))`;
    await page.click(`${card} summary:has-text("Jira webhook settings")`);
    assert.ok((await page.textContent(card))!.includes(`${bridge.baseUrl}/api/jira/events?site=${SITE}`));
    await screenshot(page, '02-sites');

    // A bad input shows the API's words.
    await page.fill('input[name=siteId]', 'bad site!');
    await page.fill('input[name=jiraApiToken]', jira.credentials.apiToken);
    await page.click('button:has-text("Save site")');
    const problem = await page.waitForSelector('.problem');
    assert.match((await problem.textContent())!, /siteId.*HTTP 400/);

    // Microsoft 365: a consent invitation, opened through the fake Entra; then the service user's invitation.
    await show('microsoft-365');
    await page.fill('input[name=tenant]', tenantId);
    await page.selectOption('select[name=feature]', 'chats');
    await page.selectOption('select[name=site]', SITE);
    await page.click('button:has-text("Create consent link")');
    const consentLink = (await page.textContent('[data-testid=invitation-link]'))!.trim();
    assert.ok(consentLink.startsWith(`${bridge.baseUrl}/api/invitation?token=`), consentLink);
    assert.ok(!/code=/.test(consentLink), 'no function key in a link for others');
    await screenshot(page, '03-microsoft-365-consent-link');
    // The fake Entra serves HTTPS with the run's throwaway test CA, which Chromium does not know (NODE_EXTRA_CA_CERTS
    // is for Node only): contexts that visit it accept its certificate.
    const m365Admin = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    await m365Admin.goto(consentLink);
    assert.match((await m365Admin.textContent('h1'))!, /Microsoft 365 connected for the chats feature/);
    assert.equal(new URL(m365Admin.url()).pathname, '/api/consent/callback');
    const reusedInvite = await m365Admin.goto(consentLink);
    assert.equal(reusedInvite?.status(), 400, 'an invitation works once');

    await page.click('button:has-text("Create service-user sign-in link")');
    await page.waitForSelector('text=Service-user sign-in link for chats');
    const signInLink = (await page.textContent('[data-testid=invitation-link]'))!.trim();
    assert.notEqual(signInLink, consentLink);
    entra.signInAs(serviceUser.id);
    await m365Admin.goto(signInLink);
    assert.equal(new URL(m365Admin.url()).pathname, '/api/auth/callback');
    assert.match((await m365Admin.textContent('h1'))!, /signed in/i);
    await m365Admin.context().close();
    await page.reload();
    await page.waitForSelector('[data-testid=service-user-chats]');
    assert.match((await page.textContent('[data-testid=service-user-chats]'))!, new RegExp(`${serviceUser.userPrincipalName}.*active`));
    await screenshot(page, '04-microsoft-365-connected');

    // Projects: rules validated as typed, topic preview, save.
    await show('projects');
    await page.selectOption('select[name=site]', SITE);
    await page.fill('input[name=projectKey]', 'INC');
    await page.fill('input[name=tenantId]', tenantId);
    await page.fill('textarea[name=rules]', '[{"when":"sometimes"}]');
    assert.match((await page.textContent('#rules-check'))!, /when.*must be one of/);
    assert.equal(await page.isDisabled('button:has-text("Save project")'), true, 'invalid rules cannot be saved');
    await page.fill('textarea[name=rules]', '');
    await page.fill('textarea[name=other]', JSON.stringify({ fieldIds: jira.fieldIds }));
    await page.fill('input[name=topicTemplate]', '[{key}] {summary}');
    assert.equal(await page.textContent('[data-testid=topic-preview]'), '[INC-42] Checkout is down');
    await page.click('button:has-text("Save project")');
    await page.waitForSelector('text=Project INC saved.');
    await screenshot(page, '05-projects');

    // A signed webhook like Jira's (with the secret the console showed) makes the chat...
    const alice = graph.addUser({ displayName: 'Alice Agent', mail: 'alice@contoso.example' });
    const aliceJira = jira.addUser({ displayName: 'Alice Agent', emailAddress: 'alice@contoso.example', emailVisible: true });
    const issue = jira.addJsmIssue({ key: 'INC-7', summary: 'Checkout is down', assignee: aliceJira, reporter: aliceJira });
    bridge.siteId = SITE;
    bridge.webhookSecret = webhookSecret;
    const delivered = await bridge.webhook(webhookFor({ id: issue.id, key: issue.key, fields: issue.fields }), { deliveryId: 'console-1' });
    assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
    await bridge.app.waitForIdle(undefined, 30_000);
    const chats = graph.chatsWithTopic(/INC-7/);
    assert.equal(chats.length, 1);
    assert.ok(chats[0]!.members.some((m) => m.userId === alice.id));

    // ...which the issue's audit view in the console shows.
    await show('operations');
    await page.selectOption('select[name=site]', SITE);
    await page.fill('input[name=auditIssue]', 'INC-7');
    await page.click('button:has-text("Show audit trail")');
    const audit = await page.waitForSelector('[data-testid=audit]');
    const auditText = (await audit.textContent())!;
    assert.match(auditText, /incident-chat/);
    assert.match(auditText, /done/);
    await screenshot(page, '06-operations-audit');
    graph.assertNoViolations();
  });

  it('a poison message is replayed from the console', async () => {
    const job = { v: 1, kind: 'job', jobId: 'poisoned-1', action: 'sync-members', siteId: SITE, issueKey: 'INC-7', source: 'replay', params: {}, requestedAt: new Date().toISOString() };
    const poison = queueClient('member-jobs-poison');
    await poison.createIfNotExists();
    await poison.sendMessage(Buffer.from(JSON.stringify(job)).toString('base64'));
    await show('operations');
    await show('overview');
    // The overview names the failure (from the detailed health) before anyone opens Operations.
    await page.waitForSelector('[data-testid=recent-failures] tr:has(td:has-text("INC-7")):has(td:has-text("sync-members"))');
    assert.match((await page.textContent('[data-testid=health-status]'))!, /degraded/);
    await screenshot(page, '07-overview-recent-failures');
    await show('operations');
    await page.waitForSelector('[data-testid="poison-member-jobs-poison"]:has-text("1")');
    await screenshot(page, '07-operations-poison');
    await page.click('tr:has([data-testid="poison-member-jobs-poison"]) button:has-text("Replay all")');
    await page.waitForSelector('text=Replayed 1 message(s) from member-jobs-poison.');
    await bridge.app.waitForIdle(undefined, 30_000);
    assert.equal(await queueLength('member-jobs-poison'), 0);
    await page.fill('input[name=auditIssue]', 'INC-7');
    await page.click('button:has-text("Show audit trail")');
    await page.waitForSelector('[data-testid=audit] td:has-text("sync-members")');
  });

  it('the mail test explains in words what is missing (the mail feature is not connected here)', async () => {
    await show('overview');
    await show('operations');
    await page.fill('input[name=mailTenant]', bridge.tenantId);
    await page.click('button:has-text("Send test mail")');
    const steps = (await (await page.waitForSelector('[data-testid=mail-test]')).textContent())!;
    assert.match(steps, /✗/);
    assert.match(steps, /mail/i);
    await screenshot(page, '09-operations-mail-test');
  });

  it('mail → Jira: a source is added, listed, tested (explained failure, then success after signing in with Microsoft), checked, edited and deleted', async () => {
    const { entra, graph, serviceUser, tenantId } = bridge;
    const support = graph.addUser({ displayName: 'Support', userPrincipalName: 'support@contoso.example', mail: 'support@contoso.example' });
    page.on('dialog', (d) => void d.accept());
    await show('mail-in');
    await page.selectOption('select[name=mailInSite]', SITE);
    await page.waitForSelector('[data-testid=mail-in-empty]');
    await page.fill('input[name=mailInProject]', 'help');
    await page.fill('input[name=mailInTenant]', tenantId);
    await page.selectOption('select[name=mailInAfter]', 'move');
    await page.fill('input[name=mailInMoveTo]', 'archive');
    await page.fill('input[name=mailInMaxAttachment]', '5');
    await page.fill('textarea[name=mailInBlocked]', 'spam.example\nbulk.example');
    await page.fill('input[name=mailInRate]', '7');
    await page.click('button:has-text("Save mail source")');
    await page.waitForSelector('text=Mail source for HELP saved.');
    const card = '[data-testid=mail-source-HELP]';
    const listed = (await page.textContent(card))!;
    assert.match(listed, /Folder inbox of the signed-in account’s mailbox/);
    assert.match(listed, /moved to archive/);
    assert.match(listed, /up to 5 MB; at most 7 per sender per hour; blocked: spam\.example, bulk\.example/);
    const stored = await bridge.admin('GET', `mail-in/${SITE}/HELP`);
    assert.equal(stored.body.maxAttachmentBytes, 5 * 1024 * 1024);
    assert.deepEqual(stored.body.blockedDomains, ['spam.example', 'bulk.example']);

    // Not connected yet: test connection says what is missing, in words.
    await page.click(`${card} button:has-text("Test connection")`);
    const failed = (await (await page.waitForSelector(`${card} [data-testid=mail-in-test]`)).textContent())!;
    assert.match(failed, /does not work yet/);
    assert.match(failed, /✗ Consent: no consent for the mail-in feature/);
    assert.match(failed, /✗ Signed-in account: no account is signed in for mail-in/);
    await screenshot(page, '10-mail-in-not-connected');

    // Sign in with Microsoft: admin consent for mail-in, then the mailbox account's sign-in, both as the API makes them.
    await page.click('button:has-text("Create admin consent link")');
    const consentLink = (await page.textContent('[data-testid=mail-in-link]'))!.trim();
    assert.ok(consentLink.startsWith(`${bridge.baseUrl}/api/invitation?token=`), consentLink);
    const m365 = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    await m365.goto(consentLink);
    assert.match((await m365.textContent('h1'))!, /connected for the mail-in feature/);
    const consentRequest = entra.requestsTo('adminconsent').at(-1)!;
    const asked = consentRequest.query.scope!.split(' ').map((s) => s.replace('https://graph.microsoft.com/', ''));
    assert.deepEqual(asked.filter((s) => !['User.Read', 'MailboxSettings.Read'].includes(s)).sort(), ['Mail.Read', 'Mail.Read.Shared', 'Mail.ReadWrite', 'Mail.ReadWrite.Shared']);
    await page.click('button:has-text("Create mailbox sign-in link")');
    await page.waitForSelector('text=Mailbox sign-in link for mail-in');
    entra.signInAs(serviceUser.id);
    await m365.goto((await page.textContent('[data-testid=mail-in-link]'))!.trim());
    assert.match((await m365.textContent('h1'))!, /signed in for mail-in/i);
    await m365.context().close();

    await page.click(`${card} button:has-text("Test connection")`);
    await page.waitForSelector(`${card} [data-testid=mail-in-test] :text("The connection works.")`);
    const works = (await page.textContent(`${card} [data-testid=mail-in-test]`))!;
    assert.match(works, new RegExp(`✓ Folder: read folder "Inbox" of the mailbox of ${serviceUser.userPrincipalName}: 0 messages, 0 unread`));

    // Edit: a shared mailbox the account has no Full Access to fails with what to do about it.
    await page.click(`${card} button:has-text("Edit")`);
    await page.waitForSelector('h3:has-text("Edit the mail source of HELP")');
    assert.equal(await page.inputValue('input[name=mailInRate]'), '7');
    await page.selectOption('select[name=mailInMailbox]', 'shared');
    await page.fill('input[name=mailInShared]', support.userPrincipalName);
    await page.click('button:has-text("Save mail source")');
    await page.waitForSelector('text=Mail source for HELP saved.');
    await page.waitForSelector(`${card} :text("the shared mailbox support@contoso.example")`);
    await page.click(`${card} button:has-text("Test connection")`);
    await page.waitForSelector(`${card} [data-testid=mail-in-test] :text("does not work yet")`);
    const noAccess = (await page.textContent(`${card} [data-testid=mail-in-test]`))!;
    assert.match(noAccess, /✗ Folder: bridge\.service@contoso\.example has no access to the shared mailbox support@contoso\.example: grant it Full Access/);
    await screenshot(page, '11-mail-in-shared-no-access');

    // Check now queues a catch-up; it runs on the queue trigger.
    await page.click(`${card} button:has-text("Check now")`);
    await page.waitForSelector(`${card} :text("A check of the folder was queued")`);
    await bridge.app.waitForIdle(undefined, 30_000);

    await page.click(`${card} button:has-text("Delete")`);
    await page.waitForSelector('[data-testid=mail-in-empty]');
    assert.equal((await bridge.admin('GET', `mail-in/${SITE}/HELP`)).status, 404);
    graph.assertNoViolations();
  });

  it('a forged cross-site POST is refused (Origin check), and so is a same-origin one without the CSRF token', async () => {
    // Another origin on the same machine: the same *site* as far as SameSite goes (ports do not count), so the
    // browser sends the session cookie along; the Origin check is what refuses it.
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<form id="f" method="post" enctype="text/plain" action="${bridge.baseUrl}/api/console/api/sites/evil"><input name='{"jiraBaseUrl":"https://evil.example","x":"' value='"}'></form>`);
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    try {
      const evilPage = await admin.newPage();
      await evilPage.goto(`http://127.0.0.1:${(attacker.address() as { port: number }).port}/`);
      const [response] = await Promise.all([evilPage.waitForNavigation(), evilPage.evaluate("document.getElementById('f').submit()")]);
      assert.equal(response?.status(), 403);
      assert.match((await evilPage.textContent('body'))!, /cross_site_request/);
      await evilPage.close();
    } finally {
      attacker.close();
    }
    const missingToken: any = await page.evaluate(async () => {
      const r = await fetch('/api/console/api/sites/evil', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
      return { status: r.status, body: await r.json() };
    });
    assert.equal(missingToken.status, 403);
    assert.equal(missingToken.body.error.code, 'csrf_token_invalid');
    const evil = await bridge.admin('GET', 'sites/evil');
    assert.equal(evil.status, 404, 'no site was created by the forged requests');
  });

  it('Entra sign-in: a user without the Bridge.Admin role is refused; one with it gets in', async () => {
    const { graph, entra } = bridge;
    const outsider = graph.addUser({ displayName: 'No Role', userPrincipalName: 'norole@contoso.example' });
    entra.addUser({ ...outsider, appRoles: [] });
    const owner = graph.addUser({ displayName: 'Bridge Owner', userPrincipalName: 'owner@contoso.example' });
    entra.addUser({ ...owner, appRoles: ['Bridge.Admin'] });

    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const visitor = await context.newPage();
    await visitor.goto(`${bridge.baseUrl}/api/console`);
    entra.signInAs(outsider.id);
    await visitor.click('#sign-in');
    await visitor.waitForSelector('h1:has-text("Not allowed")');
    assert.match((await visitor.textContent('body'))!, /norole@contoso\.example.*Bridge\.Admin/s);
    assert.equal((await context.cookies()).filter((c) => c.name === '__Host-bridge-console').length, 0, 'no session for a user without the role');
    await screenshot(visitor, '08-not-allowed');

    await visitor.goto(`${bridge.baseUrl}/api/console/sign-in`);
    entra.signInAs(owner.id);
    await visitor.click('#sign-in');
    await visitor.waitForSelector('h2#h-overview');
    assert.match((await visitor.textContent('.who'))!, /owner@contoso\.example/);
    await context.close();
  });

  it('invitations: the admin API makes them for scripts too, refuses bad input by name, and a tampered one opens nothing', async () => {
    const bad = await bridge.admin('POST', 'invitations', { kind: 'consent', tenant: bridge.tenantId, feature: 'fax', site: SITE });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /feature must be one of/);
    const noSite = await bridge.admin('POST', 'invitations', { kind: 'consent', tenant: bridge.tenantId, feature: 'chats' });
    assert.equal(noSite.status, 400);
    assert.equal(noSite.body.error.code, 'site_invalid');
    const made = await bridge.admin('POST', 'invitations', { kind: 'sign-in', tenant: bridge.tenantId, feature: 'chats' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const url = new URL(made.body.url);
    assert.deepEqual([...url.searchParams.keys()], ['token'], 'the link carries the invitation only');
    const token = url.searchParams.get('token')!;
    const tampered = withChangedClaims(token, (c) => (c.flow = 'invite-consent'));
    const refused = await fetch(`${bridge.baseUrl}/api/invitation?token=${encodeURIComponent(tampered)}`, { redirect: 'manual' });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /altered|could not be verified/);
    const opened = await fetch(made.body.url, { redirect: 'manual' });
    assert.equal(opened.status, 302, 'the untouched invitation still works');
    assert.ok(opened.headers.get('location')!.startsWith(bridge.entra.origin), 'to the Microsoft sign-in');
  });

  it('every screen renders on a phone-sized screen, with labelled fields and no console errors', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await admin.storageState() });
    const p = await phone.newPage();
    const errors: string[] = [];
    p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    p.on('pageerror', (e) => errors.push(e.message));
    for (const screen of ['overview', 'sites', 'microsoft-365', 'projects', 'people', 'mail-in', 'operations']) {
      await p.goto(`${bridge.baseUrl}/api/console#/${screen}`);
      await p.waitForSelector('main h2');
      // Every visible input has a label the screen reader announces.
      const unlabelled = await p.evaluate("[...document.querySelectorAll('input, select, textarea')].filter((el) => !el.labels || !el.labels.length).map((el) => el.outerHTML.slice(0, 80))");
      assert.deepEqual(unlabelled, [], `${screen}: fields without a label`);
      await screenshot(p, `phone-${screen}`);
    }
    assert.deepEqual(errors, [], 'no script errors or CSP violations');
    await phone.close();
  });
});

// The meeting, stakeholder-update and booking actions through the whole app: Jira Automation "Send web request" →
// 202 → queue → the queue-triggered function → Graph and Jira; and the Bookings and mail admin routes over HTTP.
// Local Functions host, real Azurite, fake Graph (schema-checked), Jira and Entra (real consent and sign-in).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBridge, type Bridge } from '../support/bridge.js';
import { webhookFor } from '../support/jiraPayloads.js';

describe('meetings, stakeholder updates and Bookings through the app', () => {
  let bridge: Bridge;
  before(async () => {
    bridge = await startBridge({ features: ['chats', 'meetings', 'mail', 'bookings'] });
  });
  after(async () => {
    if (process.env.SHOW_APP_LOGS) console.log(bridge?.app.logs.join('\n'));
    bridge?.graph.assertNoViolations();
    await bridge?.stop();
  });

  it('an Automation meeting request creates the chat and one meeting, posts the link once and links the issue', async () => {
    const { graph, jira } = bridge;
    const agent = jira.addUser({ displayName: 'Ann Agent', emailAddress: 'ann@contoso.example' });
    graph.addUser({ displayName: 'Ann Agent', mail: 'ann@contoso.example' });
    jira.addJsmIssue({ key: 'MTG-1', summary: 'Outage <review>', assignee: agent });
    await bridge.configureProject('MTG');

    for (let i = 0; i < 2; i++) {
      const r = await bridge.automation('meeting', { issueKey: 'MTG-1', createChat: true, subject: 'Bridge call {key}' });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      await bridge.app.waitForIdle(undefined, 30_000);
    }
    const meetings = [...graph.meetings.values()].filter((m) => m.subject === 'Bridge call MTG-1');
    assert.equal(meetings.length, 1);
    const chat = graph.chatsWithTopic(/MTG-1/)[0]!;
    assert.equal(chat.messages.filter((m) => m.body.content.includes('Teams meeting')).length, 1);
    assert.equal(jira.issue('MTG-1')!.remoteLinks.filter((l) => l.object.url === meetings[0]!.joinWebUrl).length, 1);
  });

  it('the docs/jira-automation.md meeting recipe works with what Jira renders: {{now.plusMinutes(5)}} → 2020-08-18T02:40:37.0+0000', async () => {
    const { graph, jira } = bridge;
    jira.addJsmIssue({ key: 'MTG-2', summary: 'Dated' });
    await bridge.configureProject('MTG');
    // The rendering of Jira's default date format, exactly as ../shared/contracts/jira-automation.md gives it.
    const r = await bridge.automation('meeting', { issueKey: 'MTG-2', subject: 'Dated {key}', start: '2020-08-18T02:40:37.0+0000' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await bridge.app.waitForIdle(undefined, 30_000);
    const meeting = [...graph.meetings.values()].find((m) => m.subject === 'Dated MTG-2');
    assert.ok(meeting, 'the meeting was created');
    assert.equal(Date.parse(meeting.startDateTime), Date.parse('2020-08-18T02:40:37Z'));
    assert.equal(Date.parse(meeting.endDateTime), Date.parse('2020-08-18T03:40:37Z'), 'the default hour');

    const jql = await bridge.automation('meeting', { issueKey: 'MTG-2', start: '1979-11-01 06:23' });
    assert.equal(jql.status, 400);
    assert.equal(jql.body.error.code, 'invalid_body');
    assert.match(jql.body.error.message, /^start: "1979-11-01 06:23" has no UTC offset.*2020-08-18T02:40:37\.0\+0000/);
  });

  it('an Automation stakeholder update mails the stakeholders once and records it', async () => {
    const { graph, jira } = bridge;
    jira.addJsmIssue({ key: 'STK-1', summary: 'Degraded & slow' });
    await bridge.configureProject('STK', { stakeholders: ['board@contoso.example'] });
    const r = await bridge.automation('stakeholder-update', { issueKey: 'STK-1', message: 'We are on it <promise>', recipients: ['cto@contoso.example'] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await bridge.app.waitForIdle(undefined, 30_000);
    const mails = graph.outbox.filter((m) => String(m.message.subject).includes('STK-1'));
    assert.equal(mails.length, 1);
    assert.match((mails[0]!.message.body as { content: string }).content, /We are on it &lt;promise&gt;/);
    assert.ok(jira.issue('STK-1')!.comments.some((c) => !c.jsdPublic && String(c.body).includes('board@contoso.example, cto@contoso.example')));
  });

  it('binds a Bookings business over the admin API, books for the customer and cancels', async () => {
    const { graph, jira } = bridge;
    const business = graph.addBookingBusiness({
      id: 'helpdesk@contoso.example',
      displayName: 'Help desk',
      businessHours: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].map((day) => ({
        day: day as 'monday',
        timeSlots: [{ startTime: '00:00:00.0000000', endTime: '23:59:00.0000000' }],
      })),
      services: [{ displayName: 'Call back', defaultDuration: 'PT30M' }],
      staffMembers: [{ displayName: 'Bridge Service', emailAddress: bridge.serviceUser.userPrincipalName, role: 'administrator' }],
    });
    await bridge.configureProject('DESK');
    const listed = await bridge.admin('GET', `bookings/businesses?tenant=${bridge.tenantId}`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.businesses.map((b: { id: string }) => b.id), [business.id]);
    const bound = await bridge.admin('PUT', `bookings/projects/${bridge.siteId}/DESK`, { businessId: business.id, serviceId: business.services[0]!.id });
    assert.equal(bound.status, 200, JSON.stringify(bound.body));

    const customer = jira.addUser({ displayName: 'Cara Customer', emailAddress: 'cara@customer.example', accountType: 'customer' });
    jira.addJsmIssue({ key: 'DESK-1', summary: 'Call me', kind: 'serviceRequest', reporter: customer });
    assert.equal((await bridge.automation('booking', { issueKey: 'DESK-1' })).status, 202);
    await bridge.app.waitForIdle(undefined, 30_000);
    assert.equal(business.appointments.length, 1);
    const appointment = business.appointments[0]!;
    assert.ok(jira.issue('DESK-1')!.comments.some((c) => c.jsdPublic && String(c.body).includes(appointment.joinWebUrl!)));

    assert.equal((await bridge.automation('booking', { issueKey: 'DESK-1', cancel: true })).status, 202);
    await bridge.app.waitForIdle(undefined, 30_000);
    assert.ok(appointment.cancelled, 'cancelled in Bookings');
  });

  it('a project rule cancels the appointment when the request is resolved', async () => {
    const { graph, jira } = bridge;
    const business = graph.addBookingBusiness({
      id: 'resolve@contoso.example',
      businessHours: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].map((day) => ({
        day: day as 'monday',
        timeSlots: [{ startTime: '00:00:00.0000000', endTime: '23:59:00.0000000' }],
      })),
      services: [{ displayName: 'Call back' }],
      staffMembers: [{ displayName: 'Bridge Service', emailAddress: bridge.serviceUser.userPrincipalName, role: 'administrator' }],
    });
    await bridge.configureProject('RES', {
      bookings: { businessId: business.id, serviceId: business.services[0]!.id },
      rules: [{ when: 'resolved', action: 'cancel-booking' }],
    });
    const customer = jira.addUser({ displayName: 'Rita Customer', emailAddress: 'rita@customer.example', accountType: 'customer' });
    const issue = jira.addJsmIssue({ key: 'RES-1', summary: 'Call me back', kind: 'serviceRequest', reporter: customer });
    assert.equal((await bridge.automation('booking', { issueKey: 'RES-1' })).status, 202);
    await bridge.app.waitForIdle(undefined, 30_000);
    assert.equal(business.appointments.length, 1);

    // A real "issue updated" envelope whose changelog sets the resolution (the fixture's clears it: flipped here).
    issue.fields.resolution = { id: '10000', name: 'Done' };
    const body = webhookFor({ id: issue.id, key: issue.key, fields: issue.fields }, 'issue_updated.reopened.with-epic-parent.json');
    body.changelog.items = [{ field: 'resolution', fieldtype: 'jira', fieldId: 'resolution', from: null, fromString: null, to: '10000', toString: 'Done' }];
    const r = await bridge.webhook(body, { deliveryId: 'res-1-resolved' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual(r.body.actions, ['cancel-booking']);
    await bridge.app.waitForIdle(undefined, 30_000);
    assert.ok(business.appointments[0]!.cancelled, 'cancelled in Bookings');
    assert.ok(jira.issue('RES-1')!.comments.some((c) => c.jsdPublic && String(c.body).includes('was cancelled')));
  });

  it('the mail test connection sends to the service user itself over the admin API', async () => {
    const before = bridge.graph.outbox.length;
    const r = await bridge.admin('POST', `mail/test?tenant=${bridge.tenantId}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ok, true, JSON.stringify(r.body));
    assert.equal(bridge.graph.outbox.length, before + 1);
    assert.deepEqual(bridge.graph.outbox.at(-1)!.message.toRecipients, [{ emailAddress: { address: bridge.serviceUser.userPrincipalName } }]);
  });
});

// The local stand-in host refuses at start-up what the real Functions host refuses (dev/registration.ts, with the
// host's own messages; sources cited there): such a function is "in error", gets no route (404) and no listener,
// and the others run. Fixture: test/fixtures/devhost-rules.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from '../../dev/testing.js';
import { queueClient, resetQueues } from '../support/storage.js';
import { waitFor } from '../support/wait.js';

const QUEUE = 'devhost-rules-setting';

describe('dev host registration rules', () => {
  let app: RunningApp;

  before(async () => {
    await resetQueues([QUEUE]);
    app = await startApp({
      functionsGlob: 'dist/test/fixtures/devhost-rules/functions/*.js',
      hostJsonPath: 'test/fixtures/devhost-rules/host.json',
      env: { DEVHOST_RULES_QUEUE: QUEUE },
    });
  });
  after(async () => {
    await app?.stop();
  });

  const inError = (name: string) => app.logs.find((l) => l.includes(`The '${name}' function is in error: `));

  it('reports each refused function with the host\'s message, and only those', () => {
    const messages = Object.fromEntries(app.errors.map((e) => [e.name, e.message]));
    // No host message to copy for this one (Microsoft Learn states the rule, not the wording).
    assert.match(messages.interval ?? '', /^The schedule "00:00:01" is a TimeSpan; .*NCRONTAB/);
    delete messages.interval;
    assert.deepEqual(
      messages,
      {
        thingsTwin: "The route specified conflicts with the route defined by function 'thingsGet'.",
        adminRoute: 'The specified route conflicts with one or more built in routes.',
        runtimes: 'The specified route conflicts with one or more built in routes.',
        'bad.name': "'bad.name' is not a valid function name.",
        host: "'host' is not a valid function name.",
        badBinding: 'The binding name my_blob is invalid. Please assign a valid name to the binding.',
        fiveFields: "The schedule expression '*/5 * * * *' was not recognized as a valid cron expression or timespan string.",
      },
    );
    for (const e of app.errors) assert.ok(inError(e.name), `logged: The '${e.name}' function is in error: ...`);
    assert.deepEqual(app.functions.map((f) => f.name).sort(), ['settingQueue', 'thingsGet', 'thingsPut']);
  });

  it('gives a function in error no route: 404, while the others answer', async () => {
    assert.equal((await fetch(`${app.baseUrl}/api/administration/report`)).status, 404);
    assert.equal((await fetch(`${app.baseUrl}/api/runtimes`)).status, 404);
    assert.equal((await fetch(`${app.baseUrl}/api/bad-name`)).status, 404);
    assert.equal((await fetch(`${app.baseUrl}/api/host-route`)).status, 404);
    assert.equal((await fetch(`${app.baseUrl}/api/bad-binding`)).status, 404);
    assert.equal((await fetch(`${app.baseUrl}/api/things`, { method: 'POST' })).status, 404, 'thingsTwin has no route');
    const get = await fetch(`${app.baseUrl}/api/things`);
    assert.deepEqual(await get.json(), { who: 'thingsGet', method: 'GET' });
    const put = await fetch(`${app.baseUrl}/api/things`, { method: 'PUT' });
    assert.deepEqual(await put.json(), { who: 'thingsPut', method: 'PUT' }, 'same template, methods apart: no conflict');
  });

  it('never runs a timer with a TimeSpan schedule', async () => {
    // A 1 s interval would have run by now; the queue test below takes longer, so check again at the end too.
    assert.ok(!app.logs.some((l) => l.includes('interval ran')));
  });

  it('resolves %SETTING% in a queue name from the app settings', async () => {
    const id = randomUUID();
    await queueClient(QUEUE).sendMessage(Buffer.from(JSON.stringify({ id })).toString('base64'));
    await waitFor('the message on the queue named by the setting', () => app.logs.some((l) => l.includes(`settingQueue got {"id":"${id}"}`)));
    assert.deepEqual((await app.status()).queues, [QUEUE]);
    assert.ok(!app.logs.some((l) => l.includes('interval ran')));
  });
});

describe('dev host with a queue name whose %SETTING% is not set', () => {
  it('puts that function in error and still runs the others', async () => {
    const app = await startApp({
      functionsGlob: 'dist/test/fixtures/devhost-rules/functions/*.js',
      hostJsonPath: 'test/fixtures/devhost-rules/host.json',
      env: { DEVHOST_RULES_QUEUE: undefined },
    });
    try {
      const message = "Error indexing method 'Functions.settingQueue'. '%DEVHOST_RULES_QUEUE%' does not resolve to a value.";
      assert.equal(app.errors.find((e) => e.name === 'settingQueue')?.message, message);
      assert.ok(app.logs.some((l) => l.endsWith(`The 'settingQueue' function is in error: ${message}`)));
      assert.equal((await fetch(`${app.baseUrl}/api/things`)).status, 200);
    } finally {
      assert.equal(await app.stop(), 0);
    }
  });
});

// The intended layers of the app, checked by dependency-cruiser (`npm run check:layers`, and
// test/unit/architecture/layers.test.ts). docs/architecture.md draws the same picture in words.
//
// A module may import modules of its own component and of any LOWER layer. Inside a layer, a component may import
// only the peers `uses` names, and those peer edges must form no cycle (checked below, when this file loads), so
// the folder picture as a whole has no cycle. Type-only imports count (tsPreCompilationDeps): a type that lives
// above its users is the same tangle as a value that does.

/** Layers from the top (may import everything below) to the bottom (imports nothing of the app). */
const layers = [
  {
    layer: 'functions',
    why: 'Azure Functions adapters: parse the trigger, call one thing in shared/, map the outcome',
    components: { functions: '^functions/' },
  },
  {
    layer: 'edges',
    why: 'what answers an HTTP request or a timer: admin API, Jira intake, console, health, Graph notifications',
    components: {
      admin: '^shared/admin/',
      intake: '^shared/intake/',
      console: '^shared/console/',
      health: '^shared/health/',
      // The admin API screens of the lower folders (shared/{bookings,chatToJira,identity,mail,mailIn}/admin.ts)
      // belong to the admin API, not to the folder they sit in.
      featureAdmin: '^shared/(?!admin/)[^/]+/admin\\.ts$',
      // POST /api/graph/notifications: routes chat and mail notifications to their queues.
      graphNotifications: '^shared/chatToJira/(notifications|deps)\\.ts$',
    },
    uses: {
      // The settings-changed hook clears intake's webhook-path cache.
      admin: ['intake'],
      // Every admin screen takes the same request and deps shapes (shared/admin/request.ts) ...
      featureAdmin: ['adminRequest'],
      // ... which is the one module of admin/ the others may import.
      adminRequest: [],
    },
    // A component carved out of a folder of this layer: the rest of the folder may import it, nothing else may
    // import the rest of the folder.
    carved: { adminRequest: { from: 'admin', path: '^shared/admin/request\\.ts$' } },
  },
  {
    layer: 'workflows',
    why: 'the steps of each queue job, over the features',
    components: { workflows: '^shared/workflows/' },
  },
  {
    layer: 'features',
    why: 'one folder per capability',
    components: {
      chats: '^shared/chats/',
      people: '^shared/people/',
      meetings: '^shared/meetings/',
      mail: '^shared/mail/',
      mailIn: '^shared/mailIn/',
      bookings: '^shared/bookings/',
      chatToJira: '^shared/chatToJira/',
    },
    uses: {
      // Meeting attendees are the issue's mapped people.
      meetings: ['people'],
      // A stakeholder mail renders the chat message's HTML and the meeting template's fields.
      mail: ['chats', 'meetings'],
      // Chat → Jira finds the chat's link and maps the message's sender to a Jira account.
      chatToJira: ['chats', 'people'],
      // Senders are mapped through the bridge's user mappings.
      mailIn: ['people'],
    },
  },
  {
    layer: 'jobs',
    why: 'the job runtime: queue messages, runJob, the deps a job gets, do-once, parking, audit',
    components: { jobs: '^shared/jobs/' },
  },
  {
    layer: 'settings',
    why: 'what admins configure: Jira sites and per-project rules',
    components: { sites: '^shared/sites/', rules: '^shared/rules/' },
    uses: { sites: ['rules'] },
  },
  {
    layer: 'clients',
    why: 'the outside systems: Microsoft Graph, Jira, and the identities and tokens Graph is called with',
    components: {
      identity: '^shared/identity/',
      graph: '^shared/graph/',
      jira: '^shared/jira/',
      // The upkeep chat and mail-folder subscriptions share: notification URLs, clientState secrets, the index.
      subscriptions: '^shared/subscriptions/',
    },
    uses: { identity: ['graph'], subscriptions: ['graph'] },
  },
  {
    layer: 'runtime',
    why: 'composition root: config, log, secret store and storage clients built once per process (getRuntime)',
    components: { runtime: '^shared/runtime\\.ts$' },
  },
  {
    layer: 'infra',
    why: 'Azure Storage tables and queues, the secret store (Key Vault or local)',
    components: { storage: '^shared/storage/', secrets: '^shared/secrets/' },
  },
  {
    layer: 'base',
    why: 'vocabulary and helpers with no state: config, log, errors, ids, features, actions, text, HTTP outcomes',
    components: {
      config: '^shared/config\\.ts$',
      log: '^shared/log\\.ts$',
      errors: '^shared/errors\\.ts$',
      ids: '^shared/ids\\.ts$',
      features: '^shared/features\\.ts$',
      actions: '^shared/actions\\.ts$',
      text: '^shared/text/',
      http: '^shared/http/',
    },
    // A logged error carries its fields (status, request id), so the logger knows the error base class.
    uses: { config: ['ids'], log: ['errors'] },
  },
];

// ---- derived: components with their exact paths, then one rule per component ----

const any = (patterns) => (patterns.length ? `(${patterns.join('|')})` : undefined);

/** name → { layer index, path, pathNot } where pathNot removes the files carved out into other components. */
const components = new Map();
const fileLevel = []; // components that are single files or carve-outs inside another component's folder
layers.forEach((l, index) => {
  for (const [name, path] of Object.entries(l.components)) components.set(name, { layer: index, path });
  for (const [name, c] of Object.entries(l.carved ?? {})) {
    components.set(name, { layer: index, path: c.path });
    fileLevel.push(c.path);
  }
});
fileLevel.push(components.get('featureAdmin').path, components.get('graphNotifications').path);
for (const c of components.values()) {
  const others = fileLevel.filter((p) => p !== c.path);
  if (!c.path.endsWith('\\.ts$') && others.length) c.pathNot = any(others);
}

// Peer edges inside a layer: a carved-out component is usable by the rest of its folder.
const peers = new Map();
layers.forEach((l) => {
  for (const name of [...Object.keys(l.components), ...Object.keys(l.carved ?? {})]) peers.set(name, [...(l.uses?.[name] ?? [])]);
  for (const [name, c] of Object.entries(l.carved ?? {})) peers.get(c.from).push(name);
});
for (const [name, uses] of peers) {
  for (const u of uses) {
    if (!components.has(u) || components.get(u).layer !== components.get(name).layer) throw new Error(`layers: ${name} uses ${u}, which is not a peer in its layer`);
  }
}
// The peer edges must be acyclic, or the layer rules would allow a folder cycle.
const state = new Map();
const visit = (name, trail) => {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'active') throw new Error(`layers: peer cycle ${[...trail, name].join(' → ')}`);
  state.set(name, 'active');
  for (const u of peers.get(name)) visit(u, [...trail, name]);
  state.set(name, 'done');
};
for (const name of peers.keys()) visit(name, []);

const layerRules = [...components].flatMap(([name, c]) => {
  const isForbidden = ([other, o]) => other !== name && (o.layer < c.layer || (o.layer === c.layer && !peers.get(name).includes(other)));
  const forbidden = [...components].filter(isForbidden).map(([, o]) => o.path);
  // A file this component may import, inside a folder it may not (shared/admin/request.ts inside shared/admin/).
  const allowedFiles = [...components].filter((e) => !isForbidden(e) && fileLevel.includes(e[1].path)).map(([, o]) => o.path);
  if (!forbidden.length) return []; // the top: may import everything below
  return {
    name: `layer-${name}`,
    comment: `${name} (layer ${layers[c.layer].layer}) may import only lower layers${peers.get(name).length ? ` and ${peers.get(name).join(', ')}` : ''}: see docs/architecture.md`,
    severity: 'error',
    from: { path: c.path, ...(c.pathNot ? { pathNot: c.pathNot } : {}) },
    to: { path: any(forbidden), ...(allowedFiles.length ? { pathNot: any(allowedFiles) } : {}) },
  };
});

const edgesLayer = layers.findIndex((l) => l.layer === 'edges');

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a module cycle: move the shared piece down to where both sides can reach it (docs/architecture.md)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-not-functions-host',
      comment: 'shared/ is free of the Functions host (STYLE "Shape"): @azure/functions belongs in functions/ only',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '(^|/)node_modules/@azure/functions/' },
    },
    {
      name: 'app-not-dev-or-test',
      comment: 'the deployed app (shared/, functions/) never imports the local host (dev/) or the tests (test/)',
      severity: 'error',
      from: { path: '^(shared|functions)/' },
      to: { path: '^(dev|test)/' },
    },
    {
      name: 'runtime-built-at-edges',
      comment: 'only the edges build the runtime (getRuntime()); lower code takes the Runtime type, so it can be handed fakes',
      severity: 'error',
      from: { path: '^shared/', pathNot: any([...components.values()].filter((c) => c.layer <= edgesLayer).map((c) => c.path)) },
      to: { path: components.get('runtime').path, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'layer-unplaced',
      comment: 'every module of shared/ belongs to a layer: add its folder to .dependency-cruiser.cjs and docs/architecture.md',
      severity: 'error',
      from: { path: '^shared/', pathNot: any([...components.values()].map((c) => c.path)) },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // The checked tree: the app. dev/, test/ and scripts/ may import the app; the rules above are about the app.
    includeOnly: '^(shared|functions|dev|test)/|node_modules/@azure/functions/',
  },
};

// Users and the service-user checks: GET /me, /users/{id|upn}, /users?$filter=… (the three lookups the app uses,
// graph-contract.md §5), licenseDetails and mailboxSettings (§6).
import type { FakeGraph, Route } from '../graph.js';
import type { FakeUser } from './state.js';
import { appOnly, GraphError, select, type GraphCall } from './wire.js';

/** user-get.md: the properties returned without $select. */
const DEFAULT_USER_PROPERTIES = [
  'businessPhones', 'displayName', 'givenName', 'id', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation',
  'preferredLanguage', 'surname', 'userPrincipalName',
] as const;

const READ_USERS = ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];

export function userResource(user: FakeUser): Record<string, unknown> {
  return {
    id: user.id,
    businessPhones: [],
    displayName: user.displayName,
    givenName: user.givenName,
    surname: user.surname,
    jobTitle: user.jobTitle,
    mail: user.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    userPrincipalName: user.userPrincipalName,
    proxyAddresses: user.proxyAddresses,
    otherMails: user.otherMails,
    userType: user.userType,
    accountEnabled: user.accountEnabled,
    mailboxSettings: mailboxSettingsResource(user),
  };
}

function mailboxSettingsResource(user: FakeUser) {
  return { timeZone: user.mailboxSettings.timeZone, userPurpose: user.mailboxSettings.userPurpose };
}

/** The signed-in user of a delegated call; app-only calls to /me fail the way Graph answers them. */
export function signedInUser(graph: FakeGraph, call: GraphCall): FakeUser {
  if (appOnly(call.claims) || !call.claims.oid) {
    throw new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  }
  const user = graph.findUser(call.claims.oid, call.claims.tid);
  if (!user) throw new GraphError(404, 'Request_ResourceNotFound', `Resource '${call.claims.oid}' does not exist or one of its queried reference-property objects are not present.`);
  return user;
}

/** A user addressed by `/users/{id|upn}` or `/me`. */
export function addressedUser(graph: FakeGraph, call: GraphCall, key: string | undefined): FakeUser {
  if (key === undefined) return signedInUser(graph, call);
  const user = graph.findUser(key, call.claims.tid);
  if (!user) {
    throw new GraphError(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
  }
  return user;
}

/**
 * The three filter forms the app sends (graph-contract.md §5); anything else is a fake limitation, answered with
 * Graph's code for an unsupported query so it is visible.
 */
function userFilter(filter: string): (user: FakeUser) => boolean {
  const literal = "'((?:[^']|'')*)'";
  const unquote = (s: string) => s.replace(/''/g, "'").toLowerCase();
  let m = new RegExp(`^\\s*(mail|userPrincipalName)\\s+eq\\s+${literal}\\s*$`, 'i').exec(filter);
  if (m?.[1] && m[2] !== undefined) {
    const property = m[1].toLowerCase() === 'mail' ? 'mail' : 'userPrincipalName';
    const value = unquote(m[2]);
    return (u) => (u[property] ?? '').toLowerCase() === value;
  }
  m = new RegExp(`^\\s*(proxyAddresses|otherMails)/any\\(\\s*(\\w+)\\s*:\\s*(\\w+)\\s+eq\\s+${literal}\\s*\\)\\s*$`, 'i').exec(filter);
  if (m?.[1] && m[2] && m[2] === m[3] && m[4] !== undefined) {
    const property = m[1].toLowerCase() === 'proxyaddresses' ? 'proxyAddresses' : 'otherMails';
    const value = unquote(m[4]);
    // Directory string comparisons are case-insensitive, so 'smtp:a@b' also finds the primary 'SMTP:a@b'.
    return (u) => u[property].some((v) => v.toLowerCase() === value);
  }
  throw new GraphError(400, 'Request_UnsupportedQuery', `The fake Graph does not parse this $filter: ${filter}`);
}

function getUser(graph: FakeGraph, call: GraphCall) {
  const user = addressedUser(graph, call, call.params.userId);
  return {
    status: 200,
    body: { '@odata.context': `${graph.baseUrl}/$metadata#users/$entity`, ...select(userResource(user), call.query, DEFAULT_USER_PROPERTIES) },
  };
}

export function userRoutes(): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/me',
      permissions: ['User.Read', 'User.ReadWrite', ...READ_USERS],
      handle: (graph, call) => getUser(graph, call),
    },
    {
      method: 'GET',
      pattern: '/users/{userId}',
      permissions: READ_USERS,
      handle: (graph, call) => getUser(graph, call),
    },
    {
      method: 'GET',
      pattern: '/users',
      permissions: READ_USERS,
      handle(graph, call) {
        const filter = call.query.get('$filter');
        const match = filter ? userFilter(filter) : () => true;
        const value = graph
          .usersOfTenant(call.claims.tid)
          .filter(match)
          .map((u) => select(userResource(u), call.query, DEFAULT_USER_PROPERTIES));
        return { status: 200, body: { '@odata.context': `${graph.baseUrl}/$metadata#users`, value } };
      },
    },
    ...(['/me/licenseDetails', '/users/{userId}/licenseDetails'] as const).map(
      (pattern): Route => ({
        method: 'GET',
        pattern,
        // licensedetails-perm: delegated only; "Application: Not supported".
        permissions: ['LicenseAssignment.Read.All', 'User.Read', 'User.Read.All', 'Directory.Read.All'],
        handle(graph, call) {
          const user = addressedUser(graph, call, call.params.userId);
          return {
            status: 200,
            body: { '@odata.context': `${graph.baseUrl}/$metadata#users('${user.id}')/licenseDetails`, value: user.licenseDetails },
          };
        },
      }),
    ),
    ...(['/me/mailboxSettings', '/users/{userId}/mailboxSettings'] as const).map(
      (pattern): Route => ({
        method: 'GET',
        pattern,
        permissions: ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'],
        handle(graph, call) {
          const user = addressedUser(graph, call, call.params.userId);
          return {
            status: 200,
            body: {
              '@odata.context': `${graph.baseUrl}/$metadata#users('${user.id}')/mailboxSettings`,
              ...select(mailboxSettingsResource(user), call.query),
            },
          };
        },
      }),
    ),
  ];
}

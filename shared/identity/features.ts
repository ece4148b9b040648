// Features a tenant consents to separately, and the Microsoft Graph delegated scopes each needs. Consent links and
// service-user sign-ins ask only for one feature's scopes (DESIGN §6). `optional` scopes degrade one capability
// when missing instead of failing the feature. Scope facts: ../shared/graph-contract.md §0-§11.

export const features = ['chats', 'meetings', 'bookings', 'mail', 'chat-to-jira'] as const;
export type Feature = (typeof features)[number];

export function isFeature(value: unknown): value is Feature {
  return typeof value === 'string' && (features as readonly string[]).includes(value);
}

/** Always requested: sign-in, a refresh token, and reading the service user's own profile and licences. */
export const baseScopes = ['openid', 'profile', 'offline_access', 'User.Read'] as const;

export interface FeatureScopes {
  required: readonly string[];
  /** Scope → the capability that degrades without it. */
  optional: Readonly<Record<string, string>>;
}

export const featureScopes: Readonly<Record<Feature, FeatureScopes>> = {
  chats: {
    // POST /chats, POST /chats/{id}/messages, POST/DELETE /chats/{id}/members, user lookups by mail.
    required: ['Chat.Create', 'ChatMessage.Send', 'ChatMember.ReadWrite', 'User.ReadBasic.All'],
    optional: {
      'User.Read.All': 'looking people up by proxyAddresses / otherMails when mail does not match',
      'Chat.ReadWrite': 'renaming the chat topic on resolution',
    },
  },
  meetings: { required: ['OnlineMeetings.ReadWrite'], optional: {} },
  bookings: {
    required: ['BookingsAppointment.ReadWrite.All', 'Bookings.Read.All'],
    optional: {},
  },
  mail: {
    required: ['Mail.Send', 'MailboxSettings.Read'],
    optional: { 'Mail.Send.Shared': 'sending stakeholder mail as a shared mailbox' },
  },
  'chat-to-jira': { required: ['Chat.Read'], optional: {} },
};

/** Full Graph scope URIs for a token request (`offline_access`, `openid`, `profile` stay bare). */
export function graphScopeUris(scopes: readonly string[], graphResource = 'https://graph.microsoft.com'): string[] {
  const bare = new Set(['openid', 'profile', 'offline_access', 'email']);
  return scopes.map((s) => (bare.has(s) ? s : `${graphResource}/${s}`));
}

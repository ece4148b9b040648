// Features a tenant consents to separately, and the Microsoft Graph delegated scopes each needs. Consent links and
// service-user sign-ins ask only for one feature's scopes (DESIGN §6). `optional` scopes degrade one capability
// when missing instead of failing the feature. Least-privileged delegated permission per call, from
// ../shared/graph-contract.md: chats §0-§5 (POST /chats Chat.Create, messages ChatMessage.Send, members
// ChatMember.ReadWrite, user lookups by mail User.ReadBasic.All); meetings §7 (POST /me/onlineMeetings
// OnlineMeetings.ReadWrite); bookings §8 (list businesses and create appointments BookingsAppointment.ReadWrite.All);
// mail §9 (sendMail Mail.Send, Mail.Send.Shared for shared mailboxes); chat → Jira §10 (per-chat message
// subscriptions Chat.Read); mail → Jira (mail-in: delta reads of one folder Mail.Read, marking or moving what was
// handled Mail.ReadWrite, another (shared) mailbox Mail.Read.Shared: graph-contract §9 "Read a mail source with delta").

import type { Feature } from '../features.js';

/**
 * Always requested: sign-in, a refresh token, and what validating the service user reads (graph-contract §6):
 * `/me` and `/me/licenseDetails` need `User.Read`; `/me/mailboxSettings` (userPurpose, to refuse shared mailboxes)
 * needs `MailboxSettings.Read`, delegated, which reads the signed-in user's own settings only.
 */
export const baseScopes = ['openid', 'profile', 'offline_access', 'User.Read', 'MailboxSettings.Read'] as const;

/** OIDC scopes: not Graph permissions, never in a Graph token's `scp`. */
export const oidcScopes: readonly string[] = ['openid', 'profile', 'offline_access', 'email'];

/** Graph permissions a feature's consent and sign-in ask for: base (without OIDC), required, then optional. */
export function featureGraphScopes(feature: Feature): string[] {
  const s = featureScopes[feature];
  return [...new Set([...baseScopes.filter((x) => !oidcScopes.includes(x)), ...s.required, ...Object.keys(s.optional)])];
}

/**
 * Features a mailbox owner may connect with their own (user) consent where the tenant allows it: every delegated
 * permission they ask for is marked "Admin consent required: No" in the Microsoft Graph permissions reference
 * (Mail.Read, Mail.ReadWrite, Mail.Read.Shared, Mail.ReadWrite.Shared, User.Read, MailboxSettings.Read). Their
 * sign-in starts without an admin's consent; Entra asks the user to consent, or shows "Need admin approval" when the
 * tenant does not let users consent. Every other feature needs an admin's consent first.
 */
export const userConsentFeatures: ReadonlySet<Feature> = new Set<Feature>(['mail-in']);

/** Licence a feature's service user needs (graph-contract §6): Teams for chat features, Bookings for Bookings. */
export const featureLicence: Readonly<Record<Feature, 'teams' | 'bookings' | undefined>> = {
  chats: 'teams',
  meetings: 'teams',
  'chat-to-jira': 'teams',
  bookings: 'bookings',
  mail: undefined,
  // Reading mail needs an Exchange Online mailbox, which Graph reports as MailboxNotEnabledForRESTAPI when absent;
  // test connection explains it (shared/mailIn/admin.ts) rather than a licence check here.
  'mail-in': undefined,
};

export interface FeatureScopes {
  required: readonly string[];
  /** Scope → the capability that degrades without it. */
  optional: Readonly<Record<string, string>>;
}

export const featureScopes: Readonly<Record<Feature, FeatureScopes>> = {
  chats: {
    // POST /chats, POST /chats/{id}/messages, GET/POST/DELETE /chats/{id}/members, user lookups by mail, and
    // GET /me/chats?$filter=topic, which finds a chat an interrupted creation made (exactly one chat per issue).
    required: ['Chat.Create', 'ChatMessage.Send', 'ChatMember.ReadWrite', 'User.ReadBasic.All', 'Chat.ReadBasic'],
    optional: {
      'User.Read.All': 'looking people up by proxyAddresses / otherMails when mail does not match',
      'Chat.ReadWrite': 'renaming the chat topic on resolution',
    },
  },
  meetings: { required: ['OnlineMeetings.ReadWrite'], optional: {} },
  // BookingsAppointment.ReadWrite.All covers listing businesses, staff and services and creating appointments.
  bookings: { required: ['BookingsAppointment.ReadWrite.All'], optional: {} },
  mail: {
    required: ['Mail.Send', 'MailboxSettings.Read'],
    optional: { 'Mail.Send.Shared': 'sending stakeholder mail as a shared mailbox' },
  },
  'chat-to-jira': { required: ['Chat.Read'], optional: {} },
  // Mail.Read reads the folder (delta); marking a message read or moving it after ingest needs Mail.ReadWrite
  // (graph-contract §9), so a source set to leave mail untouched works without it. Without Mail.Read.Shared only
  // the signed-in account's own mailbox can be a source.
  'mail-in': {
    required: ['Mail.Read'],
    optional: {
      'Mail.ReadWrite': 'marking handled mail read or moving it to another folder',
      'Mail.Read.Shared': 'reading a shared mailbox the service user has Full Access to',
      // outlook-share-messages-folders.md: Mail.Read.Shared / Mail.ReadWrite.Shared "read or write messages in a
      // shared or delegated folder"; Mail.ReadWrite covers only the signed-in user's own mailbox.
      'Mail.ReadWrite.Shared': 'marking or moving handled mail in a shared mailbox',
    },
  },
};

/** Bare Graph permission names from a token response's `scope` (which may carry the resource URI prefix). */
export function bareScopes(scopes: readonly string[], graphResource = 'https://graph.microsoft.com'): string[] {
  const prefix = `${graphResource}/`;
  return scopes.map((s) => (s.toLowerCase().startsWith(prefix) ? s.slice(prefix.length) : s));
}

/** Full Graph scope URIs for a token request (`offline_access`, `openid`, `profile` stay bare). */
export function graphScopeUris(scopes: readonly string[], graphResource = 'https://graph.microsoft.com'): string[] {
  return scopes.map((s) => (oidcScopes.includes(s) ? s : `${graphResource}/${s}`));
}

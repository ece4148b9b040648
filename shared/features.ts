// The features a tenant consents to separately (DESIGN §6). The list is the app's vocabulary, below everything that
// keys by it (service users, tenant connections, parked jobs and OAuth states in storage/, tokens in identity/);
// the Graph scopes and licence each feature needs stay with the identity code (shared/identity/features.ts).

export const features = ['chats', 'meetings', 'bookings', 'mail', 'chat-to-jira', 'mail-in'] as const;
export type Feature = (typeof features)[number];

export function isFeature(value: unknown): value is Feature {
  return typeof value === 'string' && (features as readonly string[]).includes(value);
}

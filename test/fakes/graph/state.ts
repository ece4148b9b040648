// What the fake Graph holds in memory, and the seed shapes tests use. Property names follow the v1.0 schema
// (CSDL types user, licenseDetails, mailboxSettings, chat, aadUserConversationMember, chatMessage, onlineMeeting,
// subscription, bookingBusiness, bookingService, bookingStaffMember, bookingAppointment, bookingCustomer).
import { randomUUID } from 'node:crypto';

/** Service plans the app checks (graph-contract.md §6: TEAMS1 and MICROSOFTBOOKINGS service plan ids). */
export const servicePlans = {
  teams: { servicePlanId: '57ff2da0-773e-42df-b2af-ffb7a2317929', servicePlanName: 'TEAMS1' },
  bookings: { servicePlanId: '199a5c09-e0ca-4e37-8f7c-b05d533e1ea2', servicePlanName: 'MICROSOFTBOOKINGS' },
} as const;

export interface ServicePlanInfo {
  servicePlanId: string;
  servicePlanName: string;
  provisioningStatus: string;
  appliesTo: string;
}

export interface LicenseDetails {
  id: string;
  skuId: string;
  skuPartNumber: string;
  servicePlans: ServicePlanInfo[];
}

export type UserPurpose = 'user' | 'linked' | 'shared' | 'room' | 'equipment' | 'others' | 'unknownFutureValue';

export interface FakeUser {
  id: string;
  tenantId: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  userPrincipalName: string;
  proxyAddresses: string[];
  otherMails: string[];
  userType: 'Member' | 'Guest';
  accountEnabled: boolean;
  jobTitle: string | null;
  licenseDetails: LicenseDetails[];
  mailboxSettings: { userPurpose: UserPurpose; timeZone: string };
}

/** Seed for `FakeGraph.addUser`; everything but `displayName` has a default. */
export type UserSeed = Partial<Omit<FakeUser, 'mailboxSettings'>> & {
  displayName: string;
  mailboxSettings?: Partial<FakeUser['mailboxSettings']>;
};

/** An E3-like licence carrying Teams and Bookings, both provisioned. */
export function defaultLicense(): LicenseDetails {
  return {
    id: randomUUID(),
    skuId: '6fd2c87f-b296-42f0-b197-1e91e994b900',
    skuPartNumber: 'ENTERPRISEPACK',
    servicePlans: [
      { ...servicePlans.teams, provisioningStatus: 'Success', appliesTo: 'User' },
      { ...servicePlans.bookings, provisioningStatus: 'Success', appliesTo: 'User' },
    ],
  };
}

export interface FakeChatMember {
  /** Opaque membership id (Graph's are base64 of tenant/chat/user; clients must not parse them). */
  id: string;
  userId: string;
  displayName: string;
  email: string | null;
  tenantId: string;
  roles: string[];
  visibleHistoryStartDateTime: string;
}

export interface FakeChatMessage {
  id: string;
  chatId: string;
  createdDateTime: string;
  fromUserId: string | null;
  body: { contentType: 'text' | 'html'; content: string };
  /** The full request body as sent (mentions, attachments, importance…). */
  request: Record<string, unknown>;
}

export interface FakeChat {
  id: string;
  tenantId: string;
  chatType: 'group';
  topic: string | null;
  createdDateTime: string;
  lastUpdatedDateTime: string;
  webUrl: string;
  members: FakeChatMember[];
  messages: FakeChatMessage[];
  /** Who created it (oid, or the app id for app-only). */
  createdBy: string;
}

export interface FakeOnlineMeeting {
  id: string;
  tenantId: string;
  organizerId: string;
  externalId: string;
  subject: string | null;
  startDateTime: string;
  endDateTime: string;
  creationDateTime: string;
  joinWebUrl: string;
  chatThreadId: string;
  /** The request body that created it. */
  request: Record<string, unknown>;
}

export interface FakeSubscription {
  id: string;
  resource: string;
  changeType: string;
  clientState: string | null;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  includeResourceData: boolean;
  applicationId: string;
  creatorId: string;
  tenantId: string;
  /** How many times POST …/reauthorize was called. */
  reauthorizedCount?: number;
}

export interface BookingWorkHours {
  day: 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';
  timeSlots: Array<{ startTime: string; endTime: string }>;
}

export interface BookingSchedulingPolicy {
  timeSlotInterval: string;
  minimumLeadTime: string;
  maximumAdvance: string;
  sendConfirmationsToOwner: boolean;
  allowStaffSelection: boolean;
}

export interface FakeBookingService {
  id: string;
  displayName: string;
  /** ISO 8601 duration, e.g. `PT30M`: app-only appointments must last exactly this long. */
  defaultDuration: string;
  maximumAttendeesCount: number;
  isLocationOnline: boolean;
  staffMemberIds: string[];
}

export type BookingStaffRole = 'guest' | 'administrator' | 'viewer' | 'externalGuest' | 'scheduler' | 'teamMember';

export interface FakeBookingStaffMember {
  id: string;
  displayName: string;
  emailAddress: string;
  role: BookingStaffRole;
  timeZone: string;
  useBusinessHours: boolean;
}

export interface FakeBookingAppointment {
  id: string;
  serviceId: string | null;
  startDateTime: { dateTime: string; timeZone: string };
  endDateTime: { dateTime: string; timeZone: string };
  isLocationOnline: boolean;
  joinWebUrl: string | null;
  staffMemberIds: string[];
  customers: unknown[];
  /** The request body that created it. */
  request: Record<string, unknown>;
  cancelled: { message: string | null } | null;
}

export interface FakeBookingCustomer {
  id: string;
  displayName: string;
  emailAddress: string | null;
  request: Record<string, unknown>;
}

export interface FakeBookingBusiness {
  id: string;
  displayName: string;
  /**
   * Opening hours, wall-clock times in `businessTimeZone`. Default: Monday–Friday 08:00–17:00.
   */
  businessHours: BookingWorkHours[];
  /**
   * What Graph returns in `bookingPageSettings.businessTimeZone`: a Windows zone name ("Pacific Standard Time") or
   * one of dateTimeTimeZone's IANA names (bookingpagesettings.md → datetimetimezone.md). Default `UTC`.
   */
  businessTimeZone: string;
  schedulingPolicy: BookingSchedulingPolicy;
  services: FakeBookingService[];
  staffMembers: FakeBookingStaffMember[];
  appointments: FakeBookingAppointment[];
  customers: FakeBookingCustomer[];
}

export type BookingBusinessSeed = Partial<Omit<FakeBookingBusiness, 'schedulingPolicy' | 'services' | 'staffMembers'>> & {
  id: string;
  schedulingPolicy?: Partial<BookingSchedulingPolicy>;
  services?: Array<Partial<FakeBookingService> & { displayName: string }>;
  staffMembers?: Array<Partial<FakeBookingStaffMember> & { displayName: string; emailAddress: string }>;
};

export interface SentMail {
  /** The mailbox whose sendMail was called (`/me` resolves to the caller). */
  mailboxUserId: string;
  /** Caller's oid, or undefined for app-only. */
  callerUserId: string | undefined;
  /** `message.from.emailAddress.address` when given. */
  from: string | undefined;
  /** `message` from the request body. */
  message: Record<string, unknown>;
  saveToSentItems: boolean;
  sentDateTime: string;
}

export function weekdayHours(start = '08:00:00', end = '17:00:00'): BookingWorkHours[] {
  const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] as const;
  return days.map((day) => ({ day, timeSlots: [{ startTime: `${start}.0000000`, endTime: `${end}.0000000` }] }));
}

/** ISO 8601 duration (`PT30M`, `P1DT2H`, `P365D`) to milliseconds; weeks/days/hours/minutes/seconds only. */
export function durationMs(iso: string): number {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso);
  if (!m) throw new Error(`unsupported ISO 8601 duration ${iso}`);
  const [, w, d, h, min, s] = m;
  return ((((Number(w ?? 0) * 7 + Number(d ?? 0)) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60 + Number(s ?? 0)) * 1000;
}

export function isoDuration(ms: number): string {
  const totalMinutes = Math.round(ms / 60000);
  const h = Math.floor(totalMinutes / 60);
  const m = totalMinutes % 60;
  return `PT${h ? `${h}H` : ''}${m || !h ? `${m}M` : ''}`;
}

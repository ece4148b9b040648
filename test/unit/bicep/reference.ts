// Facts the Bicep checks compare against. Azure facts come from ../shared/contracts/azure/resource-types.json (read
// at run time, never copied); the few facts that file lacks are here, each with its source.
import { readFileSync } from 'node:fs';
import { baseScopes, featureScopes } from '../../../shared/identity/features.js';
import { features } from '../../../shared/features.js';
import { sharedReferencePath } from '../../support/repoRoot.js';

export interface PropertyList {
  writable: string[];
  readOnly: string[];
  required: string[];
}

export interface ResourceTypeEntry {
  newestStable?: string;
  newestStableDetails?: {
    resourceBody?: PropertyList;
    properties?: PropertyList;
    /** Deeper objects keyed by dotted path from the resource body; an array path describes its items. */
    nested?: Record<string, PropertyList>;
  };
}

export interface AzureReference {
  index: Record<string, { stable: string[]; preview: string[] }>;
  resourceTypes: Record<string, ResourceTypeEntry>;
  builtInRoles: {
    requested: Record<string, { id: string }>;
    additional: Record<string, { id: string }>;
  };
  graphExtension: {
    typesPackage: { registryReference: string };
    declarationInBicepFile: string;
    resourceTypes: Record<
      string,
      { writable: string[]; readOnly: string[]; required: string[]; nested?: Record<string, PropertyList> }
    >;
  };
}

let cached: AzureReference | undefined;

export function azureReference(): AzureReference {
  cached ??= JSON.parse(
    readFileSync(sharedReferencePath('contracts', 'azure', 'resource-types.json'), 'utf8'),
  ) as AzureReference;
  return cached;
}

/**
 * API versions the reference file does not list because it does not cover the type. Each entry names where the
 * version was seen in the Bicep types (what the compiler type-checks against).
 */
export const supplementalApiVersions: Record<string, { versions: string[]; source: string }> = {
  'Microsoft.Insights/workbooks': {
    versions: ['2023-06-01'],
    source:
      'Microsoft Learn, Azure template reference "Microsoft.Insights workbooks" (https://learn.microsoft.com/azure/templates/microsoft.insights/workbooks): latest stable 2023-06-01; kind \'shared\'; properties category, description, displayName, serializedData, sourceId, storageUri, tags, version',
  },
  'Microsoft.Resources/resourceGroups': {
    versions: ['2024-03-01'],
    source:
      'Azure/bicep-types-az generated/resources/microsoft.resources/2024-03-01/types.md @ a273e0d302494756553d797d8028cd563444d0b6 ("Resource Microsoft.Resources/resourceGroups@2024-03-01", valid scope Subscription)',
  },
};

/** Known API versions of a type (case-insensitive), or undefined when the type is unknown. */
export function knownApiVersions(type: string): { stable: Set<string>; preview: Set<string> } | undefined {
  const ref = azureReference();
  const key = Object.keys(ref.index).find((t) => t.toLowerCase() === type.toLowerCase());
  const supplemental = Object.entries(supplementalApiVersions).find(([t]) => t.toLowerCase() === type.toLowerCase());
  if (!key && !supplemental) return undefined;
  const entry = key ? ref.index[key] : undefined;
  return {
    stable: new Set([...(entry?.stable ?? []), ...(supplemental?.[1].versions ?? [])]),
    preview: new Set(entry?.preview ?? []),
  };
}

export function resourceTypeEntry(type: string): ResourceTypeEntry | undefined {
  const ref = azureReference();
  const key = Object.keys(ref.resourceTypes).find((t) => t.toLowerCase() === type.toLowerCase());
  return key ? ref.resourceTypes[key] : undefined;
}

/** Built-in role GUID → role name. */
export function builtInRoleIds(): Map<string, string> {
  const roles = azureReference().builtInRoles;
  const map = new Map<string, string>();
  for (const [name, role] of [...Object.entries(roles.requested), ...Object.entries(roles.additional)]) {
    map.set(role.id.toLowerCase(), name);
  }
  return map;
}

/**
 * Microsoft Graph delegated permission ids the app registration may request. Source: microsoftgraph/
 * microsoft-graph-docs-contrib concepts/includes/permissions-ids.md @ 0fcd5cbe2910cde47ccadfc740b8df07f57244d7
 * (the auto-generated "All permissions and IDs" table of the Graph permissions reference), rows of Type
 * "Delegated". Every id was read from that table; none is from memory.
 */
export const graphDelegatedPermissionIds: Readonly<Record<string, string>> = {
  openid: '37f7f235-527c-4136-accd-4a02d197296e',
  profile: '14dad69e-099b-42c9-810b-d002981feec1',
  offline_access: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182',
  'User.Read': 'e1fe6dd8-ba31-4d61-89e7-88639da4683d',
  'User.ReadBasic.All': 'b340eb25-3456-403f-be2f-af7a0d370277',
  'Chat.Create': '38826093-1258-4dea-98f0-00003be2b8d0',
  'ChatMessage.Send': '116b7235-7cc6-461e-b163-8e55691d839e',
  'ChatMember.ReadWrite': 'dea13482-7ea6-488f-8b98-eb5bbecf033d',
  'Chat.Read': 'f501c180-9344-439a-bca0-6cbf209fd270',
  'Chat.ReadBasic': '9547fcb5-d03f-419d-9948-5928bbf71b0f',
  'Chat.ReadWrite': '9ff7295e-131b-4d94-90e1-69fde507ac11',
  'User.Read.All': 'a154be20-db9c-4678-8ab7-66f6cc099a59',
  'OnlineMeetings.ReadWrite': 'a65f2972-a4f8-4f5e-afd7-69ccb046d5dc',
  'Bookings.ReadWrite.All': '948eb538-f19d-4ec5-9ccc-f059e1ea4c72',
  'BookingsAppointment.ReadWrite.All': '02a5a114-36a6-46ff-a102-954d89d9ab02',
  'Mail.Send': 'e383f46e-2787-4529-855e-0e479a3ffac0',
  'Mail.Send.Shared': 'a367ab51-6b49-43bf-a716-a1fb06d2a174',
  'MailboxSettings.Read': '87f447af-9fa4-4c32-9dfa-4a57a73d18ce',
  'Mail.Read': '570282fd-fa5c-430d-a7fd-fc8dc98a9dca',
  'Mail.ReadWrite': '024d486e-b451-40bb-833d-3e66d98c5c73',
  'Mail.Read.Shared': '7b9103a5-4610-446b-9670-80643382c1fa',
  'Mail.ReadWrite.Shared': '5df07973-7d5d-46ed-9847-1271055cbd51',
};

/**
 * The delegated permissions each feature's consent link and sign-in ask for, straight from the app's own
 * shared/identity/features.ts (required and optional), so the registration the Bicep creates can never ask for less
 * than the app requests; `base` is requested with every feature. Bicep names the chat-to-jira feature `chatToJira`
 * and mail-in `mailIn`.
 */
export const expectedFeaturePermissions: Readonly<Record<string, readonly string[]>> = {
  base: [...baseScopes],
  ...Object.fromEntries(
    features.map((feature) => [
      feature === 'chat-to-jira' ? 'chatToJira' : feature === 'mail-in' ? 'mailIn' : feature,
      [...featureScopes[feature].required, ...Object.keys(featureScopes[feature].optional)],
    ]),
  ),
};

/** Tables the app keeps state in (DESIGN.md section 5, issue 6). bicep/modules/storage.bicep must declare each. */
export const expectedTables: readonly string[] = [
  'sites',
  'projects',
  'tenantConnections',
  'serviceUsers',
  'chatLinks',
  'userMappings',
  'oauthStates',
  'audit',
  'deliveries',
  'parkedJobs',
  'graphSubscriptions',
  'meetings',
  'mailSends',
  'bookings',
  // issue 16 (mail → Jira): message sources with their delta links, and handled-message claims + sender windows.
  'mailSources',
  'mailInMessages',
];

/**
 * App settings the Functions host itself reads (not shared/config.ts). Source:
 * https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
 * (`AzureWebJobsStorage__credential`) and https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication
 * (`APPLICATIONINSIGHTS_AUTHENTICATION_STRING`).
 */
export const hostAppSettings: readonly string[] = [
  'AzureWebJobsStorage__credential',
  // The host keeps its leases and keys in blobs; the app itself uses only queues and tables (same page, "Common
  // properties for identity-based connections": blobServiceUri / queueServiceUri / tableServiceUri).
  'AzureWebJobsStorage__blobServiceUri',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
];

/**
 * Settings Flex Consumption rejects or ignores: the runtime is functionAppConfig.runtime and the package is a blob.
 * Source: "Deprecated properties and settings" in https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan
 */
export const settingsForbiddenOnFlex: readonly string[] = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_NODE_DEFAULT_VERSION',
];

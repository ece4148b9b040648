// Optional: the multi-tenant Entra app registration the bridge signs in with, created through the Microsoft Graph
// Bicep extension (alias defined in ../bicepconfig.json). The deploying user needs permission to create
// applications in the home tenant (for example the Application Developer role).
//
// Only delegated permissions (type 'Scope') are listed: the service user acts through them, and the consent link
// asks a customer's admin for one feature's scopes at a time. No client secret is created here: Graph Bicep cannot
// hand a generated secret back without putting it in the deployment history, so the admin creates one and passes it
// as the @secure() entraClientSecret parameter (see bicep/README.md).
extension microsoftGraphV1

@description('Required. Display name shown on the consent screen.')
param displayName string

@description('Required. Immutable unique name of the app registration; a re-deployment updates the same app.')
param uniqueName string

@description('Required. Public origin of the Function App, e.g. https://func-abc.azurewebsites.net (no trailing slash).')
param publicBaseUrl string

@description('Required. Features whose Graph permissions the app lists: chats, meetings, bookings, mail, chatToJira, mailIn.')
@allowed([
  'chats'
  'meetings'
  'bookings'
  'mail'
  'chatToJira'
  'mailIn'
])
param features array

// Microsoft Graph's application id, the resource every permission below belongs to.
var graphAppId = '00000003-0000-0000-c000-000000000000'

// Delegated permission ids. Source: microsoftgraph/microsoft-graph-docs-contrib
// concepts/includes/permissions-ids.md @ 0fcd5cbe2910cde47ccadfc740b8df07f57244d7 (the "All permissions and IDs"
// table of https://learn.microsoft.com/graph/permissions-reference), rows of Type "Delegated".
var basePermissions = [
  {
    id: '37f7f235-527c-4136-accd-4a02d197296e' // openid
    type: 'Scope'
  }
  {
    id: '14dad69e-099b-42c9-810b-d002981feec1' // profile
    type: 'Scope'
  }
  {
    id: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182' // offline_access
    type: 'Scope'
  }
  {
    id: 'e1fe6dd8-ba31-4d61-89e7-88639da4683d' // User.Read
    type: 'Scope'
  }
  {
    id: '87f447af-9fa4-4c32-9dfa-4a57a73d18ce' // MailboxSettings.Read
    type: 'Scope'
  }
]

var featurePermissions = {
  chats: [
    {
      id: '38826093-1258-4dea-98f0-00003be2b8d0' // Chat.Create
      type: 'Scope'
    }
    {
      id: '116b7235-7cc6-461e-b163-8e55691d839e' // ChatMessage.Send
      type: 'Scope'
    }
    {
      id: 'dea13482-7ea6-488f-8b98-eb5bbecf033d' // ChatMember.ReadWrite
      type: 'Scope'
    }
    {
      id: 'b340eb25-3456-403f-be2f-af7a0d370277' // User.ReadBasic.All
      type: 'Scope'
    }
    {
      id: '9547fcb5-d03f-419d-9948-5928bbf71b0f' // Chat.ReadBasic
      type: 'Scope'
    }
    // Optional for the app (a missing one degrades one capability), listed so a consent can grant them.
    {
      id: 'a154be20-db9c-4678-8ab7-66f6cc099a59' // User.Read.All
      type: 'Scope'
    }
    {
      id: '9ff7295e-131b-4d94-90e1-69fde507ac11' // Chat.ReadWrite
      type: 'Scope'
    }
  ]
  meetings: [
    {
      id: 'a65f2972-a4f8-4f5e-afd7-69ccb046d5dc' // OnlineMeetings.ReadWrite
      type: 'Scope'
    }
  ]
  bookings: [
    {
      id: '02a5a114-36a6-46ff-a102-954d89d9ab02' // BookingsAppointment.ReadWrite.All
      type: 'Scope'
    }
  ]
  mail: [
    {
      id: 'e383f46e-2787-4529-855e-0e479a3ffac0' // Mail.Send
      type: 'Scope'
    }
    {
      id: 'a367ab51-6b49-43bf-a716-a1fb06d2a174' // Mail.Send.Shared
      type: 'Scope'
    }
    {
      id: '87f447af-9fa4-4c32-9dfa-4a57a73d18ce' // MailboxSettings.Read
      type: 'Scope'
    }
  ]
  chatToJira: [
    {
      id: 'f501c180-9344-439a-bca0-6cbf209fd270' // Chat.Read
      type: 'Scope'
    }
  ]
  mailIn: [
    {
      id: '570282fd-fa5c-430d-a7fd-fc8dc98a9dca' // Mail.Read
      type: 'Scope'
    }
    {
      id: '024d486e-b451-40bb-833d-3e66d98c5c73' // Mail.ReadWrite
      type: 'Scope'
    }
    {
      id: '7b9103a5-4610-446b-9670-80643382c1fa' // Mail.Read.Shared
      type: 'Scope'
    }
    {
      id: '5df07973-7d5d-46ed-9847-1271055cbd51' // Mail.ReadWrite.Shared
      type: 'Scope'
    }
  ]
}

// union() drops duplicates, so a permission two features share would still be listed once.
var graphPermissions = union(basePermissions, flatten(map(features, feature => featurePermissions[feature])))

// The admin console's app role. Admins of the bridge are the users (or groups) assigned this role on the app's
// enterprise application in the home tenant; the role arrives in the ID token's `roles` claim (Microsoft Entra:
// "Add app roles to your application and receive them in the token"). The id is fixed so a re-deployment keeps
// existing assignments (guid() is deterministic: the same app's uniqueName always gives the same id).
var adminAppRole = {
  allowedMemberTypes: [
    'User'
  ]
  description: 'Administers the Jira Microsoft 365 bridge in its admin console.'
  displayName: 'Bridge administrator'
  id: guid(uniqueName, 'Bridge.Admin')
  isEnabled: true
  value: 'Bridge.Admin'
}

resource app 'Microsoft.Graph/applications@v1.0' = {
  displayName: displayName
  uniqueName: uniqueName
  signInAudience: 'AzureADMultipleOrgs'
  web: {
    redirectUris: [
      '${publicBaseUrl}/api/auth/callback'
      '${publicBaseUrl}/api/consent/callback'
      '${publicBaseUrl}/api/console/auth/callback'
    ]
    implicitGrantSettings: {
      enableAccessTokenIssuance: false
      enableIdTokenIssuance: false
    }
  }
  appRoles: [
    adminAppRole
  ]
  requiredResourceAccess: [
    {
      resourceAppId: graphAppId
      resourceAccess: graphPermissions
    }
  ]
}

output appId string = app.appId

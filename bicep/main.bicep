// Jira ⇄ Microsoft 365 bridge: everything it needs in the customer's own subscription, in one resource group.
// Run with `azd up` (azure.yaml at the repo root points here) or `az deployment sub create` (see README.md).
// Secure by default: managed identity and RBAC everywhere, shared keys off, Key Vault in RBAC mode with purge
// protection, App Insights without local auth, no secret in app settings or outputs.
targetScope = 'subscription'

@description('Required. Name of the environment (azd: AZURE_ENV_NAME), e.g. "jira-bridge-prod". Seeds every resource name.')
@minLength(1)
@maxLength(40)
param environmentName string

@description('Required. Azure region for every resource (azd: AZURE_LOCATION). Flex Consumption must be available there.')
param location string

@description('Optional. Resource group name. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Optional. Tags added to every resource.')
param tags object = {}

@description('Optional. Upper bound on Function App instances. Flex Consumption accepts 40 to 1000 (its lowest maximum is 40).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Memory per Function App instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Always-ready instances for the HTTP functions: Graph drops a change-notification subscription whose validation is not answered within 10 s, and Jira waits on the acknowledgement. 0 saves the idle cost and accepts cold starts.')
@minValue(0)
@maxValue(20)
param alwaysReadyHttpInstances int = 1

@description('Optional. Always-ready instances for each queue function named in alwaysReadyQueueFunctions. On Flex Consumption every queue function scales on its own from zero, so with 0 a message on an idle queue waits for that function\'s instance to start; with 1 it is picked up within host.json maxPollingInterval (2 s). Each instance is billed around the clock (see bicep/README.md).')
@minValue(0)
@maxValue(5)
param alwaysReadyQueueInstances int = 0

@description('Optional. Queue functions that get alwaysReadyQueueInstances: by default the incident-chat path (eventJobs fans Jira events out, chatJobs creates the chats).')
param alwaysReadyQueueFunctions array = [
  'eventJobs'
  'chatJobs'
]

@description('Optional. Public origin the app is reached at, when a custom domain fronts it (e.g. https://jira-bridge.contoso.com). Empty: https://<function app default host name>.')
param publicBaseUrl string = ''

@description('Optional. Storage replication.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSkuName string = 'Standard_LRS'

@description('Optional. Days Log Analytics keeps the app\'s logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Optional. Log level of the app.')
@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string = 'info'

@description('Optional. Application (client) id of an existing multi-tenant Entra app registration. Ignored when createEntraApp is true.')
param entraClientId string = ''

@description('Optional. Client secret of the Entra app registration. Stored in Key Vault and referenced from the ENTRA_CLIENT_SECRET app setting; never output.')
@secure()
param entraClientSecret string = ''

@description('Optional. Set true on a re-deployment that does not pass entraClientSecret again but the secret is already in Key Vault, so ENTRA_CLIENT_SECRET keeps its Key Vault reference.')
param useExistingEntraClientSecret bool = false

@description('Optional. Create the multi-tenant Entra app registration with the Microsoft Graph Bicep extension. The deploying user must be allowed to create applications.')
param createEntraApp bool = false

@description('Optional. Display name of the Entra app registration created when createEntraApp is true.')
param entraAppDisplayName string = 'Jira Microsoft 365 bridge'

@description('Optional. Features whose delegated Graph permissions the created app registration lists.')
@allowed([
  'chats'
  'meetings'
  'bookings'
  'mail'
  'chatToJira'
  'mailIn'
])
param entraAppFeatures array = [
  'chats'
  'meetings'
  'bookings'
  'mail'
  'chatToJira'
  'mailIn'
]

@description('Optional. Object id of a person or group who gets Key Vault Secrets Officer on the vault (to rotate the client secret). Empty: only the app.')
param keyVaultAdminPrincipalId string = ''

@description('Optional. Kind of principal keyVaultAdminPrincipalId is.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param keyVaultAdminPrincipalType string = 'User'

@description('Optional. E-mail addresses that get the alerts (HTTP 5xx, Jira 401 spike, poison messages, service users, Graph throttling, job backlog).')
param alertEmailAddresses array = []

@description('Optional. Resource id of an existing action group that gets the alerts.')
param alertActionGroupId string = ''

@description('Optional. Put Storage and Key Vault behind private endpoints and integrate the Function App with a new VNet.')
param enablePrivateNetworking bool = false

@description('Optional. Address space of the VNet created when enablePrivateNetworking is true.')
param vnetAddressPrefix string = '10.60.0.0/16'

@description('Optional. Subnet for the Function App VNet integration.')
param appSubnetPrefix string = '10.60.1.0/24'

@description('Optional. Subnet for the private endpoints.')
param privateEndpointSubnetPrefix string = '10.60.2.0/24'

@description('Optional. With enablePrivateNetworking: give the app subnet default outbound access, so the app reaches Graph, Jira and Entra (subnets are private by default from Microsoft.Network 2025-07-01). false: attach your own NAT gateway to the app subnet for a fixed egress IP.')
param appSubnetDefaultOutboundAccess bool = true

var abbrs = loadJsonContent('abbreviations.json')
// Same subscription + environment + region gives the same names, so a re-run updates instead of duplicating.
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, {
  'azd-env-name': environmentName
})
var entraClientSecretName = 'entra-client-secret'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? '${abbrs.resourcesResourceGroups}${environmentName}' : resourceGroupName
  location: location
  tags: allTags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    appInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: allTags
    retentionInDays: logRetentionInDays
    identityPrincipalId: identity.outputs.principalId
    identityResourceId: identity.outputs.id
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: allTags
    skuName: storageSkuName
    privateNetworking: enablePrivateNetworking
    identityPrincipalId: identity.outputs.principalId
    identityResourceId: identity.outputs.id
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: allTags
    privateNetworking: enablePrivateNetworking
    identityPrincipalId: identity.outputs.principalId
    identityResourceId: identity.outputs.id
    entraClientSecret: entraClientSecret
    entraClientSecretName: entraClientSecretName
    adminPrincipalId: keyVaultAdminPrincipalId
    adminPrincipalType: keyVaultAdminPrincipalType
  }
}

module network 'modules/network.bicep' = if (enablePrivateNetworking) {
  name: 'network'
  scope: rg
  params: {
    vnetName: '${abbrs.networkVirtualNetworks}${resourceToken}'
    privateEndpointPrefix: '${abbrs.networkPrivateEndpoints}${resourceToken}-'
    location: location
    tags: allTags
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    appSubnetDefaultOutboundAccess: appSubnetDefaultOutboundAccess
    storageAccountId: storage.outputs.id
    keyVaultId: keyVault.outputs.id
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    planName: '${abbrs.webServerFarms}${resourceToken}'
    name: '${abbrs.webSitesFunctions}${resourceToken}'
    location: location
    tags: allTags
    // azd deploys the package to the one resource tagged with the service name from azure.yaml.
    azdServiceName: 'api'
    identityResourceId: identity.outputs.id
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    alwaysReadyQueueInstances: alwaysReadyQueueInstances
    alwaysReadyQueueFunctions: alwaysReadyQueueFunctions
    virtualNetworkSubnetId: enablePrivateNetworking ? network!.outputs.appSubnetId : ''
  }
}

// Redirect URIs must match exactly, so a trailing slash in the custom origin is dropped.
var appBaseUrl = empty(publicBaseUrl)
  ? 'https://${functionApp.outputs.defaultHostName}'
  : (endsWith(publicBaseUrl, '/') ? substring(publicBaseUrl, 0, length(publicBaseUrl) - 1) : publicBaseUrl)

module entraApp 'modules/entraApp.bicep' = if (createEntraApp) {
  name: 'entraApp'
  scope: rg
  params: {
    displayName: entraAppDisplayName
    uniqueName: 'jira-m365-bridge-${resourceToken}'
    publicBaseUrl: appBaseUrl
    features: entraAppFeatures
  }
}

var effectiveEntraClientId = createEntraApp ? entraApp!.outputs.appId : entraClientId
var hasEntraClientSecret = !empty(entraClientSecret) || useExistingEntraClientSecret

module appSettings 'modules/appSettings.bicep' = {
  name: 'appSettings'
  scope: rg
  params: {
    functionAppName: functionApp.outputs.name
    storageAccountName: storage.outputs.name
    identityClientId: identity.outputs.clientId
    keyVaultUri: keyVault.outputs.uri
    publicBaseUrl: appBaseUrl
    appInsightsName: monitoring.outputs.appInsightsName
    entraClientId: effectiveEntraClientId
    // A client secret without a client id fails the app's start-up check, so it is only wired together with one.
    entraClientSecretUri: !empty(effectiveEntraClientId) && hasEntraClientSecret
      ? '${keyVault.outputs.uri}secrets/${entraClientSecretName}'
      : ''
    logLevel: logLevel
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: allTags
    appInsightsId: monitoring.outputs.appInsightsId
    namePrefix: '${abbrs.insightsScheduledQueryRules}${resourceToken}-'
    actionGroupName: '${abbrs.insightsActionGroups}${resourceToken}'
    alertEmailAddresses: alertEmailAddresses
    existingActionGroupId: alertActionGroupId
  }
}

// What the admin needs next; nothing here is secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output FUNCTION_APP_NAME string = functionApp.outputs.name
output KEY_VAULT_NAME string = keyVault.outputs.name
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output PUBLIC_BASE_URL string = appBaseUrl
@description('Paste into Jira (System > WebHooks), replacing {siteId} with the site id registered in the bridge.')
output JIRA_WEBHOOK_URL string = '${appBaseUrl}/api/jira/events?site={siteId}'
@description('URL of a Jira Automation "Send web request" action; {action} is incident-chat, customer-chat, epic-chat, chat, sync-members, meeting, stakeholder-update, booking or close-chat.')
output JIRA_AUTOMATION_URL_PATTERN string = '${appBaseUrl}/api/jira/automation/{action}?site={siteId}'
@description('Link that starts admin consent for one Microsoft 365 tenant and feature (needs the admin key).')
output CONSENT_START_URL string = '${appBaseUrl}/api/consent/start?tenant={tenantId}&feature={feature}&site={siteId}'
@description('Base of the admin API (function key). Not /api/admin: the Functions host refuses routes that start with admin.')
output MANAGE_API_BASE_URL string = '${appBaseUrl}/api/manage'
output ENTRA_CLIENT_ID string = effectiveEntraClientId
@description('Redirect URIs the Entra app registration must list (set automatically when createEntraApp is true).')
output ENTRA_REDIRECT_URIS array = [
  '${appBaseUrl}/api/auth/callback'
  '${appBaseUrl}/api/consent/callback'
  '${appBaseUrl}/api/console/auth/callback'
]

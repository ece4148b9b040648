// The app's storage account: Functions host state, the app's queues and tables, and the Flex Consumption deployment
// container. Shared keys are off, so nothing (host, app, deployment) can use a connection string with a key: every
// caller authenticates with Entra ID and is authorised by the role assignments at the bottom of this file.

@description('Required. Storage account name (3-24 lower-case letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for the storage account.')
param tags object = {}

@description('Optional. Replication. ZRS survives a zone outage where the region has zones.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string = 'Standard_LRS'

@description('Optional. Blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string = 'app-package'

@description('Optional. When true, the public endpoint is closed; the app reaches storage through private endpoints.')
param privateNetworking bool = false

@description('Required. Principal id of the app\'s managed identity.')
param identityPrincipalId string

@description('Required. Resource id of the app\'s managed identity; keys the role assignment names.')
param identityResourceId string

// Every queue the app binds to (shared/storage/queues.ts `allQueueNames`) and the `-poison` twin the Functions host
// moves a message to after maxDequeueCount failures. Declared here so the poison queues exist (and can be listed
// and replayed) before the first failure; the unit test test/unit/bicep compares this list with queues.ts.
var appQueues = [
  'jira-events'
  'jira-events-poison'
  'chat-jobs'
  'chat-jobs-poison'
  'member-jobs'
  'member-jobs-poison'
  'meeting-jobs'
  'meeting-jobs-poison'
  'stakeholder-jobs'
  'stakeholder-jobs-poison'
  'booking-jobs'
  'booking-jobs-poison'
  'chat-to-jira-jobs'
  'chat-to-jira-jobs-poison'
  'mail-in-jobs'
  'mail-in-jobs-poison'
]

// Every table the app keeps state in (DESIGN.md section 5). Table names are case-insensitive in the service.
var appTables = [
  'sites'
  'projects'
  'tenantConnections'
  'serviceUsers'
  'chatLinks'
  'userMappings'
  'oauthStates'
  'audit'
  'deliveries'
  'parkedJobs'
  'graphSubscriptions'
  'meetings'
  'mailSends'
  'mailSources'
  'mailInMessages'
  'bookings'
]

// Built-in role ids from builtInRoles in ../shared/contracts/azure/resource-types.json (built-in-roles.md).
// Blob Data Owner: the Functions host keeps leases and keys in blobs, and Flex reads the package from the
// deployment container (https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
// Queue Data Contributor: HTTP functions enqueue, queue triggers peek/delete, the host writes `-poison` queues.
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
// Table Data Contributor: the app reads and writes its tables; it never creates or deletes tables (declared above).
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'

resource storage 'Microsoft.Storage/storageAccounts@2026-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-04-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-04-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2026-04-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2026-04-01' = [
  for queueName in appQueues: {
    parent: queueService
    name: queueName
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2026-04-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2026-04-01' = [
  for tableName in appTables: {
    parent: tableService
    name: tableName
  }
]

resource blobRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityResourceId, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource queueRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityResourceId, storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource tableRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityResourceId, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output deploymentContainerName string = deploymentContainer.name

// Key Vault for everything secret: service users' MSAL token caches, Jira credentials, webhook secrets, automation
// tokens, Graph clientState values, and the Entra app's client secret the admin supplies at deploy time.
// RBAC mode (no access policies), soft delete and purge protection: a deleted secret or vault can be recovered for
// 90 days and nobody, including an owner, can purge it early.

@description('Required. Key Vault name (3-24 letters, digits and hyphens, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for the vault.')
param tags object = {}

@description('Optional. When true, the public endpoint is closed; the app reaches the vault through a private endpoint.')
param privateNetworking bool = false

@description('Required. Principal id of the app\'s managed identity.')
param identityPrincipalId string

@description('Required. Resource id of the app\'s managed identity; keys the role assignment name.')
param identityResourceId string

@description('Optional. The Entra app\'s client secret. Stored as the secret named by entraClientSecretName; never output.')
@secure()
param entraClientSecret string = ''

@description('Required. Name of the Key Vault secret that holds the Entra client secret.')
param entraClientSecretName string

@description('Optional. Object id of a person or group who may read and write the app\'s secrets (for example to rotate the client secret). Empty: nobody but the app.')
param adminPrincipalId string = ''

@description('Optional. Kind of principal adminPrincipalId is.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param adminPrincipalType string = 'User'

// Key Vault Secrets Officer: the app writes secrets (token caches rotate on every refresh, webhook secrets are set
// from the admin API), so read-only Key Vault Secrets User is not enough. It grants no key, certificate or
// access-management rights. Id from builtInRoles in ../shared/contracts/azure/resource-types.json.
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2026-02-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
    }
  }
}

resource clientSecret 'Microsoft.KeyVault/vaults/secrets@2026-02-01' = if (!empty(entraClientSecret)) {
  parent: vault
  name: entraClientSecretName
  properties: {
    value: entraClientSecret
    contentType: 'Entra application client secret'
  }
}

resource appSecretsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityResourceId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource adminSecretsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(adminPrincipalId)) {
  name: guid(vault.id, adminPrincipalId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: adminPrincipalId
    principalType: adminPrincipalType
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri

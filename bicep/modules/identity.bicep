// The one identity the Function App runs as. User-assigned (not system-assigned) so every role assignment can be
// created before the app exists, and so `AzureWebJobsStorage__clientId` / `AZURE_CLIENT_ID` name it explicitly.

@description('Required. Name of the user-assigned managed identity.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId

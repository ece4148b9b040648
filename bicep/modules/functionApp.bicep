// Flex Consumption plan + Function App (Linux, Node 22) running as the user-assigned identity. App settings are set
// by appSettings.bicep once the app's host name (and, optionally, the Entra app id) are known; host settings come
// from host.json inside the deployment package.
// Shape follows Azure-Samples/azure-functions-flex-consumption-samples IaC/bicep/core/host/function.bicep
// @ 90ddf70938a959133c1c8a7fdb16d62f36c5ade1, with a user-assigned identity instead of a system-assigned one.

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Required. Name of the Function App (becomes <name>.azurewebsites.net).')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for the plan and the app.')
param tags object = {}

@description('Optional. Service name from azure.yaml. Only the site is tagged azd-service-name with it: azd deploy expects exactly one resource with that tag. Empty: no tag.')
param azdServiceName string = ''

@description('Required. Resource id of the user-assigned identity the app runs as.')
param identityResourceId string

@description('Required. Primary blob endpoint of the storage account, ending in a slash.')
param storageBlobEndpoint string

@description('Required. Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Optional. Upper bound on instances the app scales out to. Flex Consumption accepts 40 to 1000.')
// "The lowest maximum instance count is 40" (Microsoft Learn, "Azure Functions Flex Consumption plan hosting",
// Considerations); the Azure-Samples Flex templates use the same bounds.
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Instances kept warm for the HTTP functions. Graph drops a subscription whose validation request is not answered within 10 s and Jira waits for the acknowledgement, so a cold start on that path costs more than one idle instance. 0 turns it off.')
@minValue(0)
@maxValue(20)
param alwaysReadyHttpInstances int = 1

@description('Optional. Always-ready instances for each function in alwaysReadyQueueFunctions. 0: they scale from zero.')
@minValue(0)
@maxValue(5)
param alwaysReadyQueueInstances int = 0

@description('Optional. Names of the queue functions that get alwaysReadyQueueInstances.')
param alwaysReadyQueueFunctions array = []

@description('Optional. Resource id of a subnet delegated to Microsoft.App/environments for VNet integration. Empty: no VNet integration.')
param virtualNetworkSubnetId string = ''

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Flex Consumption is Linux only.
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: empty(azdServiceName)
    ? tags
    : union(tags, {
        'azd-service-name': azdServiceName
      })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    // Key Vault references in app settings resolve with this identity (there is no system-assigned one).
    keyVaultReferenceIdentity: identityResourceId
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            // Shared keys are off on the account, so only an identity can read the package.
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      runtime: {
        name: 'node'
        version: '22'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // `http` is the always-ready group of every HTTP-triggered function. Queue (and timer) functions are not in
        // a group: each scales on its own as `function:<name>`, from zero unless it has always-ready instances
        // (Microsoft Learn, "Azure Functions Flex Consumption plan hosting", "Per-function scaling", "Always ready").
        alwaysReady: concat(
          alwaysReadyHttpInstances > 0
            ? [
                {
                  name: 'http'
                  instanceCount: alwaysReadyHttpInstances
                }
              ]
            : [],
          alwaysReadyQueueInstances > 0
            ? map(alwaysReadyQueueFunctions, fn => {
                name: 'function:${fn}'
                instanceCount: alwaysReadyQueueInstances
              })
            : []
        )
      }
    }
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName

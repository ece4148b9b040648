// Optional private networking: a VNet with one subnet for the Function App's outbound traffic (Flex Consumption VNet
// integration needs a subnet delegated to Microsoft.App/environments) and one for private endpoints of Storage
// (blob, queue, table) and Key Vault, with the private DNS zones that make their usual host names resolve to the
// private addresses inside the VNet. Inbound HTTP to the app stays public: Jira Cloud and Microsoft Graph call it.
//
// Outbound: from Microsoft.Network API 2025-07-01 a new subnet is private by default (`defaultOutboundAccess:
// false`; Azure Networking blog "Private subnets by default"). With VNet integration every outbound call of the app
// (Microsoft Graph, Jira Cloud, login.microsoftonline.com) leaves through the app subnet, so a private subnet
// without a NAT gateway would cut the bridge off from everything it talks to. The app subnet therefore asks for
// default outbound access explicitly (param appSubnetDefaultOutboundAccess). Trade-off: default outbound uses an
// IP address Azure picks and may change, which you cannot allow-list (e.g. in Jira's IP allowlist) and which
// Microsoft recommends replacing with explicit egress; for a fixed egress IP attach a NAT gateway with a public IP
// to the app subnet (bicep/README.md, "Private networking notes") and set the param to false. The private-endpoint
// subnet needs no internet access and stays private.
// Subnet shape follows Azure-Samples/azure-functions-flex-consumption-samples
// E2E/HTTP-VNET-EH/infra/core/networking/vnet.bicep @ 7aa443e4e9a432ec02ed621bd7601d8d5c8e54ba.

@description('Required. Name of the virtual network.')
param vnetName string

@description('Required. Prefix for the private endpoint names.')
param privateEndpointPrefix string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for the network resources.')
param tags object = {}

@description('Optional. Address space of the VNet.')
param addressPrefix string = '10.60.0.0/16'

@description('Optional. Subnet for the Function App\'s VNet integration (delegated to Microsoft.App/environments).')
param appSubnetPrefix string = '10.60.1.0/24'

@description('Optional. Subnet for the private endpoints.')
param privateEndpointSubnetPrefix string = '10.60.2.0/24'

@description('Optional. Give the app subnet default outbound access to the internet (Graph, Jira, Entra). false: you attach your own egress (a NAT gateway) to the subnet, or the app cannot reach them.')
param appSubnetDefaultOutboundAccess bool = true

@description('Required. Resource id of the storage account.')
param storageAccountId string

@description('Required. Resource id of the Key Vault.')
param keyVaultId string

var appSubnetName = 'app'
var privateEndpointSubnetName = 'private-endpoints'

// Zone names from the cloud's own suffixes, so sovereign clouds get their zones (privatelink.blob.core.windows.net,
// privatelink.vaultcore.azure.net in the public cloud).
var endpoints = [
  {
    name: 'blob'
    groupId: 'blob'
    resourceId: storageAccountId
    zone: 'privatelink.blob.${environment().suffixes.storage}'
  }
  {
    name: 'queue'
    groupId: 'queue'
    resourceId: storageAccountId
    zone: 'privatelink.queue.${environment().suffixes.storage}'
  }
  {
    name: 'table'
    groupId: 'table'
    resourceId: storageAccountId
    zone: 'privatelink.table.${environment().suffixes.storage}'
  }
  {
    name: 'vault'
    groupId: 'vault'
    resourceId: keyVaultId
    zone: 'privatelink${replace(environment().suffixes.keyvaultDns, '.vault.', '.vaultcore.')}'
  }
]

resource vnet 'Microsoft.Network/virtualNetworks@2025-09-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: appSubnetPrefix
          defaultOutboundAccess: appSubnetDefaultOutboundAccess
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          defaultOutboundAccess: false
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for endpoint in endpoints: {
    name: endpoint.zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (endpoint, i) in endpoints: {
    parent: zones[i]
    name: '${vnetName}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2025-09-01' = [
  for endpoint in endpoints: {
    name: '${privateEndpointPrefix}${endpoint.name}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, privateEndpointSubnetName)
      }
      privateLinkServiceConnections: [
        {
          name: endpoint.name
          properties: {
            privateLinkServiceId: endpoint.resourceId
            groupIds: [
              endpoint.groupId
            ]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2025-09-01' = [
  for (endpoint, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: endpoint.name
          properties: {
            privateDnsZoneId: zones[i].id
          }
        }
      ]
    }
  }
]

output appSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, appSubnetName)

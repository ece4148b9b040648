// Log Analytics + workspace-based Application Insights with local (instrumentation-key) auth turned off: telemetry is
// only accepted with an Entra token, which the app's managed identity gets through Monitoring Metrics Publisher.
// The connection string that remains in app settings is an address, not a credential, once local auth is off.
// Source: https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication

@description('Required. Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Required. Name of the Application Insights component.')
param appInsightsName string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for the monitoring resources.')
param tags object = {}

@description('Optional. Days Log Analytics keeps the app\'s logs.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Optional. Display name of the operations workbook (Application Insights > Workbooks).')
param workbookDisplayName string = 'Jira bridge operations'

@description('Required. Principal id of the app\'s managed identity (gets Monitoring Metrics Publisher on App Insights).')
param identityPrincipalId string

@description('Required. Resource id of the app\'s managed identity; keys the role assignment name.')
param identityResourceId string

// Monitoring Metrics Publisher: lets the identity send telemetry when local auth is disabled.
// Id from builtInRoles in ../shared/contracts/azure/resource-types.json (built-in-roles.md).
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource workspace 'Microsoft.OperationalInsights/workspaces@2026-03-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      // Readers need access to the app's resources, not to the whole workspace.
      enableLogAccessUsingOnlyResourcePermissions: true
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
  }
}

resource publisherRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identityResourceId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The on-call responder's page: webhooks and Automation calls by outcome, jobs by kind and outcome, webhook-to-chat
// latency, Graph throttling and errors, queues and poison counts, service users, and an issue-key search. Its
// content is built by scripts/workbook.mjs from the tested queries in bicep/queries/ (never a copy of them).
// Properties: https://learn.microsoft.com/azure/templates/microsoft.insights/workbooks (2023-06-01).
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; deterministic so a redeployment updates the same workbook.
  name: guid(resourceGroup().id, appInsightsName, 'operations-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: workbookDisplayName
    category: 'workbook'
    version: 'Notebook/1.0'
    sourceId: appInsights.id
    // The queries run against this component by default.
    serializedData: replace(loadTextContent('../workbook/operations.workbook.json'), '__APP_INSIGHTS_ID__', appInsights.id)
  }
}

output appInsightsId string = appInsights.id
output appInsightsName string = appInsights.name
output workspaceId string = workspace.id

// All app settings of the Function App, in one place, matching what shared/config.ts reads. They are a separate
// resource (not siteConfig.appSettings on the site) because PUBLIC_BASE_URL needs the site's own host name and
// ENTRA_CLIENT_ID may come from the app registration created after the site.
// This resource replaces the whole collection: a setting not listed here is removed on the next deployment.
//
// Every storage setting is identity-based (`AzureWebJobsStorage__*`): there is no connection string and no key.
// Flex Consumption takes the runtime from functionAppConfig.runtime, so FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION must not be set here (the platform rejects them on Flex).

@description('Required. Name of the existing Function App.')
param functionAppName string

@description('Required. Name of the storage account the host and the app use.')
param storageAccountName string

@description('Required. Client id of the app\'s user-assigned managed identity.')
param identityClientId string

@description('Required. Key Vault URI, e.g. https://kv-abc.vault.azure.net/.')
param keyVaultUri string

@description('Required. Public origin of the app, e.g. https://func-abc.azurewebsites.net (no trailing slash).')
param publicBaseUrl string

@description('Required. Name of the existing Application Insights component.')
param appInsightsName string

@description('Optional. Application (client) id of the Entra app registration. Empty: not configured yet.')
param entraClientId string = ''

@description('Optional. Versionless Key Vault URI of the secret that holds the Entra client secret. Empty: no client secret setting.')
param entraClientSecretUri string = ''

@description('Optional. NCRONTAB (six fields, UTC) of the service-user token keep-alive timer. The timer reads it as %TOKEN_KEEPALIVE_SCHEDULE%, so it must be an app setting.')
param tokenKeepAliveSchedule string = '0 17 */6 * * *'

@description('Optional. NCRONTAB (six fields, UTC) of the opsReport timer, which logs queue backlogs, poison counts and service-user states for the alerts and the workbook. Their 15-minute windows assume about every 5 minutes.')
param opsReportSchedule string = '0 */5 * * * *'

@description('Optional. Log level of the app.')
@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string = 'info'

resource site 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Per-service URIs from the cloud's own storage suffix: `__accountName` alone is valid only in the public cloud
// (Microsoft Learn, "Connecting to host storage with an identity"), so sovereign clouds need these. The host uses
// blob (leases, keys) and queue; the app reads queue and table through the same settings (shared/config.ts).
var storageSuffix = environment().suffixes.storage

var baseSettings = {
  // Functions host storage over the managed identity (https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity).
  AzureWebJobsStorage__blobServiceUri: 'https://${storageAccountName}.blob.${storageSuffix}'
  AzureWebJobsStorage__queueServiceUri: 'https://${storageAccountName}.queue.${storageSuffix}'
  AzureWebJobsStorage__tableServiceUri: 'https://${storageAccountName}.table.${storageSuffix}'
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AZURE_CLIENT_ID: identityClientId
  KEY_VAULT_URI: keyVaultUri
  PUBLIC_BASE_URL: publicBaseUrl
  // National clouds get their own login endpoint without another parameter.
  AUTHORITY_HOST: environment().authentication.loginEndpoint
  // The home tenant: admins sign in to the console here (with the Bridge.Admin app role).
  ENTRA_TENANT_ID: tenant().tenantId
  LOG_LEVEL: logLevel
  // The Functions host resolves %TOKEN_KEEPALIVE_SCHEDULE% in the timer's schedule from app settings only.
  TOKEN_KEEPALIVE_SCHEDULE: tokenKeepAliveSchedule
  // Likewise %OPS_REPORT_SCHEDULE% (the opsReport timer).
  OPS_REPORT_SCHEDULE: opsReportSchedule
  // An ingestion address; App Insights has local auth off, so telemetry is accepted only with the identity's token.
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

var entraSettings = empty(entraClientId)
  ? {}
  : {
      ENTRA_CLIENT_ID: entraClientId
    }

// A Key Vault reference, resolved by the platform with keyVaultReferenceIdentity; the value never appears here.
var entraSecretSettings = empty(entraClientSecretUri)
  ? {}
  : {
      ENTRA_CLIENT_SECRET: '@Microsoft.KeyVault(SecretUri=${entraClientSecretUri})'
    }

resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: union(baseSettings, entraSettings, entraSecretSettings)
}

// Alert rules an admin watching the portal needs, and who gets them.
//
// Each rule's query is a checked-in file under bicep/queries/ (loadTextContent), the same text the tests run over
// the local host's Application Insights-shaped records (test/integration/monitoring.test.ts): quiet on a healthy
// run, firing on the failure the rule is named after. Every rule fires when its query returns a row; thresholds are
// `let` lines at the top of each file. README "Operations" says what each alert means and what to do first.
// - HTTP failures are read from `resultCode`, never `success`: `success` is "the function did not throw", so a
//   handler that answers 500 is a successful request (../shared/contracts/functions-host.md).
// - Poison, backlog and service-user state come from the opsReport timer's lines (queue lengths and table rows are
//   invisible to Application Insights); counting the poison queues also covers messages the host moved itself.
// Application Insights workspace-based resources keep the classic table names (traces, requests) when queried at
// the component scope. Source: https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-create-log-alert-rule

@description('Required. Azure region.')
param location string

@description('Optional. Tags for the alert rules and action group.')
param tags object = {}

@description('Required. Resource id of the Application Insights component the rules query.')
param appInsightsId string

@description('Required. Prefix for the alert rule names.')
param namePrefix string

@description('Required. Name of the action group created when alertEmailAddresses is not empty.')
param actionGroupName string

@description('Optional. E-mail addresses that get the alerts; creates an action group.')
param alertEmailAddresses array = []

@description('Optional. Resource id of an existing action group that gets the alerts, in addition to the e-mail addresses.')
param existingActionGroupId string = ''

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmailAddresses)) {
  name: actionGroupName
  // Action groups are global resources.
  location: 'global'
  tags: tags
  properties: {
    enabled: true
    groupShortName: 'jirabridge'
    emailReceivers: [
      for (address, i) in alertEmailAddresses: {
        name: 'email-${i}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroupIds = concat(
  empty(alertEmailAddresses) ? [] : [actionGroup.id],
  empty(existingActionGroupId) ? [] : [existingActionGroupId]
)

var rules = [
  {
    name: 'http-5xx'
    displayName: 'Jira bridge: an HTTP function answered 5xx'
    description: 'An HTTP function (a Jira webhook, an Automation call, a sign-in callback, the admin API) answered 5xx. The app answers its own unexpected errors with 500 internal_error and the invocation id: search that id in the workbook or in Logs (traces, customDimensions.InvocationId).'
    severity: 1
    query: loadTextContent('../queries/alert-http-5xx.kql')
  }
  {
    name: 'jira-401-spike'
    displayName: 'Jira bridge: Jira calls refused with 401'
    description: 'At least 10 webhook or Automation calls were refused with 401 in 15 minutes: usually a webhook secret or Automation token was rotated and the new value was not pasted into the Jira webhook or the Automation rule.'
    severity: 2
    query: loadTextContent('../queries/alert-jira-401-spike.kql')
  }
  {
    name: 'poison-messages'
    displayName: 'Jira bridge: jobs are in a poison queue'
    description: 'A job queue\'s -poison twin holds messages (moved by the app or by the Functions host after the last retry). List them with GET /api/manage/poison, fix the cause, replay with POST /api/manage/poison/{queue}/replay.'
    severity: 1
    query: loadTextContent('../queries/alert-poison.kql')
  }
  {
    // Name kept from the first release so an update replaces the rule instead of leaving the old one behind.
    name: 'service-user-needs-reauth'
    displayName: 'Jira bridge: a service user needs re-authentication or a licence'
    description: 'A service user is needs-reauth (its refresh token was refused; its jobs are parked) or invalid-licence. Its owner signs in again at /api/service-user/start?tenant=...&feature=... (GET /api/manage/health lists the link); parked jobs resume.'
    severity: 2
    query: loadTextContent('../queries/alert-service-users.kql')
  }
  {
    name: 'graph-throttling'
    displayName: 'Jira bridge: Microsoft Graph is throttling the app'
    description: 'More than 20 Graph answers were 429/503/504 for one tenant in 15 minutes. Jobs wait and retry by themselves; chats and members arrive late. Check the workbook for the resource being throttled.'
    severity: 3
    query: loadTextContent('../queries/alert-graph-throttling.kql')
  }
  {
    name: 'job-backlog'
    displayName: 'Jira bridge: jobs are waiting too long'
    description: 'A job queue has had a message waiting over 15 minutes: its queue function is not running or not keeping up. Check the function app is running and the function is not disabled or failing.'
    severity: 2
    query: loadTextContent('../queries/alert-backlog.kql')
  }
]

resource logAlerts 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for rule in rules: {
    name: '${namePrefix}${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        appInsightsId
      ]
      evaluationFrequency: 'PT5M'
      // 15 minutes: the opsReport timer logs every 5, so a window always holds a report even if one run is late.
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: actionGroupIds
      }
    }
  }
]

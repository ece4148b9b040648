// Alert rules an admin watching the portal needs, and who gets them.
//
// Storage queue metrics are per account, not per queue, so "a message landed in a poison queue" cannot be a metric
// alert. The app instead writes one structured log line per event (the contract is in bicep/README.md, "Log
// events the alerts watch"), and log search alerts over the Application Insights component count those lines.
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

@description('Optional. Name of the webhook function whose failure rate is watched.')
param webhookFunctionName string = 'jiraEvents'

@description('Optional. Failure rate (percent of requests in 15 minutes) of the webhook function that raises an alert.')
@minValue(1)
@maxValue(100)
param webhookFailureRatePercent int = 10

@description('Optional. Requests in 15 minutes below which the failure-rate alert stays quiet (one failed retry of one delivery is not an incident).')
@minValue(1)
param webhookMinimumRequests int = 5

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
    name: 'poison-messages'
    displayName: 'Jira bridge: a job landed in a poison queue'
    description: 'A queue message failed every retry and was moved to its -poison queue. List and replay it with the admin API (/api/manage/...).'
    severity: 1
    // Window = frequency: each poisoned job is counted in exactly one evaluation, so it alerts once.
    windowSize: 'PT5M'
    query: 'traces | where message contains \'"event":"job.poisoned"\''
  }
  {
    name: 'service-user-needs-reauth'
    displayName: 'Jira bridge: a service user needs to sign in again'
    description: 'A service user\'s refresh token was rejected (invalid_grant / interaction_required). Its jobs are parked until the owner signs in at /api/service-user/start.'
    severity: 2
    windowSize: 'PT5M'
    query: 'traces | where message contains \'"event":"serviceUser.needsReauth"\''
  }
  {
    name: 'service-user-invalid'
    displayName: 'Jira bridge: a service user lost its licence or account'
    description: 'A service user was found without the licence its feature needs (e.g. Teams, TEAMS1), disabled, or not a user mailbox. Its jobs are parked until the keep-alive or an admin refresh finds it valid again.'
    severity: 2
    windowSize: 'PT5M'
    query: 'traces | where message contains \'"event":"serviceUser.invalid"\''
  }
  {
    name: 'webhook-failure-rate'
    displayName: 'Jira bridge: webhook failure rate'
    description: 'More than ${webhookFailureRatePercent}% of ${webhookFunctionName} requests failed in 15 minutes. Jira retries failed deliveries, but a sustained rate means events are being lost or delayed.'
    severity: 2
    windowSize: 'PT15M'
    query: 'requests | where operation_Name == \'${webhookFunctionName}\' | summarize total = count(), failed = countif(success == false) | where total >= ${webhookMinimumRequests} and 100.0 * failed / total > ${webhookFailureRatePercent}'
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
      windowSize: rule.windowSize
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

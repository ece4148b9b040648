#!/usr/bin/env node
// Builds the operations workbook (bicep/workbook/operations.workbook.json, deployed by bicep/modules/monitoring.bicep
// as a Microsoft.Insights/workbooks resource's serializedData) from the tested queries in bicep/queries/, so the
// workbook shows exactly what test/integration/monitoring.test.ts runs: no copy of a query lives anywhere else.
//
//   node scripts/workbook.mjs           rewrite the JSON after changing a workbook-*.kql or the layout below
//   node scripts/workbook.mjs --check   exit 1 when the checked-in JSON is stale (a unit test does the same)
//
// Format: Azure Workbooks "Notebook/1.0" gallery JSON (item types: 1 text, 3 query, 9 parameters; the parameter
// types 1 text and 4 time range; queryType 0 = Logs), as the portal's Advanced Editor shows it.
// https://learn.microsoft.com/azure/azure-monitor/visualize/workbooks-automate
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const workbookPath = path.join(root, 'bicep', 'workbook', 'operations.workbook.json');
/** Replaced by the Bicep with the Application Insights component id (the queries' default resource). */
export const resourcePlaceholder = '__APP_INSIGHTS_ID__';

/** The query items, in page order: file (bicep/queries/<file>.kql), title, visualization. */
export const layout = [
  { file: 'workbook-intake', title: 'Jira webhooks and Automation calls by outcome (HTTP status)', visualization: 'table' },
  { file: 'workbook-jobs', title: 'Jobs by kind and outcome', visualization: 'table' },
  { file: 'workbook-latency', title: 'Webhook to chat latency (ms), p50 and p95', visualization: 'table' },
  { file: 'workbook-graph', title: 'Microsoft Graph throttling and errors', visualization: 'table' },
  { file: 'workbook-queues', title: 'Queues: waiting, poison, oldest message age (s), newest report', visualization: 'table' },
  { file: 'workbook-service-users', title: 'Service users and their state', visualization: 'table' },
  {
    file: 'workbook-issue-trail',
    title: 'Trail of issue {IssueKey}',
    visualization: 'table',
    // Shown once a key is typed in the search box.
    conditionalVisibility: { parameterName: 'IssueKey', comparison: 'isNotEqualTo', value: '' },
  },
];

export function buildWorkbook() {
  const query = (file) => readFileSync(path.join(root, 'bicep', 'queries', `${file}.kql`), 'utf8');
  const items = [
    {
      type: 1,
      content: {
        json: '## Jira bridge: operations\nWhat the bridge did and what failed. Type an issue key to follow its trail from the webhook to the chat. docs/operations.md explains each alert and what to do first.',
      },
      name: 'title',
    },
    {
      type: 9,
      content: {
        version: 'KqlParameterItem/1.0',
        parameters: [
          {
            id: 'b1f6e3c2-3a4d-4d7e-9a51-6f0f2c1d0a01',
            version: 'KqlParameterItem/1.0',
            name: 'TimeRange',
            label: 'Time range',
            type: 4,
            isRequired: true,
            value: { durationMs: 86400000 },
            typeSettings: {
              selectableValues: [
                { durationMs: 3600000 },
                { durationMs: 14400000 },
                { durationMs: 86400000 },
                { durationMs: 604800000 },
              ],
            },
          },
          {
            id: 'b1f6e3c2-3a4d-4d7e-9a51-6f0f2c1d0a02',
            version: 'KqlParameterItem/1.0',
            name: 'IssueKey',
            label: 'Issue key',
            type: 1,
            value: '',
          },
        ],
        style: 'pills',
        queryType: 0,
        resourceType: 'microsoft.insights/components',
      },
      name: 'parameters',
    },
    ...layout.map((item) => ({
      type: 3,
      content: {
        version: 'KqlItem/1.0',
        query: query(item.file),
        size: 0,
        title: item.title,
        timeContextFromParameter: 'TimeRange',
        queryType: 0,
        resourceType: 'microsoft.insights/components',
        visualization: item.visualization,
      },
      ...(item.conditionalVisibility ? { conditionalVisibility: item.conditionalVisibility } : {}),
      name: item.file,
    })),
  ];
  const workbook = { version: 'Notebook/1.0', items, fallbackResourceIds: [resourcePlaceholder], $schema: 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json' };
  return JSON.stringify(workbook, null, 2) + '\n';
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const built = buildWorkbook();
  if (process.argv.includes('--check')) {
    const current = readFileSync(workbookPath, 'utf8');
    if (current !== built) {
      process.stderr.write(`${path.relative(root, workbookPath)} is stale: run node scripts/workbook.mjs\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(workbookPath, built);
    process.stdout.write(`wrote ${path.relative(root, workbookPath)}\n`);
  }
}

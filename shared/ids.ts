// One rule for each identifier the bridge accepts from outside, shared by the manage API, consent links, intake and
// the storage rows keyed by them. Before this module the GUID pattern was written out nine times and the consent
// link accepted site ids (dots, colons, upper case) that the site registry can never hold.
import { z } from 'zod';

/**
 * Entra ids (tenant ids, object ids) are GUIDs in the 8-4-4-4-12 hex form Graph returns (learn.microsoft.com/graph/
 * api/resources/user: `id` "The unique identifier for the user"; tenant ids likewise in /organization). Case is not
 * significant: Entra returns lower case, people paste either.
 */
export const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return guidPattern.test(value);
}

export const tenantIdSchema = z.string().regex(guidPattern, 'must be an Entra tenant id (GUID)');

/**
 * A Jira site as registered with the bridge: our own id (not Atlassian's cloud id), chosen by the admin. It names
 * storage rows and Key Vault secrets, whose names allow only letters, digits and dashes (1-127 characters,
 * learn.microsoft.com/azure/key-vault/general/about-keys-secrets-and-certificates#object-identifiers), so the rule is
 * deliberately narrow.
 */
export const siteIdPattern = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/;

export const siteIdSchema = z.string().regex(siteIdPattern, 'must be 3-40 lower-case letters, digits or dashes');

export function isSiteId(value: string): boolean {
  return siteIdPattern.test(value);
}

/**
 * Jira project keys: a capital letter, then capitals, digits or underscores, at most 255 characters
 * (support.atlassian.com/jira-cloud-administration/docs/edit-a-projects-details: "must start with an uppercase
 * letter, followed by one or more uppercase alphanumeric characters or underscores").
 */
const projectKeySource = '[A-Z][A-Z0-9_]{0,254}';

export const projectKeyPattern = new RegExp(`^${projectKeySource}$`);

export function isProjectKey(value: string): boolean {
  return projectKeyPattern.test(value);
}

/** `example` only changes the message, so each API can name a project key its readers will recognise. */
export function projectKeySchema(example = 'INC') {
  return z.string().regex(projectKeyPattern, `must be a Jira project key such as ${example}`);
}

/** Jira issue keys: a project key, a dash and the issue number (never 0, never a leading zero). */
export const issueKeyPattern = new RegExp(`^${projectKeySource}-[1-9][0-9]{0,17}$`);

export function isIssueKey(value: string): boolean {
  return issueKeyPattern.test(value);
}

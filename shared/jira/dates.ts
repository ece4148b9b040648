// Date-times as Jira Automation renders them into a "Send web request" body. A smart value with no format renders
// as `jiraDateTime`: `2020-08-18T02:40:37.0+0000` (1–3 fraction digits, an offset WITHOUT a colon), which strict
// ISO 8601 parsers (zod's `datetime({ offset: true })`) refuse. A rule author who formats the value writes strict
// ISO 8601 (`.format("yyyy-MM-dd'T'HH:mm:ssXXX")` → `1979-11-01T06:23:12-05:00`). Both are accepted.
// `.jiraDate` / `.jqlDate` (`1979-11-01`) and `.jqlDateTime` (`1979-11-01 06:23`) carry no offset: they are in the
// rule's or site's time zone, which the request does not say, so any instant read from them could be hours off.
// They are refused with a message that says which smart value to use instead.
// https://support.atlassian.com/jira-core-cloud/docs/smart-values-date-and-time-functions (and
// ../shared/contracts/jira-automation.md in the team handbook).

/** Shown in every refusal, so the rule author sees what to send. */
export const acceptedDateTimeForms =
  'a date-time with an offset: Jira\'s default rendering such as {{now}} or {{now.jiraDateTime}} (2020-08-18T02:40:37.0+0000), ' +
  'or ISO 8601 such as 2020-08-18T02:40:37Z or 2020-08-18T04:40:37+02:00';

const dateTimeWithOffset = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;
const dateOnly = /^\d{4}-\d{2}-\d{2}$/;
const jqlDateTime = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

export type DateTimeResult = { ok: true; value: Date } | { ok: false; message: string };

/** Reads a date-time Jira Automation rendered; the message (without the field name) says what was wrong. */
export function parseJiraDateTime(input: string): DateTimeResult {
  const text = input.trim();
  const m = dateTimeWithOffset.exec(text);
  if (!m) {
    if (dateOnly.test(text)) {
      return { ok: false, message: `${JSON.stringify(text)} is a date without a time (.jiraDate / .jqlDate); send ${acceptedDateTimeForms}` };
    }
    if (jqlDateTime.test(text)) {
      return {
        ok: false,
        message: `${JSON.stringify(text)} has no UTC offset (.jqlDateTime is in the rule's time zone, which the request does not carry); send ${acceptedDateTimeForms}`,
      };
    }
    return { ok: false, message: `${JSON.stringify(text.slice(0, 60))} is not a date-time; send ${acceptedDateTimeForms}` };
  }
  const [, y, mo, d, h, mi, s = '0', fraction = '0', zone] = m;
  const offsetMinutes = parseOffset(zone!);
  if (offsetMinutes === undefined) return { ok: false, message: `${JSON.stringify(text)} has an invalid UTC offset ${zone}; send ${acceptedDateTimeForms}` };
  const ms = Math.round(Number(`0.${fraction}`) * 1000);
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  // Date.UTC rolls 2020-02-30 over into March: compare the fields back so impossible dates are refused, not moved.
  const check = new Date(utc);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    check.getUTCSeconds() !== Number(s)
  ) {
    return { ok: false, message: `${JSON.stringify(text)} is not a valid calendar date-time; send ${acceptedDateTimeForms}` };
  }
  return { ok: true, value: new Date(utc - offsetMinutes * 60_000) };
}

/** `Z`, `+05`, `+0530`, `+05:30` → minutes east of UTC; undefined when out of range. */
function parseOffset(zone: string): number | undefined {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 18 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

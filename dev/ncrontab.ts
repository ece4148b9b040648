// Local stand-in for the Azure Functions host: timer schedules.
//
// The timer trigger takes a six-field NCRONTAB expression, `{second} {minute} {hour} {day} {month} {day-of-week}`
// (https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-expressions), evaluated in
// UTC unless WEBSITE_TIME_ZONE is set (not supported here). A TimeSpan ("hh:mm:ss") is refused: Flex Consumption
// and Consumption accept only NCRONTAB (same page, "TimeSpan"; ./registration.ts puts such a function in error).
// Supported here: `*`, numbers, lists, ranges, steps (`*/n`, `a-b/n`). NCrontab matches the day
// when both the day-of-month and the day-of-week fields match.

export interface Schedule {
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

const FIELDS = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 6 },
] as const;

function parseField(text: string, min: number, max: number, name: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`Invalid ${name} field "${text}" in NCRONTAB expression.`);
    const [, range = '', stepText] = m;
    let lo = min;
    let hi = max;
    if (range !== '*') {
      const [a, b] = range.split('-').map(Number) as [number, number | undefined];
      lo = a;
      hi = b ?? (stepText ? max : a);
    }
    const step = stepText ? Number(stepText) : 1;
    if (lo < min || hi > max || lo > hi || step < 1) {
      throw new Error(`Out-of-range ${name} field "${text}" in NCRONTAB expression.`);
    }
    for (let v = lo; v <= hi; v += step) values.add(name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return values;
}

export function parseSchedule(expression: string): Schedule {
  const trimmed = expression.trim();
  if (/^(?:\d+\.)?\d+:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?$/.test(trimmed)) {
    throw new Error(`The schedule "${trimmed}" is a TimeSpan; Flex Consumption and Consumption plans accept only NCRONTAB expressions.`);
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 6) {
    throw new Error(`NCRONTAB expression "${expression}" must have six fields (second minute hour day month weekday).`);
  }
  const [sec, min, hour, day, month, dow] = FIELDS.map((f, i) => parseField(parts[i] as string, f.min, f.max, f.name));
  return {
    next(after: Date): Date {
      // Walk forward, jumping a whole unit whenever a coarser field cannot match, so yearly schedules stay cheap.
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      for (let guard = 0; guard < 1_000_000; guard++) {
        if (!month!.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
        } else if (!day!.has(t.getUTCDate()) || !dow!.has(t.getUTCDay())) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
        } else if (!hour!.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
        } else if (!min!.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
        } else if (!sec!.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
        } else {
          return t;
        }
      }
      throw new Error(`NCRONTAB expression "${expression}" never fires.`);
    },
  };
}

/** `%NAME%` in a binding expression is replaced with the app setting NAME, as the real host does. */
export function resolveAppSettings(expression: string, env: NodeJS.ProcessEnv = process.env): string {
  return expression.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new Error(`App setting "${name}" used in "${expression}" is not set.`);
    return value;
  });
}

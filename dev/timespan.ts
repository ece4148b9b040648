// host.json durations (a module of its own so the host reads functionTimeout without loading the Storage SDK).

/** host.json durations are TimeSpans ("00:00:02", "1.00:00:00") or, for maxPollingInterval, milliseconds. */
export function parseTimeSpan(value: unknown, fallbackMs: number): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return fallbackMs;
  const m = /^(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(value.trim());
  if (!m) throw new Error(`Invalid TimeSpan "${value}" in host.json.`);
  const [, d = '0', h, min, s] = m;
  return Math.round(((Number(d) * 24 + Number(h)) * 3600 + Number(min) * 60 + Number(s)) * 1000);
}


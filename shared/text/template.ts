// The one placeholder renderer: `{name}` is replaced by `values[name]` when `values` has that name as its OWN
// property; any other `{word}` is left as written, so text that happens to contain braces survives. Own-property
// lookup matters: `name in values` also finds `constructor`, `toString` or `__proto__` on Object.prototype, and a
// template (a rule parameter anyone with manage access can write) rendered `{constructor}` as the source text of the
// Object function. The result is plain text: callers escape it for HTML.
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? values[name]! : whole));
}

// A small interpreter for the subset of Kusto Query Language (KQL) that bicep/queries/*.kql use, so the alert and
// workbook queries run locally over the records the local host writes in Application Insights' shape
// (dev/telemetry.ts). It refuses what it does not know (an unknown operator, function or syntax throws) rather
// than guessing, and it is as strict as Kusto where a lenient reading would hide a bug in a query:
// - comparing a string with a number is an error (Kusto: "Cannot compare values of types string and long"), which
//   is exactly the mistake of `resultCode >= 500` on Application Insights' string `resultCode` column;
// - a `dynamic` value (parse_json, customDimensions) must be converted (tostring/toint) before it is compared.
// Subset (Kusto reference: https://learn.microsoft.com/kusto/query/):
//   statements  let name = scalar;   then one tabular expression: table | op | op ...
//   operators   where, extend, project, summarize aggs [by keys], order/sort by col [asc|desc], take/limit n
//   aggregates  count(), countif(p), dcount(x), sum(x), min(x), max(x), avg(x), percentile(x, n),
//               arg_max(col, col...) / arg_min (columns only; output named after them)
//   scalars     parse_json, tostring, toint, tolong, todouble, toreal, isempty, isnotempty, bin, iff, strcat,
//               and, or, not(), ==, !=, <, <=, >, >=, =~, in (...), !in (...), has, contains, startswith,
//               + - * /, literals (strings, numbers, true/false, timespans 5m/1h/1d), x.y and x["y"]
//   parameters  {Name} (workbook parameters) are replaced from `params` before parsing.

export type Row = Record<string, unknown>;
export type Tables = Record<string, Row[]>;

class Dynamic {
  constructor(readonly value: unknown) {}
}
class DateTime {
  constructor(readonly ms: number) {}
}
class TimeSpan {
  constructor(readonly ms: number) {}
}
type Value = string | number | boolean | null | Dynamic | DateTime | TimeSpan;

export class KqlError extends Error {
  override name = 'KqlError';
}

// ---------- tokens ----------
type Token = { kind: 'id' | 'num' | 'str' | 'span' | 'op' | 'eof'; text: string; value?: unknown };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const ops = ['==', '!=', '<=', '>=', '=~', '!~', '!in', '!has', '|', '(', ')', ',', '=', '<', '>', '+', '-', '*', '/', ';', '.', '[', ']'];
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < source.length && source[j] !== c) {
        if (source[j] === '\\') {
          const n = source[j + 1];
          text += n === 'n' ? '\n' : n === 't' ? '\t' : n;
          j += 2;
        } else text += source[j++];
      }
      if (j >= source.length) throw new KqlError(`unterminated string at ${i}`);
      tokens.push({ kind: 'str', text, value: text });
      i = j + 1;
      continue;
    }
    const num = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?(?![A-Za-z_])/.exec(source.slice(i));
    if (num) {
      const n = Number(num[1]);
      if (num[2]) {
        const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[num[2]]!;
        tokens.push({ kind: 'span', text: num[0], value: n * unit });
      } else tokens.push({ kind: 'num', text: num[0], value: n });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (id) {
      tokens.push({ kind: 'id', text: id[0] });
      i += id[0].length;
      continue;
    }
    const op = ops.find((o) => source.startsWith(o, i) && !(/^!(in|has)$/.test(o) && /[A-Za-z0-9_]/.test(source[i + o.length] ?? '')));
    if (!op) throw new KqlError(`unsupported character ${JSON.stringify(c)} at ${i}: ${source.slice(i, i + 30)}`);
    tokens.push({ kind: 'op', text: op });
    i += op.length;
  }
  tokens.push({ kind: 'eof', text: '' });
  return tokens;
}

// ---------- expressions ----------
type Expr =
  | { t: 'lit'; v: Value }
  | { t: 'col'; name: string }
  | { t: 'member'; of: Expr; key: string }
  | { t: 'call'; fn: string; args: Expr[] }
  | { t: 'bin'; op: string; l: Expr; r: Expr }
  | { t: 'in'; negate: boolean; l: Expr; list: Expr[] }
  | { t: 'neg'; e: Expr };

type Op =
  | { op: 'where'; pred: Expr }
  | { op: 'extend' | 'project'; cols: { name: string; e: Expr }[] }
  | { op: 'summarize'; aggs: { name: string; fn: string; args: Expr[] }[]; by: { name: string; e: Expr }[] }
  | { op: 'order'; keys: { name: string; desc: boolean }[] }
  | { op: 'take'; n: number };

const aggregates = new Set(['count', 'countif', 'dcount', 'sum', 'min', 'max', 'avg', 'percentile', 'arg_max', 'arg_min']);
const scalars = new Set(['parse_json', 'todynamic', 'tostring', 'toint', 'tolong', 'todouble', 'toreal', 'isempty', 'isnotempty', 'bin', 'iff', 'strcat', 'not']);
const comparisons = new Set(['==', '!=', '<', '<=', '>', '>=', '=~', '!~', 'has', '!has', 'contains', 'startswith']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}
  peek(offset = 0): Token {
    return this.tokens[this.i + offset]!;
  }
  next(): Token {
    return this.tokens[this.i++]!;
  }
  isOp(text: string): boolean {
    return this.peek().kind === 'op' && this.peek().text === text;
  }
  isWord(text: string): boolean {
    return this.peek().kind === 'id' && this.peek().text === text;
  }
  expectOp(text: string): void {
    if (!this.isOp(text)) throw new KqlError(`expected "${text}" but found "${this.peek().text}"`);
    this.i++;
  }
  ident(): string {
    const t = this.next();
    if (t.kind !== 'id') throw new KqlError(`expected a name but found "${t.text}"`);
    return t.text;
  }

  query(): { lets: { name: string; e: Expr }[]; table: string; ops: Op[] } {
    const lets: { name: string; e: Expr }[] = [];
    while (this.isWord('let')) {
      this.next();
      const name = this.ident();
      this.expectOp('=');
      lets.push({ name, e: this.expr() });
      this.expectOp(';');
    }
    const table = this.ident();
    const ops: Op[] = [];
    while (this.isOp('|')) {
      this.next();
      ops.push(this.operator());
    }
    if (this.isOp(';')) this.next();
    if (this.peek().kind !== 'eof') throw new KqlError(`unexpected "${this.peek().text}" after the query`);
    return { lets, table, ops };
  }

  operator(): Op {
    const word = this.ident();
    switch (word) {
      case 'where':
        return { op: 'where', pred: this.expr() };
      case 'extend':
      case 'project':
        return { op: word, cols: this.list(() => this.column(word === 'project')) };
      case 'summarize': {
        const aggs = this.list(() => {
          let name: string | undefined;
          if (this.peek().kind === 'id' && this.peek(1).kind === 'op' && this.peek(1).text === '=') {
            name = this.ident();
            this.next();
          }
          const fn = this.ident();
          if (!aggregates.has(fn)) throw new KqlError(`unsupported aggregate ${fn}()`);
          this.expectOp('(');
          const args = this.isOp(')') ? [] : this.list(() => this.expr());
          this.expectOp(')');
          if (fn === 'arg_max' || fn === 'arg_min') {
            // Kusto names arg_max's output after its columns; only column references are supported here.
            if (name) throw new KqlError(`${fn}() output is named after its columns; do not name it`);
            if (args.length < 2 || args.some((a) => a.t !== 'col')) throw new KqlError(`${fn}(column, column, ...) takes column names only`);
            return { name: '', fn, args };
          }
          if (!name && fn !== 'count') throw new KqlError(`name the ${fn}() aggregate (name = ${fn}(...))`);
          return { name: name ?? 'count_', fn, args };
        });
        let by: { name: string; e: Expr }[] = [];
        if (this.isWord('by')) {
          this.next();
          by = this.list(() => this.column(true));
        }
        return { op: 'summarize', aggs, by };
      }
      case 'order':
      case 'sort': {
        if (!this.isWord('by')) throw new KqlError(`expected "by" after ${word}`);
        this.next();
        return {
          op: 'order',
          keys: this.list(() => {
            const name = this.ident();
            let desc = true; // Kusto sorts descending unless told otherwise
            if (this.isWord('asc') || this.isWord('desc')) desc = this.next().text === 'desc';
            return { name, desc };
          }),
        };
      }
      case 'take':
      case 'limit': {
        const t = this.next();
        if (t.kind !== 'num') throw new KqlError(`${word} needs a number`);
        return { op: 'take', n: t.value as number };
      }
      default:
        throw new KqlError(`unsupported operator "${word}"`);
    }
  }

  /** `name = expr`, or (when allowed) a bare column name or `bin(column, span)`. */
  column(allowBare: boolean): { name: string; e: Expr } {
    if (this.peek().kind === 'id' && this.peek(1).kind === 'op' && this.peek(1).text === '=') {
      const name = this.ident();
      this.next();
      return { name, e: this.expr() };
    }
    const e = this.expr();
    if (!allowBare) throw new KqlError('extend needs name = expression');
    if (e.t === 'col') return { name: e.name, e };
    if (e.t === 'call' && e.fn === 'bin' && e.args[0]?.t === 'col') return { name: e.args[0].name, e };
    throw new KqlError('name computed columns (name = expression)');
  }

  list<T>(item: () => T): T[] {
    const out = [item()];
    while (this.isOp(',')) {
      this.next();
      out.push(item());
    }
    return out;
  }

  expr(): Expr {
    return this.or();
  }
  or(): Expr {
    let l = this.and();
    while (this.isWord('or')) {
      this.next();
      l = { t: 'bin', op: 'or', l, r: this.and() };
    }
    return l;
  }
  and(): Expr {
    let l = this.comparison();
    while (this.isWord('and')) {
      this.next();
      l = { t: 'bin', op: 'and', l, r: this.comparison() };
    }
    return l;
  }
  comparison(): Expr {
    const l = this.additive();
    const t = this.peek();
    if ((t.kind === 'op' || t.kind === 'id') && (t.text === 'in' || t.text === '!in')) {
      this.next();
      this.expectOp('(');
      const list = this.list(() => this.additive());
      this.expectOp(')');
      return { t: 'in', negate: t.text === '!in', l, list };
    }
    if ((t.kind === 'op' || t.kind === 'id') && comparisons.has(t.text)) {
      this.next();
      return { t: 'bin', op: t.text, l, r: this.additive() };
    }
    return l;
  }
  additive(): Expr {
    let l = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().text;
      l = { t: 'bin', op, l, r: this.multiplicative() };
    }
    return l;
  }
  multiplicative(): Expr {
    let l = this.unary();
    while (this.isOp('*') || this.isOp('/')) {
      const op = this.next().text;
      l = { t: 'bin', op, l, r: this.unary() };
    }
    return l;
  }
  unary(): Expr {
    if (this.isOp('-')) {
      this.next();
      return { t: 'neg', e: this.unary() };
    }
    return this.postfix();
  }
  postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        e = { t: 'member', of: e, key: this.ident() };
      } else if (this.isOp('[')) {
        this.next();
        const k = this.next();
        if (k.kind !== 'str') throw new KqlError('only ["name"] indexing is supported');
        this.expectOp(']');
        e = { t: 'member', of: e, key: k.text };
      } else return e;
    }
  }
  primary(): Expr {
    const t = this.next();
    if (t.kind === 'str') return { t: 'lit', v: t.value as string };
    if (t.kind === 'num') return { t: 'lit', v: t.value as number };
    if (t.kind === 'span') return { t: 'lit', v: new TimeSpan(t.value as number) };
    if (t.kind === 'op' && t.text === '(') {
      const e = this.expr();
      this.expectOp(')');
      return e;
    }
    if (t.kind === 'id') {
      if (t.text === 'true' || t.text === 'false') return { t: 'lit', v: t.text === 'true' };
      if (this.isOp('(')) {
        if (!scalars.has(t.text)) throw new KqlError(`unsupported function ${t.text}()`);
        this.next();
        const args = this.isOp(')') ? [] : this.list(() => this.expr());
        this.expectOp(')');
        return { t: 'call', fn: t.text, args };
      }
      return { t: 'col', name: t.text };
    }
    throw new KqlError(`unexpected "${t.text}"`);
  }
}

// ---------- evaluation ----------
const typeOf = (v: Value): string =>
  v === null ? 'null' : v instanceof Dynamic ? 'dynamic' : v instanceof DateTime ? 'datetime' : v instanceof TimeSpan ? 'timespan' : typeof v === 'number' ? 'number' : typeof v;

function fromJson(v: unknown): Value {
  return v === undefined ? null : new Dynamic(v);
}

function toStr(v: Value): string {
  if (v === null) return '';
  if (v instanceof Dynamic) {
    const x = v.value;
    return x === null || x === undefined ? '' : typeof x === 'string' ? x : typeof x === 'object' ? JSON.stringify(x) : String(x);
  }
  if (v instanceof DateTime) return new Date(v.ms).toISOString();
  if (v instanceof TimeSpan) return `${v.ms}ms`;
  return String(v);
}

function toNum(v: Value, integer: boolean): number | null {
  const raw = v instanceof Dynamic ? v.value : v;
  if (raw === null || raw === undefined || raw === '' || typeof raw === 'object') return null;
  const n = typeof raw === 'boolean' ? Number(raw) : Number(raw);
  if (!Number.isFinite(n)) return null;
  return integer ? Math.trunc(n) : n;
}

function ordered(a: Value, b: Value, op: string): boolean {
  if (a === null || b === null) return false;
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta === 'dynamic' || tb === 'dynamic') throw new KqlError(`compare a dynamic value only after converting it (tostring/toint): ${op}`);
  if (ta !== tb) throw new KqlError(`Cannot compare values of types ${ta} and ${tb}`);
  const x = a instanceof DateTime || a instanceof TimeSpan ? a.ms : (a as string | number | boolean);
  const y = b instanceof DateTime || b instanceof TimeSpan ? b.ms : (b as string | number | boolean);
  switch (op) {
    case '==':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
  }
  throw new KqlError(`unsupported comparison ${op}`);
}

function requireString(v: Value, op: string): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  throw new KqlError(`${op} needs strings, got ${typeOf(v)} (convert with tostring)`);
}

/** Kusto `has`: whole terms (runs of letters and digits), case-insensitive. */
function hasTerm(haystack: string, term: string): boolean {
  const t = term.toLowerCase();
  const re = new RegExp(`(^|[^a-z0-9])${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z0-9])`);
  return re.test(haystack.toLowerCase());
}

function evaluate(e: Expr, row: Row, lets: Record<string, Value>): Value {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'col': {
      if (e.name in row) return row[e.name] as Value;
      if (e.name in lets) return lets[e.name]!;
      throw new KqlError(`unknown column or name "${e.name}"`);
    }
    case 'member': {
      const of = evaluate(e.of, row, lets);
      if (!(of instanceof Dynamic)) throw new KqlError(`.${e.key} on a ${typeOf(of)} value (parse_json it first)`);
      const x = of.value;
      return fromJson(x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>)[e.key] : undefined);
    }
    case 'neg': {
      const v = evaluate(e.e, row, lets);
      if (typeof v !== 'number') throw new KqlError(`cannot negate ${typeOf(v)}`);
      return -v;
    }
    case 'in': {
      const l = evaluate(e.l, row, lets);
      const found = e.list.some((item) => ordered(l, evaluate(item, row, lets), '=='));
      return e.negate ? !found : found;
    }
    case 'bin': {
      if (e.op === 'and' || e.op === 'or') {
        const l = evaluate(e.l, row, lets);
        if (typeof l !== 'boolean' && l !== null) throw new KqlError(`${e.op} needs booleans, got ${typeOf(l)}`);
        if (e.op === 'and' && !l) return false;
        if (e.op === 'or' && l) return true;
        const r = evaluate(e.r, row, lets);
        if (typeof r !== 'boolean' && r !== null) throw new KqlError(`${e.op} needs booleans, got ${typeOf(r)}`);
        return r === true;
      }
      const l = evaluate(e.l, row, lets);
      const r = evaluate(e.r, row, lets);
      switch (e.op) {
        case '=~':
        case '!~': {
          const eq = requireString(l, e.op).toLowerCase() === requireString(r, e.op).toLowerCase();
          return e.op === '=~' ? eq : !eq;
        }
        case 'has':
          return hasTerm(requireString(l, 'has'), requireString(r, 'has'));
        case '!has':
          return !hasTerm(requireString(l, '!has'), requireString(r, '!has'));
        case 'contains':
          return requireString(l, 'contains').toLowerCase().includes(requireString(r, 'contains').toLowerCase());
        case 'startswith':
          return requireString(l, 'startswith').toLowerCase().startsWith(requireString(r, 'startswith').toLowerCase());
        case '+':
        case '-':
        case '*':
        case '/': {
          if (l === null || r === null) return null;
          if (l instanceof DateTime && r instanceof DateTime && e.op === '-') return new TimeSpan(l.ms - r.ms);
          if (l instanceof TimeSpan && typeof r === 'number' && (e.op === '/' || e.op === '*')) return new TimeSpan(e.op === '/' ? l.ms / r : l.ms * r);
          if (typeof l !== 'number' || typeof r !== 'number') throw new KqlError(`${e.op} on ${typeOf(l)} and ${typeOf(r)}`);
          if (e.op === '/') return r === 0 ? null : l / r;
          return e.op === '+' ? l + r : e.op === '-' ? l - r : l * r;
        }
        default:
          return ordered(l, r, e.op);
      }
    }
    case 'call': {
      const args = e.args.map((a) => evaluate(a, row, lets));
      const arity = (n: number) => {
        if (args.length !== n) throw new KqlError(`${e.fn}() takes ${n} argument(s)`);
      };
      switch (e.fn) {
        case 'parse_json':
        case 'todynamic': {
          arity(1);
          const v = args[0]!;
          if (v instanceof Dynamic) return v;
          if (typeof v !== 'string') return fromJson(v);
          try {
            return new Dynamic(JSON.parse(v));
          } catch {
            return new Dynamic(v); // Kusto: a string that is not JSON stays a dynamic string
          }
        }
        case 'tostring':
          arity(1);
          return toStr(args[0]!);
        case 'toint':
        case 'tolong':
          arity(1);
          return toNum(args[0]!, true);
        case 'todouble':
        case 'toreal':
          arity(1);
          return toNum(args[0]!, false);
        case 'isempty':
        case 'isnotempty': {
          arity(1);
          const empty = toStr(args[0]!) === '';
          return e.fn === 'isempty' ? empty : !empty;
        }
        case 'not':
          arity(1);
          if (typeof args[0] !== 'boolean') throw new KqlError('not() needs a boolean');
          return !args[0];
        case 'iff':
          arity(3);
          return args[0] === true ? args[1]! : args[2]!;
        case 'strcat':
          return args.map(toStr).join('');
        case 'bin': {
          arity(2);
          const [v, size] = args;
          if (v instanceof DateTime && size instanceof TimeSpan) return new DateTime(Math.floor(v.ms / size.ms) * size.ms);
          if (typeof v === 'number' && typeof size === 'number') return Math.floor(v / size) * size;
          throw new KqlError(`bin() of ${typeOf(v!)} by ${typeOf(size!)}`);
        }
      }
      throw new KqlError(`unsupported function ${e.fn}()`);
    }
  }
}

function aggregate(fn: string, args: Expr[], rows: Row[], lets: Record<string, Value>): Value {
  const values = () => {
    if (args.length < 1) throw new KqlError(`${fn}() needs an argument`);
    return rows.map((r) => evaluate(args[0]!, r, lets)).filter((v) => v !== null);
  };
  const numbers = () =>
    values().map((v) => {
      if (typeof v !== 'number') throw new KqlError(`${fn}() of ${typeOf(v)} (convert with toint/todouble)`);
      return v;
    });
  switch (fn) {
    case 'count':
      if (args.length) throw new KqlError('count() takes no argument');
      return rows.length;
    case 'countif':
      return rows.filter((r) => evaluate(args[0]!, r, lets) === true).length;
    case 'dcount':
      return new Set(values().map(toStr)).size;
    case 'sum':
      return numbers().reduce((a, b) => a + b, 0);
    case 'avg': {
      const n = numbers();
      return n.length ? n.reduce((a, b) => a + b, 0) / n.length : null;
    }
    case 'min':
    case 'max': {
      const v = values();
      if (v.length === 0) return null;
      return v.reduce((a, b) => (ordered(a, b, fn === 'max' ? '>' : '<') ? a : b));
    }
    case 'percentile': {
      if (args.length !== 2) throw new KqlError('percentile(x, n)');
      const p = evaluate(args[1]!, {}, lets);
      if (typeof p !== 'number') throw new KqlError('percentile() needs a number');
      const n = numbers().sort((a, b) => a - b);
      if (n.length === 0) return null;
      // Nearest rank; Kusto estimates (T-Digest), which agrees on small samples within one rank.
      return n[Math.min(n.length - 1, Math.max(0, Math.ceil((p / 100) * n.length) - 1))]!;
    }
  }
  throw new KqlError(`unsupported aggregate ${fn}()`);
}

/** Loads stored rows: `timestamp` becomes a datetime, objects (customDimensions) become dynamic. */
function loadRow(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'timestamp' && typeof v === 'string') out[k] = new DateTime(Date.parse(v));
    else if (v && typeof v === 'object') out[k] = new Dynamic(v);
    else out[k] = v ?? null;
  }
  return out;
}

/** Back to plain JSON values (datetimes as ISO strings, dynamics unwrapped), for assertions. */
function plainRow(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = v instanceof Dynamic ? v.value : v instanceof DateTime ? new Date(v.ms).toISOString() : v instanceof TimeSpan ? v.ms : v;
  }
  return out;
}

/** Replaces workbook parameters `{Name}`; a parameter the query names but `params` lacks is an error. */
export function substituteParams(query: string, params: Record<string, string>): string {
  return query.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    if (!(name in params)) throw new KqlError(`parameter {${name}} has no value`);
    return params[name]!;
  });
}

export interface RunOptions {
  /** Workbook parameters, `{Name}` in the text. */
  params?: Record<string, string>;
  /** Overrides of `let` constants (e.g. a lower threshold for a test); a name the query does not declare is an error. */
  lets?: Record<string, string | number>;
}

export function runKql(query: string, tables: Tables, options: RunOptions = {}): Row[] {
  const parsed = new Parser(tokenize(substituteParams(query, options.params ?? {}))).query();
  const lets: Record<string, Value> = {};
  for (const l of parsed.lets) lets[l.name] = evaluate(l.e, {}, lets);
  for (const [name, value] of Object.entries(options.lets ?? {})) {
    if (!(name in lets)) throw new KqlError(`the query declares no "let ${name}"`);
    lets[name] = value;
  }
  const source = tables[parsed.table];
  if (!source) throw new KqlError(`unknown table "${parsed.table}"`);
  let rows = source.map(loadRow);
  for (const op of parsed.ops) {
    switch (op.op) {
      case 'where':
        rows = rows.filter((r) => {
          const v = evaluate(op.pred, r, lets);
          if (typeof v !== 'boolean' && v !== null) throw new KqlError(`where needs a boolean, got ${typeOf(v)}`);
          return v === true;
        });
        break;
      case 'extend':
        rows = rows.map((r) => {
          const out = { ...r };
          for (const c of op.cols) out[c.name] = evaluate(c.e, out, lets);
          return out;
        });
        break;
      case 'project':
        rows = rows.map((r) => Object.fromEntries(op.cols.map((c) => [c.name, evaluate(c.e, r, lets)])));
        break;
      case 'summarize': {
        const groups = new Map<string, { key: Row; rows: Row[] }>();
        for (const r of rows) {
          const key = Object.fromEntries(op.by.map((b) => [b.name, evaluate(b.e, r, lets)]));
          const id = JSON.stringify(Object.values(key).map((v) => [typeOf(v as Value), toStr(v as Value)]));
          let g = groups.get(id);
          if (!g) groups.set(id, (g = { key, rows: [] }));
          g.rows.push(r);
        }
        // Kusto: summarize without `by` over no rows still returns one row (count 0).
        if (op.by.length === 0 && groups.size === 0) groups.set('', { key: {}, rows: [] });
        rows = [...groups.values()].map((g) => {
          const out: Row = { ...g.key };
          for (const a of op.aggs) {
            if (a.fn === 'arg_max' || a.fn === 'arg_min') {
              // The row with the largest (smallest) first argument; its listed columns are the output.
              let best: Row | undefined;
              for (const r of g.rows) {
                const v = evaluate(a.args[0]!, r, lets);
                if (v === null) continue;
                if (!best || ordered(v, evaluate(a.args[0]!, best, lets), a.fn === 'arg_max' ? '>' : '<')) best = r;
              }
              for (const c of a.args) {
                const name = (c as { name: string }).name;
                out[name] = best ? evaluate(c, best, lets) : null;
              }
            } else out[a.name] = aggregate(a.fn, a.args, g.rows, lets);
          }
          return out;
        });
        break;
      }
      case 'order':
        rows = [...rows].sort((a, b) => {
          for (const k of op.keys) {
            const x = (a[k.name] ?? null) as Value;
            const y = (b[k.name] ?? null) as Value;
            if (x === null && y === null) continue;
            if (x === null) return 1;
            if (y === null) return -1;
            if (ordered(x, y, '==')) continue;
            return ordered(x, y, '<') !== k.desc ? -1 : 1;
          }
          return 0;
        });
        break;
      case 'take':
        rows = rows.slice(0, op.n);
        break;
    }
  }
  return rows.map(plainRow);
}

/** Reads the local host's telemetry JSON lines into Application Insights tables (`requests`, `traces`). */
export function telemetryTables(lines: string[]): Tables {
  const tables: Tables = { requests: [], traces: [] };
  for (const line of lines) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as Row;
    const table = row.itemType === 'request' ? 'requests' : row.itemType === 'trace' ? 'traces' : undefined;
    if (!table) throw new KqlError(`unknown itemType ${String(row.itemType)}`);
    tables[table]!.push(row);
  }
  return tables;
}

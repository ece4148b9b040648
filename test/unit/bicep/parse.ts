// Parses Bicep with tree-sitter-bicep (its shipped .wasm through web-tree-sitter: no native build, no network) and
// offers the few tree walks the checks need. Syntax only: no Bicep compiler runs offline (HARNESS-NOTES.md).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { repoRoot } from '../../support/repoRoot.js';

export interface BicepFile {
  /** Path relative to the repo root (or a label for snippets), used in every problem message. */
  path: string;
  source: string;
  root: Node;
}

export interface Problem {
  file: string;
  /** 1-based. */
  line: number;
  rule: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: [${p.rule}] ${p.message}`;
}

export function problemAt(file: BicepFile, node: Node | number, rule: string, message: string): Problem {
  const line = typeof node === 'number' ? node : node.startPosition.row + 1;
  return { file: file.path, line, rule, message };
}

let parserPromise: Promise<Parser> | undefined;

function parser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const wasm = path.join(repoRoot(), 'node_modules', 'tree-sitter-bicep', 'tree-sitter-bicep.wasm');
    const language = await Language.load(readFileSync(wasm));
    return new Parser().setLanguage(language);
  })();
  return parserPromise;
}

// tree-sitter-bicep 1.1.0 predates the `extension` keyword (Bicep renamed `provider`/`import '<pkg>'` to
// `extension`; the Graph extension is declared as `extension microsoftGraphV1`). A well-formed extension line is
// handed to the grammar as the `import '<alias>'` statement it does know, on the same line, so line numbers hold.
// Anything else starting with `extension` is left alone and still fails to parse.
const EXTENSION_LINE = /^(\s*)extension(\s+)(?:([A-Za-z_][A-Za-z0-9_]*)|'([^'\n]+)')\s*(\/\/.*)?$/;

export function normaliseForGrammar(source: string): string {
  return source
    .split('\n')
    .map((line) => {
      const m = EXTENSION_LINE.exec(line);
      return m ? `${m[1]}import${m[2]}'${m[3] ?? m[4]}'` : line;
    })
    .join('\n');
}

export async function parseBicep(filePath: string, source: string): Promise<BicepFile> {
  const tree = (await parser()).parse(normaliseForGrammar(source));
  if (!tree) throw new Error(`tree-sitter returned no tree for ${filePath}`);
  return { path: filePath, source, root: tree.rootNode };
}

/** Every `.bicep` file under bicep/, parsed, as repo-relative paths in a stable order. */
export async function loadBicepFiles(): Promise<BicepFile[]> {
  const root = repoRoot();
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.bicep')) found.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  walk(path.join(root, 'bicep'));
  found.sort();
  return Promise.all(found.map((rel) => parseBicep(rel, readFileSync(path.join(root, rel), 'utf8'))));
}

// ---- tree walks ---------------------------------------------------------------------------------------------------

/** Depth-first over every node, named or not (MISSING tokens are anonymous). */
export function* walk(node: Node): Generator<Node> {
  yield node;
  for (const child of node.children) yield* walk(child);
}

/** Named children without comments. */
export function named(node: Node): Node[] {
  return node.namedChildren.filter((c) => c.type !== 'comment');
}

export function topLevel(file: BicepFile, type: string): Node[] {
  return file.root.namedChildren.filter((n) => n.type === type);
}

/** The identifier a declaration declares (`param x`, `var x`, `resource x`, `output x`, `module x`). */
export function declaredName(decl: Node): string {
  return named(decl)[0]?.text ?? '';
}

export interface Decorator {
  name: string;
  args: Node[];
  node: Node;
}

/** Decorators written above a top-level declaration (`@description('...')`, `@secure()`, `@sys.description`). */
export function decoratorsOf(decl: Node): Decorator[] {
  let prev = decl.previousNamedSibling;
  while (prev && prev.type === 'comment') prev = prev.previousNamedSibling;
  if (!prev || prev.type !== 'decorators') return [];
  const result: Decorator[] = [];
  for (const decorator of named(prev)) {
    const call = decorator.descendantsOfType('call_expression')[0];
    if (!call) continue;
    const fn = call.childForFieldName('function') ?? named(call)[0];
    const args = call.descendantsOfType('arguments')[0];
    result.push({ name: (fn?.text ?? '').replace(/^sys\./, ''), args: args ? named(args) : [], node: decorator });
  }
  return result;
}

/** Text of a string literal without interpolation; undefined for anything else. */
export function stringLiteral(node: Node | undefined | null): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  if (node.descendantsOfType('interpolation').length > 0) return undefined;
  const text = node.text;
  if (text.startsWith("'''")) return text.slice(3, -3);
  return text.slice(1, -1).replace(/\\'/g, "'").replace(/\\\\/g, '\\');
}

export type Literal = string | number | boolean | null | undefined;

/** Value of a literal node (string without interpolation, number, boolean, null); undefined when not a literal. */
export function literal(node: Node | undefined | null): Literal {
  if (!node) return undefined;
  switch (node.type) {
    case 'string':
      return stringLiteral(node);
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'null':
      return null;
    default:
      return undefined;
  }
}

/** Key of an object property (`name:` or `'azd-service-name':`). */
export function propertyKey(prop: Node): string {
  const key = named(prop)[0];
  if (!key) return '';
  return key.type === 'string' ? (stringLiteral(key) ?? key.text) : key.text;
}

export function properties(obj: Node | undefined | null): Node[] {
  return obj && obj.type === 'object' ? named(obj).filter((c) => c.type === 'object_property') : [];
}

/** Value node of `key` in an object literal. */
export function prop(obj: Node | undefined | null, key: string): Node | undefined {
  const p = properties(obj).find((c) => propertyKey(c) === key);
  if (!p) return undefined;
  const parts = named(p);
  return parts[parts.length - 1];
}

/** Follows a dotted path of object keys: `path(body, 'properties', 'siteConfig')`. */
export function dig(obj: Node | undefined | null, ...keys: string[]): Node | undefined {
  let current: Node | undefined = obj ?? undefined;
  for (const key of keys) current = prop(current, key);
  return current;
}

export interface ResourceDecl {
  node: Node;
  symbol: string;
  /** `Microsoft.Storage/storageAccounts` */
  type: string;
  /** `2026-04-01`, `v1.0`; empty when the type string has no `@`. */
  apiVersion: string;
  existing: boolean;
  /** The object literal that defines the resource (inside `if (...)` and `[for ...]` too). */
  body: Node | undefined;
}

function bodyOf(node: Node | undefined): Node | undefined {
  if (!node) return undefined;
  if (node.type === 'object') return node;
  if (node.type === 'if_statement' || node.type === 'for_statement') {
    return bodyOf(named(node).find((c) => c.type === 'object' || c.type === 'if_statement'));
  }
  return undefined;
}

export function resources(file: BicepFile): ResourceDecl[] {
  return file.root.descendantsOfType('resource_declaration').map((node) => {
    const parts = named(node);
    const typeString = stringLiteral(parts[1]) ?? parts[1]?.text ?? '';
    const at = typeString.lastIndexOf('@');
    return {
      node,
      symbol: parts[0]?.text ?? '',
      type: at >= 0 ? typeString.slice(0, at) : typeString,
      apiVersion: at >= 0 ? typeString.slice(at + 1) : '',
      existing: node.children.some((c) => c.type === 'existing'),
      body: bodyOf(parts[parts.length - 1]),
    };
  });
}

/** Top-level `var name = <value>`: the value node. */
export function variableValue(file: BicepFile, name: string): Node | undefined {
  const decl = topLevel(file, 'variable_declaration').find((d) => declaredName(d) === name);
  if (!decl) return undefined;
  const parts = named(decl);
  return parts[parts.length - 1];
}

/** String literals of an array literal (non-literal items are skipped). */
export function stringArray(node: Node | undefined): string[] {
  if (!node || node.type !== 'array') return [];
  return named(node)
    .map((item) => stringLiteral(item))
    .filter((s): s is string => s !== undefined);
}

/** Identifiers an expression reads (object keys and property names are not reads). */
export function referencedIdentifiers(expr: Node): string[] {
  const names: string[] = [];
  for (const node of walk(expr)) {
    if (node.type !== 'identifier') continue;
    const parent = node.parent;
    if (parent?.type === 'object_property' && named(parent)[0]?.id === node.id) continue;
    // The function name of a call (`empty(...)`) is not a variable read.
    if (parent?.type === 'call_expression' && parent.childForFieldName('function')?.id === node.id) continue;
    names.push(node.text);
  }
  return names;
}

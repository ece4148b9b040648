// Reads the app's own sources with the TypeScript parser for the layer-boundary tests (test/unit/graph/boundary,
// test/unit/jira/boundary): comments and documentation are not code, so string and template literals, calls and
// imports are taken from the syntax tree, never found by grepping text.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { repoRoot } from './repoRoot.js';

export interface Finding {
  /** `shared/x/y.ts:12` */
  where: string;
  what: string;
}

/** The app's sources (shared/ and functions/, no tests): repository-relative paths with `/`. */
export function appSources(): string[] {
  const root = repoRoot();
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return walk(full);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path.relative(root, full).split(path.sep).join('/')] : [];
    });
  return [...walk(path.join(root, 'shared')), ...walk(path.join(root, 'functions'))].sort();
}

export function readSource(file: string): string {
  return readFileSync(path.join(repoRoot(), file), 'utf8');
}

export function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

export function lineOf(source: ts.SourceFile, node: ts.Node): string {
  return `${source.fileName}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
}

/**
 * Every string and template literal that is a value (not an import/export specifier), substitutions written `${}`,
 * so `\`${base}/users('${id}')\`` reads `${}/users('${}')`.
 */
export function literalsOf(source: ts.SourceFile): { node: ts.Node; text: string }[] {
  const out: { node: ts.Node; text: string }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isImportTypeNode(node) || ts.isExternalModuleReference(node)) return;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push({ node, text: node.text });
    else if (ts.isTemplateExpression(node)) out.push({ node, text: node.head.text + node.templateSpans.map((s) => '${}' + s.literal.text).join('') });
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Calls of the global `fetch` (`fetch(…)`, `globalThis.fetch(…)`), with the first argument's source text. */
export function fetchCalls(source: ts.SourceFile): { node: ts.CallExpression; target: string }[] {
  const out: { node: ts.CallExpression; target: string }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isFetch =
        (ts.isIdentifier(callee) && callee.text === 'fetch') ||
        (ts.isPropertyAccessExpression(callee) && callee.name.text === 'fetch' && ts.isIdentifier(callee.expression) && ['globalThis', 'window', 'global'].includes(callee.expression.text));
      if (isFetch) out.push({ node, target: node.arguments[0]?.getText(source) ?? '' });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Module specifiers a file imports (static, dynamic and `export … from`). */
export function importsOf(source: ts.SourceFile): { node: ts.Node; specifier: string }[] {
  const out: { node: ts.Node; specifier: string }[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ node, specifier: node.moduleSpecifier.text });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      out.push({ node, specifier: node.arguments[0].text });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/**
 * The files outside the Graph and Jira layers that call `fetch` at all, and why: neither is aimed at Graph or Jira
 * (both reach the identity platform at AUTHORITY_HOST). A new one must be added here with its reason, so a raw
 * call to Graph or Jira cannot slip in under another name for its URL.
 */
export const fetchCallersOutsideClients = new Map([
  ['shared/identity/tenantDiscovery.ts', "the identity platform's OpenID Connect metadata ({authorityHost}/{tenant}/v2.0/.well-known/…)"],
  ['shared/identity/msal.ts', "MSAL's network module (Entra token and discovery endpoints) with a deadline"],
]);

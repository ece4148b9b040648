// One spelling for error codes (issue 13): the app's codes are snake_case everywhere (`chat_gone`, like the HTTP
// bodies' `method_not_allowed`), so an audit entry, a log line and an API answer name a failure the same way and
// nothing converts between spellings by hand. A static scan of shared/ and functions/ with the TypeScript parser:
// every code literal given to PermanentError, fail() or an error class, and every `code:` property, is checked.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { repoRoot } from '../support/repoRoot.js';

const root = repoRoot();
const snake = /^[a-z0-9]+(_[a-z0-9]+)*$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

interface Found {
  where: string;
  code: string;
}

/** The literal text of a code argument; a template's `${...}` parts become `x`. Undefined for other expressions. */
function literalText(node: ts.Expression | undefined): string | undefined {
  if (!node) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((s) => `x${s.literal.text}`).join('');
  if (ts.isAsExpression(node)) return literalText(node.expression);
  return undefined;
}

/** Constructors and helpers whose second argument is an app error code. */
const codeTakers = new Set(['PermanentError', 'fail', 'BridgeError']);

function scan(file: string): Found[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Found[] = [];
  const where = (node: ts.Node) => `${path.relative(root, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && codeTakers.has(node.expression.text)) {
      const code = literalText(node.arguments?.[1]);
      if (code !== undefined) found.push({ where: where(node), code });
    }
    // `super(message, 'needs_reauth', ...)` in the error classes.
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.SuperKeyword) {
      const code = literalText(node.arguments[1]);
      if (code !== undefined) found.push({ where: where(node), code });
    }
    // `{ code: 'mail_send_as_denied', message }` (explanations, validation results, error bodies).
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'code') {
      const code = literalText(node.initializer);
      if (code !== undefined) found.push({ where: where(node), code });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('error codes', () => {
  const files = [...sourceFiles(path.join(root, 'shared')), ...sourceFiles(path.join(root, 'functions'))];
  const codes = files.flatMap(scan);

  it('the scan finds the codes (it reads what it should)', () => {
    assert.ok(codes.length > 100, `only ${codes.length} codes found`);
    assert.ok(codes.some((c) => c.code === 'chat_gone'));
    assert.ok(codes.some((c) => c.code === 'method_not_allowed'));
    assert.ok(codes.some((c) => c.code === 'mail_send_as_denied'));
    assert.ok(codes.some((c) => c.code === 'graph_x'), 'the template code graph_${status}');
  });

  it('are snake_case: no dash, no upper case', () => {
    const wrong = codes.filter((c) => !snake.test(c.code));
    assert.deepEqual(wrong, []);
  });

  it('are never converted between spellings by hand', () => {
    const conversions = files.filter((f) => /\.code\.replace\(/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(root, f));
    assert.deepEqual(conversions, []);
  });
});

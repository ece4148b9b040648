// The offline checks on bicep/: each takes parsed files and returns the problems it finds, so the same function
// runs on the real templates and on a deliberately bad snippet (which must be reported).
import type { Node } from 'web-tree-sitter';
import {
  declaredName,
  decoratorsOf,
  dig,
  literal,
  named,
  problemAt,
  prop,
  properties,
  propertyKey,
  referencedIdentifiers,
  resources,
  stringArray,
  stringLiteral,
  topLevel,
  variableValue,
  walk,
  type BicepFile,
  type Problem,
} from './parse.js';
import {
  azureReference,
  builtInRoleIds,
  graphDelegatedPermissionIds,
  knownApiVersions,
  resourceTypeEntry,
} from './reference.js';

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** tree-sitter error recovery: ERROR nodes (unparseable text) and MISSING nodes (a token it had to invent). */
export function checkSyntax(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  for (const node of walk(file.root)) {
    if (node.isError) {
      problems.push(problemAt(file, node, 'syntax', `cannot parse ${JSON.stringify(node.text.slice(0, 60))}`));
    } else if (node.isMissing) {
      problems.push(problemAt(file, node, 'syntax', `missing ${node.type}`));
    }
  }
  return problems;
}

/**
 * Every `resource … 'Type@apiVersion'` names a full type and a stable API version that exists for it; Microsoft.Web
 * is pinned at 2025-03-01 (the newest the Bicep types can check); Graph types exist in the Graph extension.
 */
export function checkApiVersions(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  const graphTypes = azureReference().graphExtension.resourceTypes;
  for (const r of resources(file)) {
    const where = `${r.symbol}: '${r.type}@${r.apiVersion}'`;
    if (!r.type.includes('/') || !r.apiVersion) {
      problems.push(problemAt(file, r.node, 'api-version', `${where} must be a full 'Provider/type@version' string`));
      continue;
    }
    if (r.type.startsWith('Microsoft.Graph/')) {
      if (!graphTypes[`${r.type}@${r.apiVersion}`]) {
        problems.push(problemAt(file, r.node, 'api-version', `${where} is not a Microsoft Graph Bicep type`));
      }
      continue;
    }
    const known = knownApiVersions(r.type);
    if (!known) {
      problems.push(problemAt(file, r.node, 'api-version', `${where}: the type is not in resource-types.json`));
    } else if (known.preview.has(r.apiVersion)) {
      problems.push(problemAt(file, r.node, 'api-version', `${where} is a preview API version`));
    } else if (!known.stable.has(r.apiVersion)) {
      problems.push(problemAt(file, r.node, 'api-version', `${where} is not a known API version of ${r.type}`));
    }
    if (r.type.startsWith('Microsoft.Web/') && r.apiVersion !== '2025-03-01') {
      problems.push(problemAt(file, r.node, 'api-version', `${where}: pin Microsoft.Web/* at 2025-03-01`));
    }
  }
  return problems;
}

const BICEP_BODY_KEYWORDS = new Set(['parent', 'scope', 'dependsOn', 'name']);

/** Keys in a resource body and directly under `properties:` are ones the type declares as writable. */
export function checkPropertyNames(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  const graphTypes = azureReference().graphExtension.resourceTypes;
  for (const r of resources(file)) {
    if (r.existing || !r.body) continue;
    if (r.type.startsWith('Microsoft.Graph/')) {
      const graph = graphTypes[`${r.type}@${r.apiVersion}`];
      if (!graph) continue;
      for (const p of properties(r.body)) {
        const key = propertyKey(p);
        if (BICEP_BODY_KEYWORDS.has(key)) continue;
        if (!graph.writable.includes(key)) {
          problems.push(problemAt(file, p, 'property', `${r.symbol}: ${key} is not a writable property of ${r.type}`));
        }
      }
      continue;
    }
    const details = resourceTypeEntry(r.type)?.newestStableDetails;
    const body = details?.resourceBody;
    if (body) {
      for (const p of properties(r.body)) {
        const key = propertyKey(p);
        if (!BICEP_BODY_KEYWORDS.has(key) && !body.writable.includes(key)) {
          problems.push(problemAt(file, p, 'property', `${r.symbol}: ${key} is not allowed on ${r.type}`));
        }
      }
    }
    const props = details?.properties;
    if (props) {
      for (const p of properties(prop(r.body, 'properties'))) {
        const key = propertyKey(p);
        if (props.readOnly.includes(key)) {
          problems.push(problemAt(file, p, 'property', `${r.symbol}: properties.${key} is read-only`));
        } else if (!props.writable.includes(key)) {
          problems.push(problemAt(file, p, 'property', `${r.symbol}: properties.${key} is unknown for ${r.type}`));
        }
      }
    }
  }
  return problems;
}

/** Object literals reached by following `keys` from `start`, through arrays, `[for …]`, `if` and `a ? b : c`. */
export function objectsAt(start: Node | undefined, keys: string[]): Node[] {
  const expand = (node: Node | undefined): Node[] => {
    if (!node) return [];
    switch (node.type) {
      case 'object':
        return [node];
      case 'array':
      case 'parenthesized_expression':
        return named(node).flatMap(expand);
      case 'for_statement':
      case 'if_statement':
        return expand(named(node).at(-1));
      case 'ternary_expression':
        return named(node).slice(1).flatMap(expand);
      // concat([...], [...]) and map(xs, x => { ... }): the objects they assemble are checked like literal ones.
      case 'call_expression': {
        const fn = (node.childForFieldName('function') ?? named(node)[0])?.text ?? '';
        const args = node.descendantsOfType('arguments')[0];
        return ['concat', 'union', 'map', 'filter'].includes(fn) && args ? named(args).flatMap(expand) : [];
      }
      case 'lambda_expression':
        return expand(named(node).at(-1));
      default:
        return [];
    }
  };
  let current = expand(start);
  for (const key of keys) current = current.flatMap((obj) => expand(prop(obj, key)));
  return current;
}

/**
 * Keys of the deeper objects the reference describes (`properties.functionAppConfig.deployment.storage`,
 * `properties.criteria.allOf`, `identity`, …) are writable names of that object's type.
 */
export function checkNestedPropertyNames(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  const graphTypes = azureReference().graphExtension.resourceTypes;
  for (const r of resources(file)) {
    if (r.existing || !r.body) continue;
    const entry = resourceTypeEntry(r.type);
    const nested = r.type.startsWith('Microsoft.Graph/')
      ? (graphTypes[`${r.type}@${r.apiVersion}`]?.nested ?? {})
      : (entry?.newestStableDetails?.nested ?? {});
    for (const [dotted, shape] of Object.entries(nested)) {
      if (dotted.includes('[')) continue; // discriminated by odata.type: not modelled here
      for (const obj of objectsAt(r.body, dotted.split('.'))) {
        for (const p of properties(obj)) {
          const key = propertyKey(p);
          if (shape.readOnly.includes(key)) {
            problems.push(problemAt(file, p, 'property', `${r.symbol}: ${dotted}.${key} is read-only`));
          } else if (!shape.writable.includes(key)) {
            problems.push(problemAt(file, p, 'property', `${r.symbol}: ${dotted}.${key} is unknown for ${r.type}@${entry?.newestStable ?? r.apiVersion}`));
          }
        }
      }
    }
  }
  return problems;
}

/** Required keys (Bicep BCP035) of the resource body, of `properties`, and of the nested objects described. */
export function checkRequiredProperties(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  const graphTypes = azureReference().graphExtension.resourceTypes;
  const missing = (obj: Node, required: string[], where: string, r: { symbol: string }) => {
    const present = new Set(properties(obj).map(propertyKey));
    for (const key of required) {
      if (!present.has(key)) problems.push(problemAt(file, obj, 'required', `${r.symbol}: ${where}${key} is required`));
    }
  };
  for (const r of resources(file)) {
    if (r.existing || !r.body) continue;
    if (r.type.startsWith('Microsoft.Graph/')) {
      const graph = graphTypes[`${r.type}@${r.apiVersion}`];
      if (graph) missing(r.body, graph.required, '', r);
      continue;
    }
    const details = resourceTypeEntry(r.type)?.newestStableDetails;
    if (!details) continue;
    missing(r.body, details.resourceBody?.required ?? [], '', r);
    const props = prop(r.body, 'properties');
    if (props?.type === 'object') missing(props, details.properties?.required ?? [], 'properties.', r);
    for (const [dotted, shape] of Object.entries(details.nested ?? {})) {
      if (dotted.includes('[')) continue;
      for (const obj of objectsAt(r.body, dotted.split('.'))) missing(obj, shape.required, `${dotted}.`, r);
    }
  }
  return problems;
}

function expectLiteral(
  file: BicepFile,
  problems: Problem[],
  rule: string,
  owner: { symbol: string; node: Node; body: Node | undefined },
  key: string,
  expected: string | boolean,
) {
  const value = dig(owner.body, 'properties', key);
  const actual = literal(value);
  if (actual !== expected) {
    problems.push(
      problemAt(
        file,
        value ?? owner.node,
        rule,
        `${owner.symbol}: properties.${key} must be ${JSON.stringify(expected)}, found ${value ? value.text : 'nothing'}`,
      ),
    );
  }
}

/** Storage accounts: no shared keys, TLS 1.2, no anonymous blob access. */
export function checkStorageSecurity(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  for (const r of resources(file)) {
    if (r.type.toLowerCase() !== 'microsoft.storage/storageaccounts' || r.existing) continue;
    expectLiteral(file, problems, 'storage', r, 'allowSharedKeyAccess', false);
    expectLiteral(file, problems, 'storage', r, 'minimumTlsVersion', 'TLS1_2');
    expectLiteral(file, problems, 'storage', r, 'allowBlobPublicAccess', false);
  }
  return problems;
}

/** Key Vaults: RBAC mode, soft delete with a retention, purge protection. */
export function checkKeyVaultSecurity(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  for (const r of resources(file)) {
    if (r.type.toLowerCase() !== 'microsoft.keyvault/vaults' || r.existing) continue;
    expectLiteral(file, problems, 'key-vault', r, 'enableRbacAuthorization', true);
    expectLiteral(file, problems, 'key-vault', r, 'enablePurgeProtection', true);
    expectLiteral(file, problems, 'key-vault', r, 'enableSoftDelete', true);
    const retention = literal(dig(r.body, 'properties', 'softDeleteRetentionInDays'));
    if (typeof retention !== 'number' || retention < 7 || retention > 90) {
      problems.push(problemAt(file, r.node, 'key-vault', `${r.symbol}: properties.softDeleteRetentionInDays must be 7-90`));
    }
    if (dig(r.body, 'properties', 'accessPolicies')) {
      problems.push(problemAt(file, r.node, 'key-vault', `${r.symbol}: RBAC mode has no accessPolicies`));
    }
  }
  return problems;
}

/**
 * No storage key or connection string anywhere: no list*() call (listKeys, listConnectionStrings, listAccountSas…),
 * no string carrying AccountKey= / SharedAccessSignature=, no `AzureWebJobsStorage` connection-string setting and
 * no `connectionStrings` block. Identity-based settings (`AzureWebJobsStorage__accountName`) are what replace them.
 */
export function checkNoKeysOrConnectionStrings(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  for (const node of walk(file.root)) {
    if (node.type === 'call_expression') {
      const fn = node.childForFieldName('function') ?? named(node)[0];
      const name = fn?.type === 'member_expression' ? (named(fn).at(-1)?.text ?? '') : (fn?.text ?? '');
      if (/^list[A-Z]/.test(name) || name === 'list') {
        problems.push(problemAt(file, node, 'no-keys', `${name}() reads keys or secrets of a resource`));
      }
    } else if (node.type === 'string') {
      if (/AccountKey=|SharedAccessSignature=|DefaultEndpointsProtocol=/i.test(node.text)) {
        problems.push(problemAt(file, node, 'no-keys', 'a storage connection string with a key'));
      }
    } else if (node.type === 'object_property') {
      const key = propertyKey(node);
      const value = named(node).at(-1);
      if (key === 'AzureWebJobsStorage' || (key === 'name' && stringLiteral(value) === 'AzureWebJobsStorage')) {
        problems.push(problemAt(file, node, 'no-keys', 'AzureWebJobsStorage as a connection string; use the identity-based AzureWebJobsStorage__queueServiceUri etc.'));
      } else if (key === 'connectionStrings') {
        problems.push(problemAt(file, node, 'no-keys', 'connectionStrings block on a site'));
      } else if (/connection_?string/i.test(key) && key !== 'APPLICATIONINSIGHTS_CONNECTION_STRING') {
        problems.push(problemAt(file, node, 'no-keys', `${key} looks like a connection-string setting`));
      }
    }
  }
  return problems;
}

/** Identifiers holding a secret: @secure() params, and vars computed from them. */
function secretSymbols(file: BicepFile): Set<string> {
  const tainted = new Set<string>();
  for (const param of topLevel(file, 'parameter_declaration')) {
    if (decoratorsOf(param).some((d) => d.name === 'secure')) tainted.add(declaredName(param));
  }
  // Secret resources: reading `.properties.value` of a Key Vault secret is reading the secret.
  const secretResources = new Set(
    resources(file)
      .filter((r) => r.type.toLowerCase() === 'microsoft.keyvault/vaults/secrets')
      .map((r) => r.symbol),
  );
  const vars = topLevel(file, 'variable_declaration');
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of vars) {
      const name = declaredName(v);
      const value = named(v).at(-1);
      if (tainted.has(name) || !value) continue;
      if (readsSecret(value, tainted, secretResources)) {
        tainted.add(name);
        changed = true;
      }
    }
  }
  return tainted;
}

function readsSecret(expr: Node, tainted: Set<string>, secretResources: Set<string>): boolean {
  if (referencedIdentifiers(expr).some((id) => tainted.has(id))) return true;
  return [...secretResources].some((symbol) => new RegExp(`\\b${symbol}\\.properties\\.value\\b`).test(expr.text));
}

/** No output is @secure(), named like a secret, or computed from a secret, a secret's value or a list*() call. */
export function checkOutputs(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  const tainted = secretSymbols(file);
  const secretResources = new Set(
    resources(file)
      .filter((r) => r.type.toLowerCase() === 'microsoft.keyvault/vaults/secrets')
      .map((r) => r.symbol),
  );
  for (const output of topLevel(file, 'output_declaration')) {
    const name = declaredName(output);
    const value = named(output).at(-1);
    if (decoratorsOf(output).some((d) => d.name === 'secure')) {
      problems.push(problemAt(file, output, 'outputs', `output ${name} is @secure(): outputs are stored in the deployment history`));
    }
    // Same heuristic as Bicep's outputs-should-not-contain-secrets linter rule.
    if (/password|secret/i.test(name)) {
      problems.push(problemAt(file, output, 'outputs', `output ${name} is named like a secret`));
    }
    if (value && readsSecret(value, tainted, secretResources)) {
      problems.push(problemAt(file, output, 'outputs', `output ${name} carries a secret value`));
    }
    if (value && /\blist[A-Z]\w*\(/.test(value.text)) {
      problems.push(problemAt(file, output, 'outputs', `output ${name} calls a list*() function`));
    }
  }
  return problems;
}

/**
 * Every param has a type and a `@description('Required. …' | 'Optional. …')` (Azure Verified Modules style), and
 * says Optional exactly when it has a default or a nullable type.
 */
export function checkParams(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  for (const param of topLevel(file, 'parameter_declaration')) {
    const name = declaredName(param);
    const parts = named(param);
    const typeNode = parts[1];
    if (!typeNode || !['type', 'nullable_type', 'array_type', 'object', 'union_type', 'resource_type'].includes(typeNode.type)) {
      problems.push(problemAt(file, param, 'params', `param ${name} has no type`));
    }
    const description = decoratorsOf(param).find((d) => d.name === 'description');
    const text = description ? stringLiteral(description.args[0]) : undefined;
    if (!text || !text.trim()) {
      problems.push(problemAt(file, param, 'params', `param ${name} has no @description`));
      continue;
    }
    const hasDefault = parts.length > 2;
    const nullable = typeNode?.type === 'nullable_type' || typeNode?.text.endsWith('?') === true;
    const optional = hasDefault || nullable;
    if (!/^(Required|Optional)\. /.test(text)) {
      problems.push(problemAt(file, param, 'params', `param ${name}: description must start with "Required. " or "Optional. "`));
    } else if (optional !== text.startsWith('Optional. ')) {
      problems.push(
        problemAt(file, param, 'params', `param ${name}: description says ${text.split('.')[0]} but it ${optional ? 'has' : 'has no'} default`),
      );
    }
  }
  return problems;
}

/** String value of `expr` when it is a literal or a var holding one (`var roleId = '…'`). */
function resolveStrings(file: BicepFile, expr: Node): string[] {
  const values: string[] = [];
  for (const node of walk(expr)) {
    if (node.type === 'string') {
      const s = stringLiteral(node);
      if (s !== undefined) values.push(s);
    } else if (node.type === 'identifier') {
      const v = variableValue(file, node.text);
      const s = stringLiteral(v);
      if (s !== undefined) values.push(s);
    }
  }
  return values;
}

/**
 * Role assignments: the name is a deterministic guid() of deploy-time values (a runtime value such as
 * `.properties.principalId` there is BCP120), the role is a built-in one from the reference, and principalType is
 * set (a principal created in the same deployment may not have replicated yet).
 */
export function checkRoleAssignments(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  const roles = builtInRoleIds();
  for (const r of resources(file)) {
    if (r.type.toLowerCase() !== 'microsoft.authorization/roleassignments' || r.existing) continue;
    const name = prop(r.body, 'name');
    const fn = name?.type === 'call_expression' ? (name.childForFieldName('function') ?? named(name)[0]) : undefined;
    if (!name || fn?.text !== 'guid') {
      problems.push(problemAt(file, name ?? r.node, 'role-assignment', `${r.symbol}: name must be guid(...) for a deterministic name`));
    } else if (/\.properties\./.test(name.text)) {
      problems.push(problemAt(file, name, 'role-assignment', `${r.symbol}: guid() reads a runtime property (BCP120)`));
    }
    const roleDefinition = dig(r.body, 'properties', 'roleDefinitionId');
    const guids = roleDefinition ? resolveStrings(file, roleDefinition).flatMap((s) => s.match(GUID) ?? []) : [];
    if (guids.length === 0) {
      problems.push(problemAt(file, roleDefinition ?? r.node, 'role-assignment', `${r.symbol}: roleDefinitionId names no role GUID`));
    }
    for (const g of guids) {
      if (!roles.has(g.toLowerCase())) {
        problems.push(problemAt(file, roleDefinition ?? r.node, 'role-assignment', `${r.symbol}: ${g} is not a built-in role in resource-types.json`));
      }
    }
    if (!dig(r.body, 'properties', 'principalType')) {
      problems.push(problemAt(file, r.node, 'role-assignment', `${r.symbol}: set properties.principalType`));
    }
  }
  return problems;
}

/**
 * Resource and module names are deploy-time constants: a name read from another resource's runtime state
 * (`x.properties.…`, `m.outputs.…`, `reference(…)`) is BCP120, an error. Params and `guid()` of ids are fine.
 */
export function checkDeployTimeNames(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  const decls = [
    ...resources(file).map((r) => ({ symbol: r.symbol, body: r.body })),
    ...topLevel(file, 'module_declaration').map((m) => ({ symbol: declaredName(m), body: objectsAt(named(m).at(-1), [])[0] })),
  ];
  for (const { symbol, body } of decls) {
    const name = prop(body, 'name');
    if (name && /\.(properties|outputs)\.|\breference\(/.test(name.text)) {
      problems.push(problemAt(file, name, 'deploy-time', `${symbol}: name reads a runtime value (BCP120): ${name.text}`));
    }
  }
  return problems;
}

/** Files using Microsoft.Graph resources declare the extension whose alias bicepconfig.json maps to the GA package. */
export function checkGraphExtension(file: BicepFile, bicepconfigText: string): Problem[] {
  const problems: Problem[] = [];
  const graph = resources(file).filter((r) => r.type.startsWith('Microsoft.Graph/'));
  if (graph.length === 0) return problems;
  const alias = /^extension\s+([A-Za-z_]\w*)\s*$/m.exec(file.source)?.[1];
  const expected = azureReference().graphExtension;
  if (!alias) {
    problems.push(problemAt(file, graph[0]!.node, 'graph', `Microsoft.Graph resources need "${expected.declarationInBicepFile}"`));
    return problems;
  }
  let config: { extensions?: Record<string, string> } = {};
  try {
    // bicepconfig.json allows // comments.
    config = JSON.parse(bicepconfigText.replace(/^\s*\/\/.*$/gm, ''));
  } catch (error) {
    problems.push(problemAt(file, 1, 'graph', `bicepconfig.json is not JSON: ${(error as Error).message}`));
  }
  if (config.extensions?.[alias] !== expected.typesPackage.registryReference) {
    problems.push(
      problemAt(file, 1, 'graph', `bicepconfig.json must map extension ${alias} to ${expected.typesPackage.registryReference}`),
    );
  }
  return problems;
}

/**
 * Graph permission ids in `requiredResourceAccess`: every `id: '<guid>' // <Permission>` names a delegated Graph
 * permission and the GUID is that permission's (graphDelegatedPermissionIds, from Microsoft's generated table).
 */
export function checkGraphPermissionIds(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  const lines = file.source.split('\n');
  lines.forEach((line, i) => {
    const m = /\bid:\s*'([0-9a-fA-F-]{36})'(?:\s*\/\/\s*(\S+))?/.exec(line);
    if (!m) return;
    const [, id, permission] = m;
    if (!permission) {
      problems.push(problemAt(file, i + 1, 'graph-permission', `permission id ${id} has no // <Permission name> comment`));
      return;
    }
    const expected = graphDelegatedPermissionIds[permission];
    if (!expected) {
      problems.push(problemAt(file, i + 1, 'graph-permission', `${permission} is not a verified delegated Graph permission`));
    } else if (expected.toLowerCase() !== id!.toLowerCase()) {
      problems.push(problemAt(file, i + 1, 'graph-permission', `${permission} is ${expected}, not ${id}`));
    }
  });
  return problems;
}

/** Permission names (from the `// Name` comments) under each key of `var featurePermissions` and `basePermissions`. */
export function declaredFeaturePermissions(file: BicepFile): Record<string, string[]> {
  const byFeature: Record<string, string[]> = {};
  const namesIn = (node: Node | undefined) => {
    if (!node) return [];
    const lines = file.source.split('\n').slice(node.startPosition.row, node.endPosition.row + 1);
    return lines.map((l) => /\bid:\s*'[0-9a-fA-F-]{36}'\s*\/\/\s*(\S+)/.exec(l)?.[1]).filter((n): n is string => !!n);
  };
  byFeature.base = namesIn(variableValue(file, 'basePermissions'));
  for (const p of properties(variableValue(file, 'featurePermissions'))) byFeature[propertyKey(p)] = namesIn(named(p).at(-1));
  return byFeature;
}

/** `var <name> = [ '…' ]` in storage.bicep compared with the names the app expects. */
export function checkDeclaredNames(file: BicepFile, variable: string, expected: readonly string[], what: string): Problem[] {
  const value = variableValue(file, variable);
  if (!value) return [problemAt(file, 1, 'declared-names', `no var ${variable} declaring the ${what}`)];
  const declared = stringArray(value);
  const problems: Problem[] = [];
  for (const name of expected) {
    if (!declared.includes(name)) problems.push(problemAt(file, value, 'declared-names', `${what}: ${name} is not declared`));
  }
  for (const name of declared) {
    if (!expected.includes(name)) problems.push(problemAt(file, value, 'declared-names', `${what}: ${name} is declared but the app does not use it`));
  }
  const duplicates = declared.filter((n, i) => declared.indexOf(n) !== i);
  for (const d of duplicates) problems.push(problemAt(file, value, 'declared-names', `${what}: ${d} is declared twice`));
  return problems;
}

/** Params a module file declares: name → required (no default, not nullable). */
export function moduleParams(file: BicepFile): Map<string, boolean> {
  const map = new Map<string, boolean>();
  for (const param of topLevel(file, 'parameter_declaration')) {
    const parts = named(param);
    map.set(declaredName(param), parts.length <= 2 && parts[1]?.type !== 'nullable_type');
  }
  return map;
}

/** `module x 'path' = { params: {...} }`: every passed param exists in the module, every required one is passed. */
export function checkModuleParams(file: BicepFile, resolveModule: (relPath: string) => BicepFile | undefined): Problem[] {
  const problems: Problem[] = [];
  for (const mod of topLevel(file, 'module_declaration')) {
    const parts = named(mod);
    const relPath = stringLiteral(parts[1]) ?? '';
    const target = resolveModule(relPath);
    if (!target) {
      problems.push(problemAt(file, mod, 'module-params', `module ${declaredName(mod)}: ${relPath} not found`));
      continue;
    }
    const declared = moduleParams(target);
    const body = parts.at(-1)?.type === 'if_statement' ? named(parts.at(-1)!).find((c) => c.type === 'object') : parts.at(-1);
    const passed = properties(prop(body, 'params')).map(propertyKey);
    for (const p of passed) {
      if (!declared.has(p)) problems.push(problemAt(file, mod, 'module-params', `module ${declaredName(mod)}: ${relPath} has no param ${p}`));
    }
    for (const [p, required] of declared) {
      if (required && !passed.includes(p)) {
        problems.push(problemAt(file, mod, 'module-params', `module ${declaredName(mod)}: required param ${p} of ${relPath} is not passed`));
      }
    }
  }
  return problems;
}

/** Keys of every object literal in the `var`s whose names end in `Settings` (appSettings.bicep). */
export function declaredAppSettings(file: BicepFile): Map<string, Node> {
  const settings = new Map<string, Node>();
  for (const v of topLevel(file, 'variable_declaration')) {
    if (!/Settings$/.test(declaredName(v))) continue;
    for (const obj of named(v).at(-1)?.descendantsOfType('object') ?? []) {
      for (const p of properties(obj)) settings.set(propertyKey(p), named(p).at(-1)!);
    }
  }
  return settings;
}

/**
 * Flex Consumption accepts `maximumInstanceCount` from 40 to 1000 ("The lowest maximum instance count is 40",
 * Microsoft Learn, "Azure Functions Flex Consumption plan hosting", Considerations). A param feeding it must not
 * admit less (@minValue ≥ 40, @maxValue ≤ 1000), and a literal value must be in range: Bicep cannot know this
 * rule, so only a real deployment would refuse it.
 */
export function checkFlexInstanceCount(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  for (const param of topLevel(file, 'parameter_declaration')) {
    if (declaredName(param) !== 'maximumInstanceCount') continue;
    const decorators = decoratorsOf(param);
    const min = literal(decorators.find((d) => d.name === 'minValue')?.args[0]);
    const max = literal(decorators.find((d) => d.name === 'maxValue')?.args[0]);
    if (typeof min !== 'number' || min < 40) {
      problems.push(problemAt(file, param, 'flex', `param maximumInstanceCount needs @minValue(40) or more: Flex Consumption's lowest maximum is 40 (found ${min ?? 'none'})`));
    }
    if (typeof max !== 'number' || max > 1000) {
      problems.push(problemAt(file, param, 'flex', `param maximumInstanceCount needs @maxValue(1000) or less (found ${max ?? 'none'})`));
    }
  }
  for (const node of walk(file.root)) {
    if (node.type !== 'object_property' || propertyKey(node) !== 'maximumInstanceCount') continue;
    const value = literal(named(node).at(-1));
    if (typeof value === 'number' && (value < 40 || value > 1000)) {
      problems.push(problemAt(file, node, 'flex', `maximumInstanceCount ${value} is outside Flex Consumption's 40-1000`));
    }
  }
  return problems;
}

/**
 * A subnet the Function App integrates with (delegated to Microsoft.App/environments) carries every outbound call
 * of the app. From Microsoft.Network 2025-07-01 subnets are private by default (defaultOutboundAccess false), so it
 * needs explicit egress: `defaultOutboundAccess` not literally false, or a `natGateway`.
 */
export function checkSubnetEgress(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  for (const r of resources(file)) {
    if (r.type.toLowerCase() !== 'microsoft.network/virtualnetworks' || r.existing) continue;
    for (const subnet of objectsAt(r.body, ['properties', 'subnets'])) {
      const props = prop(subnet, 'properties');
      const delegated = objectsAt(props, ['delegations', 'properties']).some((d) => stringLiteral(prop(d, 'serviceName')) === 'Microsoft.App/environments');
      if (!delegated) continue;
      const access = prop(props, 'defaultOutboundAccess');
      const hasNat = Boolean(prop(props, 'natGateway'));
      if (!hasNat && (!access || literal(access) === false)) {
        problems.push(
          problemAt(file, subnet, 'egress', `${r.symbol}: subnet ${stringLiteral(prop(subnet, 'name')) ?? prop(subnet, 'name')?.text ?? '?'} hosts the Function App's VNet integration but has no explicit egress (defaultOutboundAccess or natGateway): subnets are private by default from 2025-07-01, so Graph, Jira and Entra would be unreachable`),
        );
      }
    }
  }
  return problems;
}

/**
 * Host names of one cloud written into a template break every other (sovereign) cloud: storage and Key Vault
 * endpoints come from `environment().suffixes` or the resource's own properties. Descriptions and comments may
 * show an example.
 */
export function checkNoCloudSpecificHosts(file: BicepFile): Problem[] {
  const problems: Problem[] = [];
  for (const node of walk(file.root)) {
    if (node.type !== 'string') continue;
    let ancestor = node.parent;
    let inDecorator = false;
    while (ancestor) {
      if (ancestor.type === 'decorators' || ancestor.type === 'decorator') inDecorator = true;
      ancestor = ancestor.parent;
    }
    if (inDecorator) continue;
    const m = /\.(?:blob|queue|table|file)\.core\.windows\.net|\.vault\.azure\.net|\.core\.windows\.net/i.exec(node.text);
    if (m) problems.push(problemAt(file, node, 'cloud', `${m[0]} is the public cloud's host name: build it from environment().suffixes`));
  }
  return problems;
}

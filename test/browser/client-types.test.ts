/**
 * The typed client (client/openapi.json and client/api-types.ts, written by
 * scripts/generate-client-types.ts) must type every body a client sends or reads:
 * no `unknown`, no empty `{}` / `Record<string, never>`, no response documented
 * without a body while the route answers with one.
 *
 *   npm run build && npx ts-node --transpile-only scripts/generate-client-types.ts
 *   npx jest -c test/browser/jest.config.js client-types
 *
 * Each finding names the operation, the status code and where in the schema the
 * type is lost, e.g. `GET /health/live 200 application/json: no type (only example)`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import {
  API_TYPES,
  fetchOpenApiDocument,
  OPENAPI_JSON,
  OPENAPI_TYPESCRIPT,
} from '../../scripts/generate-client-types';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
/** Statuses that have no body by definition. */
const BODYLESS = new Set(['204', '304']);
/** Operations that legitimately document no error answer. */
const NO_ERRORS_EXPECTED = new Set(['GET /health/live']);

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  example?: unknown;
};
type MediaTypes = Record<string, { schema?: Schema }>;
type Operation = {
  operationId?: string;
  requestBody?: { content?: MediaTypes; $ref?: string };
  responses?: Record<string, { content?: MediaTypes; $ref?: string }>;
};
type OpenApiDocument = {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components?: { schemas?: Record<string, Schema> };
};

const GENERATE = 'npx ts-node --transpile-only scripts/generate-client-types.ts';

function readGenerated(file: string): string {
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run build && ${GENERATE}\` first.`);
  }
  return readFileSync(file, 'utf8');
}

function operationsOf(document: OpenApiDocument): { name: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([route, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({
      name: `${method.toUpperCase()} ${route}`,
      operation: item[method]!,
    })),
  );
}

// ------------------------------------------------------------- the document

/**
 * Where `schema` loses its type, as a list of "<where>: <why>". A body must be an object
 * with properties (or an array of such), reached through $ref/allOf/oneOf/anyOf; inside
 * it, every property needs a type, an enum or a $ref.
 */
function untypedInSchema(
  document: OpenApiDocument,
  schema: Schema | undefined,
  where: string,
  topLevel: boolean,
  seen: Set<string> = new Set(),
): string[] {
  if (!schema) return [`${where}: no schema`];
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = document.components?.schemas?.[name];
    if (!target) return [`${where}: $ref ${schema.$ref} resolves to nothing`];
    if (seen.has(name)) return [];
    return untypedInSchema(document, target, `${where}`, topLevel, new Set([...seen, name]));
  }
  if (schema.allOf) {
    const problems = schema.allOf.flatMap((part, i) =>
      untypedInSchema(document, part, `${where}.allOf[${i}]`, false, seen),
    );
    if (topLevel && propertyNames(document, schema).length === 0) {
      problems.push(`${where}: allOf resolves to no properties`);
    }
    return problems;
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    const branches = schema[key];
    if (branches) {
      return branches.flatMap((branch, i) =>
        untypedInSchema(document, branch, `${where}.${key}[${i}]`, topLevel, seen),
      );
    }
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.includes('array')) {
    return untypedInSchema(document, schema.items, `${where}[]`, topLevel, seen);
  }
  if (types.includes('object') || schema.properties || schema.additionalProperties) {
    const properties = Object.entries(schema.properties ?? {});
    const problems = properties.flatMap(([name, property]) =>
      untypedInSchema(document, property, `${where}.${name}`, false, seen),
    );
    if (typeof schema.additionalProperties === 'object') {
      problems.push(
        ...untypedInSchema(document, schema.additionalProperties, `${where}[*]`, false, seen),
      );
    } else if (properties.length === 0) {
      problems.push(
        `${where}: an object without properties (generated as {} / Record<string, never>)`,
      );
    }
    return problems;
  }
  if (types.length > 0 || schema.enum || schema.const !== undefined) {
    return topLevel ? [`${where}: a bare ${types.join('|') || 'enum'}, not an object`] : [];
  }
  const hint = 'example' in schema ? ' (only an example)' : '';
  return [`${where}: no type${hint}, generated as unknown`];
}

/** The property names an object schema ends up with, through $ref and allOf. */
function propertyNames(document: OpenApiDocument, schema: Schema, depth = 0): string[] {
  if (depth > 20) return [];
  if (schema.$ref) {
    const target = document.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')];
    return target ? propertyNames(document, target, depth + 1) : [];
  }
  return [
    ...Object.keys(schema.properties ?? {}),
    ...(schema.allOf ?? []).flatMap((part) => propertyNames(document, part, depth + 1)),
  ];
}

function isJson(mediaType: string): boolean {
  return /^application\/(.+\+)?json$/.test(mediaType);
}

function documentFindings(document: OpenApiDocument): string[] {
  const findings: string[] = [];
  for (const { name, operation } of operationsOf(document)) {
    const body = operation.requestBody;
    if (body) {
      const media = Object.entries(body.content ?? {});
      if (media.length === 0) findings.push(`${name} request body: no content`);
      for (const [type, { schema }] of media) {
        findings.push(...untypedInSchema(document, schema, `${name} request body ${type}`, true));
      }
    }
    const responses = Object.entries(operation.responses ?? {});
    for (const [status, response] of responses) {
      const media = Object.entries(response.content ?? {});
      if (media.length === 0 && !BODYLESS.has(status)) {
        findings.push(
          `${name} ${status}: documented without a body (generated as content?: never)`,
        );
      }
      for (const [type, { schema }] of media) {
        // A JSON body must be an object; an image or Prometheus' text is rightly a string.
        findings.push(
          ...untypedInSchema(document, schema, `${name} ${status} ${type}`, isJson(type)),
        );
      }
    }
    const documentsErrors = responses.some(([status]) => /^[45]/.test(status));
    if (!documentsErrors && !NO_ERRORS_EXPECTED.has(name)) {
      findings.push(`${name}: no 4xx/5xx answer documented (its errors are untyped)`);
    }
  }
  return findings;
}

// ------------------------------------------------------ the generated types

/** Members of a type literal by (unquoted) name. */
function membersOf(node: ts.TypeNode | undefined): Map<string, ts.PropertySignature> {
  const members = new Map<string, ts.PropertySignature>();
  if (node && ts.isTypeLiteralNode(node)) {
    for (const member of node.members) {
      if (ts.isPropertySignature(member) && member.name) {
        const name = ts.isIdentifier(member.name) ? member.name.text : member.name.getText();
        members.set(name.replace(/^["']|["']$/g, ''), member);
      }
    }
  }
  return members;
}

function interfaceMembers(file: ts.SourceFile, name: string): Map<string, ts.PropertySignature> {
  for (const statement of file.statements) {
    if (ts.isInterfaceDeclaration(statement) && statement.name.text === name) {
      const literal = ts.factory.createTypeLiteralNode(statement.members);
      return membersOf(literal);
    }
  }
  throw new Error(
    `client/api-types.ts has no \`interface ${name}\`: not openapi-typescript 7 output?`,
  );
}

/** Where a type loses its meaning: `unknown`, `{}`, `Record<string, never>`, `never`. */
function untypedInType(
  node: ts.TypeNode | undefined,
  where: string,
  schemas: Map<string, ts.PropertySignature>,
  seen: Set<string> = new Set(),
): string[] {
  if (!node) return [`${where}: no type`];
  switch (node.kind) {
    case ts.SyntaxKind.UnknownKeyword:
      return [`${where}: unknown`];
    case ts.SyntaxKind.AnyKeyword:
      return [`${where}: any`];
    case ts.SyntaxKind.NeverKeyword:
      return [`${where}: never`];
  }
  if (ts.isParenthesizedTypeNode(node)) return untypedInType(node.type, where, schemas, seen);
  if (ts.isArrayTypeNode(node)) return untypedInType(node.elementType, `${where}[]`, schemas, seen);
  if (ts.isUnionTypeNode(node) || ts.isIntersectionTypeNode(node)) {
    // `T | null` is fine; a branch that is itself untyped is not.
    return node.types
      .filter(
        (part) => !(ts.isLiteralTypeNode(part) && part.literal.kind === ts.SyntaxKind.NullKeyword),
      )
      .flatMap((part) => untypedInType(part, where, schemas, seen));
  }
  if (ts.isTypeReferenceNode(node) && node.typeName.getText() === 'Record') {
    const [, value] = node.typeArguments ?? [];
    if (value?.kind === ts.SyntaxKind.NeverKeyword)
      return [`${where}: Record<string, never> (empty)`];
    return untypedInType(value, `${where}[*]`, schemas, seen);
  }
  if (ts.isIndexedAccessTypeNode(node)) {
    // components["schemas"]["Name"]
    const match = /^components\["schemas"\]\["([^"]+)"\]$/.exec(node.getText().replace(/\s/g, ''));
    if (!match) return [];
    const name = match[1];
    if (seen.has(name)) return [];
    const schema = schemas.get(name);
    if (!schema) return [`${where}: components["schemas"]["${name}"] is missing`];
    return untypedInType(schema.type, `${where} (${name})`, schemas, new Set([...seen, name]));
  }
  if (ts.isTypeLiteralNode(node)) {
    if (node.members.length === 0) return [`${where}: {} (empty)`];
    return node.members.flatMap((member) => {
      if (ts.isIndexSignatureDeclaration(member)) {
        return untypedInType(member.type, `${where}[*]`, schemas, seen);
      }
      if (ts.isPropertySignature(member)) {
        return untypedInType(member.type, `${where}.${member.name.getText()}`, schemas, seen);
      }
      return [];
    });
  }
  return []; // keywords (string, number, boolean), literals, enums of literals
}

function generatedFindings(
  source: string,
  document: OpenApiDocument,
): { findings: string[]; operations: number } {
  const file = ts.createSourceFile('api-types.ts', source, ts.ScriptTarget.Latest, true);
  const schemas = membersOf(interfaceMembers(file, 'components').get('schemas')?.type);
  const operations = interfaceMembers(file, 'operations');
  const names = new Map(
    operationsOf(document).map(({ name, operation }) => [operation.operationId ?? name, name]),
  );
  const findings: string[] = [];
  for (const [id, operation] of operations) {
    const name = names.get(id) ?? id;
    const parts = membersOf(operation.type);

    const requestBody = parts.get('requestBody');
    if (requestBody && requestBody.type?.kind !== ts.SyntaxKind.NeverKeyword) {
      const content = membersOf(requestBody.type).get('content');
      for (const [type, media] of membersOf(content?.type)) {
        findings.push(...untypedInType(media.type, `${name} request body ${type}`, schemas));
      }
    }

    for (const [status, response] of membersOf(parts.get('responses')?.type)) {
      const content = membersOf(response.type).get('content');
      if (!content || content.type?.kind === ts.SyntaxKind.NeverKeyword) {
        if (!BODYLESS.has(status))
          findings.push(`${name} ${status}: content?: never (no body type)`);
        continue;
      }
      for (const [type, media] of membersOf(content.type)) {
        findings.push(...untypedInType(media.type, `${name} ${status} ${type}`, schemas));
      }
    }
  }
  return { findings, operations: operations.size };
}

// -------------------------------------------------------------------- tests

describe('typed client (client/openapi.json, client/api-types.ts)', () => {
  it('client/openapi.json: every request body and response body has a schema with properties', () => {
    const document = JSON.parse(readGenerated(OPENAPI_JSON)) as OpenApiDocument;
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(0);
    expect(documentFindings(document)).toEqual([]);
  });

  it('client/api-types.ts: no unknown / {} / Record<string, never> in request or response bodies', () => {
    const document = JSON.parse(readGenerated(OPENAPI_JSON)) as OpenApiDocument;
    const { findings, operations } = generatedFindings(readGenerated(API_TYPES), document);
    expect(operations).toBe(operationsOf(document).length);
    expect(findings).toEqual([]);
  });

  it('client/ matches the built app (regenerate after changing a DTO or decorator)', async () => {
    const live = await fetchOpenApiDocument();
    const onDisk = JSON.parse(readGenerated(OPENAPI_JSON)) as unknown;
    if (JSON.stringify(live) !== JSON.stringify(onDisk)) {
      throw new Error(
        `client/openapi.json differs from the built app's /docs-json: run \`${GENERATE}\``,
      );
    }
    // And api-types.ts is openapi-typescript's output for that document.
    const dir = mkdtempSync(path.join(tmpdir(), 'wxlogin-client-types-'));
    try {
      const fresh = path.join(dir, 'api-types.ts');
      const result = spawnSync(OPENAPI_TYPESCRIPT, [OPENAPI_JSON, '-o', fresh], {
        encoding: 'utf8',
      });
      expect(result.status).toBe(0);
      if (readFileSync(fresh, 'utf8') !== readGenerated(API_TYPES)) {
        throw new Error(
          `client/api-types.ts is not openapi-typescript's output for client/openapi.json: run \`${GENERATE}\``,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

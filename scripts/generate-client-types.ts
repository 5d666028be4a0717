/**
 * Generates the typed client of the API from the built app's OpenAPI document:
 *   client/openapi.json   the document served at /docs-json
 *   client/api-types.ts   openapi-typescript's types for it (`paths`, `components`, `operations`)
 *
 * Starts dist/main.js the way test/browser does (simulator on, so the /__wechat-sim
 * routes are in the document too), fetches /docs-json, stops the app, then runs
 * `npx openapi-typescript client/openapi.json -o client/api-types.ts` (its local bin).
 *
 *   npm run build && npx ts-node --transpile-only scripts/generate-client-types.ts
 *
 * Then check the result: npx jest -c test/browser/jest.config.js client-types
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { launchApp, REPO_ROOT } from '../test/helpers/app-process';
import { httpCall } from '../test/helpers/http-client';

export const CLIENT_DIR = path.join(REPO_ROOT, 'client');
export const OPENAPI_JSON = path.join(CLIENT_DIR, 'openapi.json');
export const API_TYPES = path.join(CLIENT_DIR, 'api-types.ts');
export const OPENAPI_TYPESCRIPT = path.join(REPO_ROOT, 'node_modules/.bin/openapi-typescript');

/** The OpenAPI document of the built app, as /docs-json serves it. */
export async function fetchOpenApiDocument(): Promise<Record<string, unknown>> {
  const app = await launchApp();
  try {
    const answer = await httpCall('GET', `${app.url}/docs-json`);
    if (answer.status !== 200) {
      throw new Error(`GET /docs-json answered ${answer.status}: ${answer.text.slice(0, 500)}`);
    }
    return JSON.parse(answer.text) as Record<string, unknown>;
  } finally {
    await app.stop();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const document = await fetchOpenApiDocument();
  mkdirSync(CLIENT_DIR, { recursive: true });
  writeFileSync(OPENAPI_JSON, JSON.stringify(document, null, 2) + '\n');
  process.stdout.write(`wrote ${path.relative(REPO_ROOT, OPENAPI_JSON)}\n`);

  // `npx openapi-typescript …`, minus npx's own start-up (about 8 s here): the same local bin.
  const result = spawnSync(
    OPENAPI_TYPESCRIPT,
    ['client/openapi.json', '-o', 'client/api-types.ts'],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) {
    throw new Error(
      `openapi-typescript failed (exit ${result.status}${result.error ? `, ${String(result.error)}` : ''})`,
    );
  }
  process.stdout.write(
    `wrote ${path.relative(REPO_ROOT, API_TYPES)} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `generate-client-types: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}

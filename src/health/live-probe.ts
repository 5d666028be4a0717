import { readEnvironment } from '../config/environment';
import { loadConfig } from '../config/load-config';

/**
 * The container's HEALTHCHECK (deploy/Dockerfile): `node dist/health/live-probe.js`
 * exits 0 when GET /health/live answers 2xx, 1 otherwise. It finds the app
 * where the app itself listens, through the same configuration, so a PORT or
 * HOST kept only in `.env` is honoured too.
 */
const { app, server } = loadConfig(readEnvironment()).config;
const host = ['0.0.0.0', '::'].includes(server.host) ? '127.0.0.1' : server.host;
const url = new URL(`http://${host.includes(':') ? `[${host}]` : host}:${app.port}/health/live`);

fetch(url, { signal: AbortSignal.timeout(2000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);

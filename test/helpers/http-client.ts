import * as http from 'node:http';
import { AddressInfo, createServer } from 'node:net';

/**
 * The one small HTTP client of the tests and tools (e2e tests against app
 * processes, the browser and mini-program checks, the benchmarks, the scripts).
 * supertest stays where an e2e test drives an in-process app.
 */

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as UTF-8 text. */
  text: string;
  /** The body parsed as JSON; the text when it is not JSON; undefined when empty. */
  body: unknown;
}

export interface HttpCallOptions {
  /** Sent as JSON with Content-Type: application/json. */
  json?: unknown;
  /** Sent as is (set the Content-Type yourself); ignored when `json` is given. */
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Default 10 s: then the call fails with an error naming the request. */
  timeoutMs?: number;
  /** Default: no agent (no keep-alive), so no socket outlives the call. */
  agent?: http.Agent | false;
}

export function httpCall(
  method: string,
  url: string,
  options: HttpCallOptions = {},
): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const payload =
    options.json !== undefined
      ? Buffer.from(JSON.stringify(options.json))
      : options.body === undefined
        ? undefined
        : Buffer.from(options.body);
  const headers: Record<string, string> = {
    ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(payload ? { 'content-length': String(payload.length) } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent: options.agent ?? false, timeout: timeoutMs, headers },
      (res) => {
        void readResponse(res).then(
          (answer) => resolve({ ...answer, body: parse(answer.text) }),
          reject,
        );
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A response's status, headers and whole body as UTF-8 text. */
export function readResponse(res: http.IncomingMessage): Promise<Omit<HttpAnswer, 'body'>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', reject);
    res.on('end', () =>
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: Buffer.concat(chunks).toString('utf8'),
      }),
    );
  });
}

function parse(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A TCP port free on 127.0.0.1 right now (for a process that must be told its port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

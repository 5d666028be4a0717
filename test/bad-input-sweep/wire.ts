/**
 * The bad-input sweep's wire: a raw HTTP client, so bodies and headers go out
 * exactly as built (already-encoded paths, repeated headers, chunked bodies)
 * where the test kit's httpCall would normalise them.
 */
import * as http from 'node:http';
import { readResponse } from '../helpers/http-client';

// ---------------------------------------------------------------------------
// The wire: a raw HTTP client, so bodies and headers go out exactly as built.
// ---------------------------------------------------------------------------

export interface Req {
  method: string;
  /** Path and query string, already encoded as sent. */
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
  /** What the generator meant to send, for the failure report. */
  label: string;
}

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json?: unknown;
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
let sent = 0;

/** Requests sent so far by send(). */
export function requestsSent(): number {
  return sent;
}

export function sendOnce(base: URL, r: Req, viaAgent: http.Agent | false): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers = { ...r.headers };
    if (r.body !== undefined && !r.chunked) headers['content-length'] = String(r.body.length);
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: r.method,
        path: r.path,
        headers,
        agent: viaAgent,
      },
      (res) => {
        void readResponse(res).then((answer) => {
          let json: unknown;
          try {
            json = answer.text === '' ? undefined : JSON.parse(answer.text);
          } catch {
            json = undefined;
          }
          resolve({ ...answer, json });
        }, reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed meanwhile: Node's documented retry case.
      if (req.reusedSocket && error.code === 'ECONNRESET' && viaAgent) {
        sendOnce(base, r, false).then(resolve, reject);
      } else {
        reject(error);
      }
    });
    if (r.body !== undefined) req.end(r.body);
    else req.end();
  });
}

export async function send(base: URL, r: Req): Promise<Res> {
  sent++;
  return sendOnce(base, r, agent);
}

/** What every answer of the bad-input sweep must look like, and how a failing request is printed. */
import { createHash } from 'node:crypto';
import { Req, Res } from './wire';

// ---------------------------------------------------------------------------
// What every answer must look like.
// ---------------------------------------------------------------------------

export const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
/** Stack frames ("\n    at fn (file:1:2)"), library paths, TypeScript sources. */
export const LEAK = /(?:^|\n|\\n)\s*at \S|\bat [\w.$<>[\] ]+ \(.*:\d+:\d+\)|node_modules|\.ts:\d/;

export const LEGACY_PATH = /^\/getphonenumber\/?(?:\?|$)/i;
/** Every error on the compatibility path keeps the original sample's envelope, whatever the method. */
export const isLegacy = (r: Req) => LEGACY_PATH.test(r.path);
export const isHealth = (r: Req) => /^\/health\//.test(r.path);

export function problemsWith(
  r: Req,
  res: Res,
  expect?: { status?: number; code?: string },
): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status} (must be < 500)`);
  if (LEAK.test(res.text))
    problems.push('the body looks like it carries a stack trace or source path');
  if (res.status < 400 && !isHealth(r)) {
    problems.push(`status ${res.status}: a malformed request was accepted`);
  }
  if (res.status >= 400 && res.status < 600) {
    const body = res.json as Record<string, unknown> | undefined;
    if (!String(res.headers['content-type'] ?? '').startsWith('application/json') || !body) {
      problems.push(
        `a ${res.status} without a JSON body (content-type ${String(res.headers['content-type'])})`,
      );
    } else if (isLegacy(r)) {
      const data = body.data as Record<string, unknown> | undefined;
      if (typeof data !== 'object' || data === null) {
        problems.push(
          'compatibility route error without the { data: { code, msg, errorCode } } envelope',
        );
      } else {
        if (data.code !== res.status)
          problems.push(`data.code ${String(data.code)} != HTTP ${res.status}`);
        if (typeof data.msg !== 'string') problems.push('data.msg is not a string');
        if (typeof data.errorCode !== 'string' || !UPPER_SNAKE.test(data.errorCode)) {
          problems.push(`data.errorCode ${JSON.stringify(data.errorCode)} is not UPPER_SNAKE`);
        }
      }
    } else {
      if (body.statusCode !== res.status) {
        problems.push(`statusCode ${String(body.statusCode)} != HTTP ${res.status}`);
      }
      if (typeof body.error !== 'string') problems.push('error is not a string');
      if (typeof body.code !== 'string' || !UPPER_SNAKE.test(body.code)) {
        problems.push(`code ${JSON.stringify(body.code)} is not UPPER_SNAKE`);
      }
      if (typeof body.message !== 'string') problems.push('message is not a string');
      if (typeof body.requestId !== 'string') problems.push('requestId is not a string');
    }
  }
  if (expect?.status !== undefined && res.status !== expect.status) {
    problems.push(`status ${res.status}, expected ${expect.status}`);
  }
  if (expect?.code !== undefined) {
    const body = res.json as { code?: unknown; data?: { errorCode?: unknown } } | undefined;
    const code = isLegacy(r) ? body?.data?.errorCode : body?.code;
    if (code !== expect.code) problems.push(`code ${String(code)}, expected ${expect.code}`);
  }
  return problems;
}

export function preview(buffer: Buffer): string {
  const text = buffer.toString('utf8');
  if (buffer.length <= 400) return JSON.stringify(text);
  const digest = createHash('sha256').update(buffer).digest('hex').slice(0, 12);
  return `${JSON.stringify(text.slice(0, 240))} … ${JSON.stringify(text.slice(-60))} (${buffer.length} bytes, sha256 ${digest}…)`;
}

export function describeReq(r: Req): string {
  const lines = [
    `${r.method} ${r.path.length > 300 ? r.path.slice(0, 300) + '…' : r.path}  [${r.label}]`,
  ];
  for (const [name, value] of Object.entries(r.headers)) {
    const shown = String(value);
    lines.push(
      `  ${name}: ${shown.length > 200 ? shown.slice(0, 200) + `… (${shown.length} chars)` : shown}`,
    );
  }
  if (r.body !== undefined)
    lines.push(`  body${r.chunked ? ' (chunked)' : ''}: ${preview(r.body)}`);
  return lines.join('\n');
}

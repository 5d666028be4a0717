import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../app-error';
import { ErrorCode } from '../error-codes';

/** Errors body-parser raises before a route runs, keyed by its `type`. */
const BODY_PARSER_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  'entity.parse.failed': { code: 'INVALID_JSON', message: 'The body is not valid JSON' },
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE', message: 'The body is over 16 KiB' },
  'encoding.unsupported': {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Unsupported content encoding',
  },
  'charset.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported charset' },
};

/**
 * Placed right after the JSON parser: turns its errors into the contract's
 * codes before Nest would flatten them into a bare 400 carrying the parser's
 * own message.
 */
export function bodyParserErrors(
  err: unknown,
  _req: Request,
  _res: Response,
  next: NextFunction,
): void {
  const type =
    typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
  const known = typeof type === 'string' ? BODY_PARSER_ERRORS[type] : undefined;
  if (err instanceof AppError) return next(err);
  if (known) return next(new AppError(known.code, known.message));
  const status =
    typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
  // Any other body-parser failure (a truncated or corrupt body, a broken
  // gzip stream…) is the client's: answer it as such, never as a 500.
  if (typeof type === 'string' || (typeof status === 'number' && status >= 400 && status < 500)) {
    return next(new AppError('REQUEST_REJECTED', 'The request body could not be read'));
  }
  next(err);
}

/** Deeper than any body of this API; deep enough nesting overflows the validator's stack. */
export const MAX_BODY_DEPTH = 16;
/** Keys that could reach Object.prototype; the validator drops them silently, we refuse them. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * After the JSON parser: refuses bodies nested deeper than MAX_BODY_DEPTH and
 * prototype-polluting keys with 400 VALIDATION_FAILED. Walks iteratively, so
 * the check itself cannot overflow.
 */
export function rejectHostileBodies(req: Request, _res: Response, next: NextFunction): void {
  const stack: { value: unknown; depth: number }[] = [{ value: req.body as unknown, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH) {
      return next(new AppError('VALIDATION_FAILED', 'The body is nested too deeply'));
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        return next(new AppError('VALIDATION_FAILED', `property ${key} should not exist`));
      }
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  next();
}

/**
 * The routes that take an image upload (multipart/form-data, parsed by
 * MultipartUpload with its own size limit). Paths are matched the way the
 * router matches them: any letter case, an optional trailing slash.
 */
const MULTIPART_ROUTES: readonly { method: string; path: RegExp }[] = [
  { method: 'PUT', path: /^\/users\/me\/avatar\/?$/i },
  // wx.uploadFile always POSTs.
  { method: 'POST', path: /^\/users\/me\/avatar\/?$/i },
  { method: 'POST', path: /^\/auth\/wechat\/register\/?$/i },
];

function acceptsMultipart(req: Request): boolean {
  return MULTIPART_ROUTES.some((route) => route.method === req.method && route.path.test(req.path));
}

/**
 * A request that carries a body must say it is JSON (multipart/form-data on MULTIPART_ROUTES): anything else would
 * reach the route as an empty body and fail with a misleading message.
 */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const encoding = req.header('content-encoding');
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    // Mini-programs never compress request bodies; a body we would have to
    // inflate is only a way to make the server work harder.
    return next(
      new AppError('UNSUPPORTED_MEDIA_TYPE', 'Compressed request bodies are not accepted'),
    );
  }
  const hasBody =
    req.header('transfer-encoding') !== undefined || Number(req.header('content-length') ?? 0) > 0;
  if (
    hasBody &&
    !req.is('application/json') &&
    !(acceptsMultipart(req) && req.is('multipart/form-data'))
  ) {
    return next(new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json'));
  }
  next();
}

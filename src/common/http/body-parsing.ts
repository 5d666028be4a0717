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
  if (known) return next(new AppError(known.code, known.message));
  if (typeof type === 'string')
    return next(new AppError('REQUEST_REJECTED', 'The request body could not be read'));
  next(err);
}

/**
 * A request that carries a body must say it is JSON: anything else would
 * reach the route as an empty body and fail with a misleading message.
 */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody =
    req.header('transfer-encoding') !== undefined || Number(req.header('content-length') ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    return next(new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json'));
  }
  next();
}

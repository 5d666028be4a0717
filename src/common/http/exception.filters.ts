import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorResponse, reasonPhrase, toErrorResponse } from './error-response';
import { maskPhonesIn } from '../logging/redaction';
import { requestIdOf } from './request-id';
import { noteErrorCode } from './response-error-code';

/** The original sample's route: its errors keep the envelope the sample reads. */
const LEGACY_ROUTE = /^\/getphonenumber\/?$/i;

/**
 * The one exception filter: every error becomes the documented error body
 * (README, "API"; ErrorBody in the OpenAPI document), or, on the
 * compatibility route /getPhoneNumber, the original sample's
 * `{ data: { code, msg, errorCode } }` with the same HTTP status
 * (the sample reads `res.data.data`). Decided by path, so errors raised
 * before routing (bad JSON, body too large) get the right shape too.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const error = toErrorResponse(exception);
    const requestId = requestIdOf(req);
    if (error.code === 'DATABASE_UNAVAILABLE') {
      this.logger.warn(`${req.method} ${req.path}: database unavailable (requestId ${requestId})`);
    } else if (error.unexpected) {
      this.logger.error(
        `${req.method} ${req.path} failed (requestId ${requestId})`,
        maskPhonesIn(
          exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
        ),
      );
    }
    if (res.headersSent) return;
    noteErrorCode(res, error.code);
    if (error.retryAfterSec !== undefined) {
      res.setHeader('Retry-After', String(error.retryAfterSec));
    }
    res
      .status(error.status)
      // Over a Content-Type a route set for its success (GET /metrics: text/plain).
      .type('application/json')
      .json(LEGACY_ROUTE.test(req.path) ? legacyBody(error, requestId) : body(error, requestId));
  }
}

function body(error: ErrorResponse, requestId: string): object {
  return {
    statusCode: error.status,
    error: reasonPhrase(error.status),
    code: error.code,
    message: error.message,
    requestId,
    ...error.details,
  };
}

function legacyBody(error: ErrorResponse, requestId: string): object {
  return {
    data: {
      code: error.status,
      msg: error.message,
      errorCode: error.code,
      requestId,
      ...error.details,
    },
  };
}

import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from '../database/database-unavailable';
import { AppError } from '../app-error';
import { ErrorCode } from '../error-codes';

export interface ErrorResponse {
  status: number;
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
  retryAfterSec?: number;
  /** True when the cause is ours, not the client's: log it with its stack. */
  unexpected: boolean;
}

const HTTP_STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.NOT_FOUND]: 'NOT_FOUND',
  [HttpStatus.UNAUTHORIZED]: 'UNAUTHORIZED',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'PAYLOAD_TOO_LARGE',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'UNSUPPORTED_MEDIA_TYPE',
  [HttpStatus.TOO_MANY_REQUESTS]: 'TOO_MANY_REQUESTS',
};

/**
 * Turns anything thrown while handling a request into the contract's error:
 * the one mapping used by every exception filter. Anything unrecognised is a
 * 500 whose message says nothing about the cause.
 */
export function toErrorResponse(exception: unknown): ErrorResponse {
  if (exception instanceof AppError) {
    return {
      status: exception.status,
      code: exception.code,
      message: exception.message,
      details: exception.options.details ?? {},
      retryAfterSec: exception.options.retryAfterSec,
      unexpected: false,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status < 500) {
      return {
        status,
        code: HTTP_STATUS_CODES[status] ?? 'REQUEST_REJECTED',
        // Nest's own messages can echo parser internals; ours are enough.
        message: status === 404 ? 'No such route' : reasonPhrase(status),
        details: {},
        unexpected: false,
      };
    }
  }
  if (isDatabaseUnavailable(exception)) {
    return {
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      message: 'The database is not answering; try again shortly',
      details: {},
      retryAfterSec: 5,
      unexpected: false,
    };
  }
  return {
    status: 500,
    code: 'INTERNAL_ERROR',
    message: 'Something went wrong on our side; quote the requestId if you report it',
    details: {},
    unexpected: true,
  };
}

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

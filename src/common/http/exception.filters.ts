import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorResponse, reasonPhrase, toErrorResponse } from './error-response';
import { maskPhonesIn } from '../logging/redaction';
import { requestIdOf } from './request-id';

abstract class ContractExceptionFilter implements ExceptionFilter {
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
    if (error.retryAfterSec !== undefined) {
      res.setHeader('Retry-After', String(error.retryAfterSec));
    }
    res.status(error.status).json(this.body(error, requestId));
  }

  protected abstract body(error: ErrorResponse, requestId: string): object;
}

/** The contract's error body for every route (CONTRACT §2). */
@Catch()
export class AllExceptionsFilter extends ContractExceptionFilter {
  protected body(error: ErrorResponse, requestId: string): object {
    return {
      statusCode: error.status,
      error: reasonPhrase(error.status),
      code: error.code,
      message: error.message,
      requestId,
      ...error.details,
    };
  }
}

/**
 * The original sample's envelope for /getPhoneNumber: the same HTTP status as
 * the main route, with `{ data: { code, msg, errorCode } }` because the sample
 * reads `res.data.data`.
 */
@Catch()
export class LegacyEnvelopeExceptionFilter extends ContractExceptionFilter {
  protected body(error: ErrorResponse, requestId: string): object {
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
}

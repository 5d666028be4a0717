import { ERROR_CODES, ErrorCode } from './error-codes';

/**
 * A failure the client can understand. The global exception filter turns it
 * into the contract's error body; `details` become extra top-level fields
 * (e.g. the phone number on PHONE_NOT_REGISTERED).
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: {
      details?: Record<string, unknown>;
      retryAfterSec?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
  }
}

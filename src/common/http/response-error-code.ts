import type { ErrorCode } from '../error-codes';

const codes = new WeakMap<object, ErrorCode>();

/** The exception filter notes which error code a response carries, for the metrics counted when it finishes. */
export function noteErrorCode(res: object, code: ErrorCode): void {
  codes.set(res, code);
}

export function errorCodeOf(res: object): ErrorCode | undefined {
  return codes.get(res);
}

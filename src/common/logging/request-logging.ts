import type { IncomingMessage, ServerResponse } from 'node:http';
import { PinoLogger } from 'nestjs-pino';
import { storage } from 'nestjs-pino/storage';
import type { Level, Logger } from 'pino';

/** What the request line says; the same functions pino-http was configured with. */
export interface RequestLineFormat {
  requestId(req: IncomingMessage): string;
  level(req: IncomingMessage, res: ServerResponse, error?: Error): Level;
  fields(req: IncomingMessage): object;
  successMessage(req: IncomingMessage, res: ServerResponse, ms: number): string;
  errorMessage(req: IncomingMessage, res: ServerResponse): string;
}

/**
 * The request's logger for the app's own lines (bound to its `reqId`, as
 * pino-http's quiet request logger was), created only when something logs
 * during the request: most requests log nothing below LOG_LEVEL.
 */
class LazyRequestStore {
  readonly responseLogger = undefined;
  private child?: Logger;

  constructor(
    private readonly root: Logger,
    private readonly reqId: string,
  ) {}

  get logger(): Logger {
    return (this.child ??= this.root.child({ reqId: this.reqId }));
  }

  set logger(logger: Logger) {
    this.child = logger;
  }
}

/**
 * One line per request when it finishes, in exactly pino-http's shape
 * (`reqId` and `req` bound, then `res`, `responseTime` and our fields), but
 * without its per-request work when that line is below LOG_LEVEL: pino-http
 * builds two child loggers for every request (serialising the request into
 * one of them) whether or not anything is logged.
 */
export function requestLogging(format: RequestLineFormat) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const root = PinoLogger.root;
    const startedAt = Date.now();
    const id = format.requestId(req);
    (req as IncomingMessage & { id?: string }).id = id;
    const done = () => {
      res.removeListener('close', done);
      res.removeListener('finish', done);
      const failed = res.statusCode >= 500;
      const error = failed ? new Error(`failed with status code ${res.statusCode}`) : undefined;
      const level = format.level(req, res, error);
      if (!root.isLevelEnabled(level)) return;
      const responseTime = Date.now() - startedAt;
      const log = root.child({ reqId: id, req });
      if (error) {
        log[level](
          { res, err: error, responseTime, ...format.fields(req) },
          format.errorMessage(req, res),
        );
      } else {
        log[level](
          { res, responseTime, ...format.fields(req) },
          format.successMessage(req, res, responseTime),
        );
      }
    };
    res.on('close', done);
    res.on('finish', done);
    storage.run(new LazyRequestStore(root, id), next);
  };
}

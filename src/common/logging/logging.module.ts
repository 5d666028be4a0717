import type { IncomingMessage, ServerResponse } from 'node:http';
import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream, Level } from 'pino';
import { appConfig } from '../../config/app.config';
import { clientIpOf, maskIp } from '../http/client-ip';
import { requestIdOf } from '../http/request-id';
import { createLogDestination, LOG_DESTINATION } from './log-destination';
import { pathOnly } from './redaction';
import { RequestLineFormat, requestLogging } from './request-logging';

const PINO_LEVEL: Record<ConfigType<typeof appConfig>['logLevel'], Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
};

function routeOf(req: IncomingMessage): string {
  const route = (req as Request).route as { path?: string } | undefined;
  return route?.path ?? pathOnly(req.url);
}

/** The fields every request line adds: the matched route and the client's masked IP. */
function requestFields(req: IncomingMessage): { route: string; clientIp: string } {
  return { route: routeOf(req), clientIp: maskIp(clientIpOf(req as Request)) };
}

/** The request line's level: probes at debug, failures at error, the rest at info. */
function levelOf(req: IncomingMessage, res: ServerResponse, error?: Error): Level {
  return error || res.statusCode >= 500
    ? 'error'
    : pathOnly(req.url).startsWith('/health/')
      ? 'debug'
      : 'info';
}

const REQUEST_LINE: RequestLineFormat = {
  requestId: (req) => requestIdOf(req as Request),
  level: levelOf,
  fields: requestFields,
  successMessage: (req, res, ms) =>
    `${req.method} ${routeOf(req)} ${res.statusCode} ${Math.round(ms)}ms`,
  errorMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode} failed`,
};

/**
 * Structured logs through pino: one line per request (method, route, status,
 * duration, requestId, and the client IP the rate limiter counts, masked to
 * its /24 or /48) and the app's own lines, with nothing of the request
 * but its method and path (no headers, no query string, no body), so tokens,
 * codes and tickets cannot reach the log by accident.
 *
 * nestjs-pino provides the logger (its pino-http options set the level and
 * the serialisers) but not its per-request middleware: requestLogging() writes
 * the same line for less work per request (see request-logging.ts).
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      providers: [
        {
          provide: LOG_DESTINATION,
          inject: [appConfig.KEY],
          useFactory: (config: ConfigType<typeof appConfig>) => createLogDestination(config),
        },
      ],
      inject: [appConfig.KEY, LOG_DESTINATION],
      useFactory: (config: ConfigType<typeof appConfig>, destination: DestinationStream) => ({
        // No route gets nestjs-pino's own middleware; LoggingModule applies requestLogging().
        forRoutes: [],
        pinoHttp: [
          {
            level: PINO_LEVEL[config.logLevel],
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                path: pathOnly(req.url),
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
          },
          destination,
        ],
      }),
    }),
  ],
})
export class LoggingModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // The routes nestjs-pino's middleware covered.
    consumer
      .apply(requestLogging(REQUEST_LINE))
      .forRoutes({ path: '*', method: RequestMethod.ALL });
  }
}

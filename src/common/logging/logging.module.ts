import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream, Level } from 'pino';
import { appConfig } from '../../config/app.config';
import { clientIpOf, maskIp } from '../http/client-ip';
import { requestIdOf } from '../http/request-id';
import { createLogDestination, LOG_DESTINATION } from './log-destination';
import { pathOnly } from './redaction';

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

/**
 * Structured logs through pino: one line per request (method, route, status,
 * duration, requestId, and the client IP the rate limiter counts, masked to
 * its /24 or /48) and the app's own lines, with nothing of the request
 * but its method and path (no headers, no query string, no body), so tokens,
 * codes and tickets cannot reach the log by accident.
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
        pinoHttp: [
          {
            level: PINO_LEVEL[config.logLevel],
            genReqId: (req: IncomingMessage) => requestIdOf(req as Request),
            quietReqLogger: true,
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                path: pathOnly(req.url),
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
            customSuccessObject: (req: IncomingMessage, _res: ServerResponse, value: object) => ({
              ...value,
              ...requestFields(req),
            }),
            customErrorObject: (
              req: IncomingMessage,
              _res: ServerResponse,
              _error: Error,
              value: object,
            ) => ({ ...value, ...requestFields(req) }),
            customSuccessMessage: (req: IncomingMessage, res: ServerResponse, ms: number) =>
              `${req.method} ${routeOf(req)} ${res.statusCode} ${Math.round(ms)}ms`,
            customErrorMessage: (req: IncomingMessage, res: ServerResponse) =>
              `${req.method} ${routeOf(req)} ${res.statusCode} failed`,
            // Load balancer probes would drown everything else at info.
            customLogLevel: (req: IncomingMessage, res: ServerResponse, error?: Error) =>
              error || res.statusCode >= 500
                ? 'error'
                : pathOnly(req.url).startsWith('/health/')
                  ? 'debug'
                  : 'info',
          },
          destination,
        ],
      }),
    }),
  ],
})
export class LoggingModule {}

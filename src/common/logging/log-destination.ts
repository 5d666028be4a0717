import type { DestinationStream } from 'pino';
import pino from 'pino';
import type PinoPretty from 'pino-pretty';
import { AppConfig } from '../../config/app.config';

/** Where log lines go. Tests override this provider to capture every line. */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

/** JSON lines on stdout in production and tests; readable coloured lines in development. */
export function createLogDestination(config: Pick<AppConfig, 'nodeEnv'>): DestinationStream {
  if (config.nodeEnv === 'development') {
    // Loaded only here: production never pays for pino-pretty's modules.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as typeof PinoPretty;
    return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  }
  return pino.destination({ dest: 1, sync: true });
}

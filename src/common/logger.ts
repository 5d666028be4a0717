import { ConsoleLogger, LogLevel as NestLogLevel } from '@nestjs/common';
import { AppConfig } from '../config/app.config';

const ORDER: NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** JSON lines in production (for log shippers), readable coloured lines in development. */
export function createLogger(config: Pick<AppConfig, 'isProduction' | 'logLevel'>): ConsoleLogger {
  const level: NestLogLevel = config.logLevel === 'info' ? 'log' : config.logLevel;
  return new ConsoleLogger({
    json: config.isProduction,
    colors: !config.isProduction,
    logLevels: ORDER.slice(0, ORDER.indexOf(level) + 1),
  });
}

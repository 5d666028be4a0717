import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';
import { providedByAppModule } from './config-token';
import { readTrustProxy, TrustProxy } from './trust-proxy';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'verbose';

export interface AppConfig {
  port: number;
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
  logLevel: LogLevel;
  trustProxy: TrustProxy;
  corsOrigins: string[];
  swaggerEnabled: boolean;
}

export function readAppConfig(env: EnvReader): AppConfig {
  const nodeEnv = env.oneOf('NODE_ENV', 'development', [
    'development',
    'production',
    'test',
  ] as const);
  const isProduction = nodeEnv === 'production';
  return {
    port: env.int('PORT', 9013, 1, 65535),
    nodeEnv,
    isProduction,
    logLevel: env.oneOf('LOG_LEVEL', 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'verbose',
    ] as const),
    trustProxy: readTrustProxy(env),
    corsOrigins: env.list('CORS_ORIGINS'),
    swaggerEnabled: env.bool('SWAGGER_ENABLED', !isProduction),
  };
}

export const appConfig = registerAs('app', providedByAppModule<AppConfig>('app'));

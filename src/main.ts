import { INestApplication, LoggerService } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { readEnvironment } from './config/environment';
import { loadConfig } from './config/load-config';
import { isLoopbackHost, serverConfig } from './config/server.config';
import { InvalidEnvironmentError } from './config/validate-env';
import { createLogger } from './common/logger';

async function bootstrap(): Promise<void> {
  const loaded = loadConfig(readEnvironment());
  const config = loaded.config.app;
  // Only for failures before the app (and its pino logger) exists.
  const bootLogger = createLogger(config);
  try {
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(loaded), {
      bufferLogs: true,
    });
    configureApp(app);
    const server = app.get<ConfigType<typeof serverConfig>>(serverConfig.KEY);
    await app.listen(config.port, server.host);
    const appLogger = app.get(Logger);
    appLogger.log(`Listening on ${server.host} port ${config.port} (docs: /docs)`, 'Bootstrap');
    if (server.simulator && !isLoopbackHost(server.host)) {
      appLogger.warn(
        `The WeChat simulator is on and listening on HOST=${server.host}: anyone who can reach ` +
          'this address can log in as any phone number. Unset HOST to listen on 127.0.0.1 only.',
        'Bootstrap',
      );
    }
    stopGracefully(app, appLogger);
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) {
      bootLogger.fatal(error.message, 'Bootstrap');
      process.exit(1);
    }
    throw error;
  }
}

/**
 * SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish,
 * close the database pool, exit 0. A second signal exits at once.
 */
function stopGracefully(app: INestApplication, logger: LoggerService): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.log(`${signal} received: finishing in-flight requests`, 'Bootstrap');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`Shutdown failed: ${String(error)}`, 'Bootstrap');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void bootstrap();

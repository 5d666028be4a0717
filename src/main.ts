import { existsSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { readAppConfig } from './config/app.config';
import { EnvReader } from './config/env-reader';
import { InvalidEnvironmentError } from './config/validate-env';
import { createLogger } from './common/logger';

async function bootstrap(): Promise<void> {
  // A local .env is a convenience; variables already set win.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = readAppConfig(new EnvReader(process.env));
  const logger = createLogger(config);
  try {
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
      logger,
    });
    configureApp(app);
    await app.listen(config.port);
    logger.log(`Listening on http://localhost:${config.port} (docs: /docs)`, 'Bootstrap');
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) {
      logger.fatal(error.message, 'Bootstrap');
      process.exit(1);
    }
    throw error;
  }
}

void bootstrap();

import { DynamicModule, Global, Module, ValueProvider } from '@nestjs/common';
import { appConfig } from './app.config';
import { avatarConfig } from './avatar.config';
import { databaseConfig } from './database.config';
import { jwtConfig } from './jwt.config';
import { Configuration } from './load-config';
import { rateLimitConfig } from './rate-limit.config';
import { serverConfig } from './server.config';
import { wechatConfig } from './wechat.config';

/** Injection token of the migrations' part of the configuration. */
export const MIGRATION_CONFIG = Symbol('MIGRATION_CONFIG');

/**
 * Provides every typed configuration under its token
 * (`@Inject(wechatConfig.KEY) config: ConfigType<typeof wechatConfig>`), from
 * the one loadConfig() result AppModule was built with. Tests pass their own
 * result instead of editing process.env.
 */
@Global()
@Module({})
export class ConfigurationModule {
  static forRoot(config: Configuration): DynamicModule {
    const providers: ValueProvider[] = [
      { provide: appConfig.KEY, useValue: config.app },
      { provide: databaseConfig.KEY, useValue: config.database },
      { provide: wechatConfig.KEY, useValue: config.wechat },
      { provide: jwtConfig.KEY, useValue: config.jwt },
      { provide: rateLimitConfig.KEY, useValue: config.rateLimit },
      { provide: serverConfig.KEY, useValue: config.server },
      { provide: avatarConfig.KEY, useValue: config.avatar },
      { provide: MIGRATION_CONFIG, useValue: config.migrations },
    ];
    return {
      module: ConfigurationModule,
      providers,
      exports: providers.map((provider) => provider.provide),
    };
  }
}

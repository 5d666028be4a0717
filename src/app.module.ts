import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module';
import { CommonModule } from './common/common.module';
import { LoggingModule } from './common/logging/logging.module';
import { appConfig } from './config/app.config';
import { databaseConfig, DatabaseConfig } from './config/database.config';
import { jwtConfig } from './config/jwt.config';
import { rateLimitConfig } from './config/rate-limit.config';
import { readFromProcess } from './config/read-from-process';
import { serverConfig } from './config/server.config';
import { validateEnv } from './config/validate-env';
import { readWechatConfig, wechatConfig } from './config/wechat.config';
import { buildDataSourceOptions } from './database/data-source-options';
import { HealthModule } from './health/health.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { UsersModule } from './users/users.module';
import { WechatModule } from './wechat/wechat.module';

@Module({})
export class AppModule {
  /**
   * Built from the environment at the moment of the call: boot fails here,
   * listing every invalid variable, before anything connects anywhere. The
   * simulator's routes exist only when it is on.
   */
  static forRoot(): DynamicModule {
    validateEnv(process.env);
    const { simulator } = readFromProcess(readWechatConfig);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [appConfig, databaseConfig, wechatConfig, jwtConfig, rateLimitConfig, serverConfig],
        }),
        CommonModule,
        LoggingModule,
        TypeOrmModule.forRootAsync({
          inject: [databaseConfig.KEY],
          useFactory: (db: DatabaseConfig) => ({
            ...buildDataSourceOptions(db),
            migrationsRun: true,
          }),
        }),
        ScheduleModule.forRoot(),
        // Before AuthModule: its guard runs first, so floods are cut before any token check.
        RateLimitModule,
        WechatModule.forRoot({ simulator }),
        UsersModule,
        AuthModule,
        HealthModule,
      ],
    };
  }
}

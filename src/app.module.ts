import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AccountModule } from './account/account.module';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { CommonModule } from './common/common.module';
import { LoggingModule } from './common/logging/logging.module';
import { ConfigurationModule } from './config/configuration.module';
import { LoadedConfiguration } from './config/load-config';
import { requireValidConfig } from './config/validate-env';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { HousekeepingModule } from './housekeeping/housekeeping.module';
import { MetricsModule } from './metrics/metrics.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { UsersModule } from './users/users.module';
import { WechatModule } from './wechat/wechat.module';

@Module({})
export class AppModule {
  /**
   * Built from one loadConfig() result: boot fails here, listing every
   * invalid variable, before anything connects anywhere. The simulator's
   * routes exist only when it is on, the admin routes only with ADMIN_TOKEN.
   */
  static forRoot(loaded: LoadedConfiguration): DynamicModule {
    const config = requireValidConfig(loaded);
    return {
      module: AppModule,
      imports: [
        ConfigurationModule.forRoot(config),
        CommonModule,
        LoggingModule,
        MetricsModule,
        DatabaseModule.forRoot(),
        ScheduleModule.forRoot(),
        // Before AuthModule: its guard runs first, so floods are cut before any token check.
        RateLimitModule,
        WechatModule.forRoot({ simulator: config.wechat.simulator }),
        UsersModule,
        AuthModule,
        AccountModule,
        HousekeepingModule,
        HealthModule,
        // The admin API and page exist only with an admin token (404 otherwise).
        ...(config.admin.token === undefined ? [] : [AdminModule]),
      ],
    };
  }
}

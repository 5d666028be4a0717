import { Global, Module } from '@nestjs/common';
import { AppMetrics } from './app-metrics';
import { MetricsController } from './metrics.controller';

/** Infrastructure every module may count into, hence global; GET /metrics reads it. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [AppMetrics],
  exports: [AppMetrics],
})
export class MetricsModule {}

import { Controller, Get, Header } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { AdminTokenWhenSet } from '../admin/admin-token.guard';
import { AppError } from '../common/app-error';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { AppMetrics } from './app-metrics';

@ApiTags('operations')
@ApiBearerAuth('admin')
@AdminTokenWhenSet()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: AppMetrics) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({
    summary: 'Prometheus metrics (text format)',
    description:
      'Logins by outcome, WeChat calls by endpoint and errcode with latency, token fetches and ' +
      'force refreshes by app, request duration by route template, rate-limit refusals and the ' +
      'process metrics. Needs `Authorization: Bearer <ADMIN_TOKEN>` when ADMIN_TOKEN is set; ' +
      'open otherwise (keep it off the public edge). 404 with METRICS_ENABLED=false.',
  })
  @ApiOkResponse({ content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrors('ADMIN_TOKEN_INVALID', 'TOO_MANY_REQUESTS')
  scrape(): Promise<string> {
    if (!this.metrics.enabled) throw new AppError('NOT_FOUND', 'No such route');
    return this.metrics.render();
  }
}

import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { wechatConfig } from '../config/wechat.config';
import { DatabasePing } from './database-ping';
import { LivenessDto, ReadinessDto } from './health.dto';
import { AccessTokenHealth } from '../wechat/access-token.status';

@ApiTags('health')
@Public()
// Probes come from the load balancer's few addresses; never throttle them.
@SkipThrottle({ all: true, auth: true })
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: DatabasePing,
    private readonly indicators: HealthIndicatorService,
    private readonly accessTokens: AccessTokenHealth,
    @Inject(wechatConfig.KEY)
    private readonly wechat: ConfigType<typeof wechatConfig>,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 while the process runs' })
  @ApiOkResponse({ type: LivenessDto })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: database reachable and a WeChat access token held',
    description:
      'Shows whether a token is held and how long it has left, never the token itself. ' +
      '503 also while WeChat refuses our credentials (see `apps[].misconfigured`).',
  })
  @ApiOkResponse({ type: ReadinessDto, description: 'Ready.' })
  @ApiServiceUnavailableResponse({
    type: ReadinessDto,
    description: 'Not ready: see which check is down.',
  })
  async ready(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.database(), () => this.wechatToken()]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }

  private async database() {
    const check = this.indicators.check('database');
    const ping = await this.db.check();
    return ping.up ? check.up() : check.down({ message: ping.message });
  }

  private wechatToken() {
    const check = this.indicators.check('wechatAccessToken');
    const apps = this.accessTokens.statusOfAll();
    const held = apps.every((app) => app.held);
    // WeChat refused our credentials: no token until an operator acts, even
    // while an older one still works (it runs out within 2 hours).
    const misconfigured = apps.some((app) => app.misconfigured);
    const remaining = apps.map((app) => app.expiresInSec ?? 0);
    const data = {
      simulator: this.wechat.simulator,
      mode: this.wechat.tokenMode,
      tokenHeld: held,
      expiresInSec: held ? Math.min(...remaining) : null,
      apps: apps.map(({ appId, held: tokenHeld, expiresInSec, misconfigured: refused }) => ({
        appId,
        tokenHeld,
        expiresInSec,
        ...(refused ? { misconfigured: refused } : {}),
      })),
    };
    return !misconfigured && (held || this.wechat.simulator) ? check.up(data) : check.down(data);
  }
}

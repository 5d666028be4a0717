import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AppError } from '../common/app-error';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { AccessTokenService } from '../wechat/access-token.service';
import { AccessTokenHealth } from '../wechat/access-token.status';
import { WechatApps } from '../wechat/wechat-app';
import { AdminAuditLog } from './admin-audit.log';
import { AdminApi, RequestId } from './admin-route.decorator';
import { AdminAppStatusDto } from './admin.dto';

@AdminApi()
@Controller('admin/wechat/apps')
export class AdminWechatController {
  constructor(
    private readonly apps: WechatApps,
    private readonly health: AccessTokenHealth,
    private readonly tokens: AccessTokenService,
    private readonly audit: AdminAuditLog,
  ) {}

  @Get()
  @ApiOperation({
    summary: "Each mini-program's access token, as this instance sees it",
    description:
      'Whether a token is held, its expiry, the last refresh and the last error: never the token or the secret.',
  })
  @ApiOkResponse({ type: [AdminAppStatusDto] })
  async status(): Promise<AdminAppStatusDto[]> {
    return (await this.health.operatorStatusOfAll()).map(({ held, ...status }) => ({
      ...status,
      tokenHeld: held,
    }));
  }

  @Post(':appId/refresh-token')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Force a new access token from WeChat now',
    description:
      "Within WeChat's force-refresh limits (30 s apart, 20 a day, counted for all instances): 429 FORCE_REFRESH_LIMITED with Retry-After otherwise. The other instances adopt the new token from the shared table.",
  })
  @ApiNoContentResponse()
  @ApiErrors(
    'UNKNOWN_APPID',
    'FORCE_REFRESH_LIMITED',
    'WECHAT_BAD_RESPONSE',
    'WECHAT_UNAVAILABLE',
    'WECHAT_MISCONFIGURED',
  )
  async refresh(@Param('appId') appId: string, @RequestId() requestId: string): Promise<void> {
    const app = this.apps.byId(appId);
    if (!app) throw new AppError('UNKNOWN_APPID', 'This backend does not serve that mini-program');
    await this.tokens.forceRefresh(app);
    await this.audit.record({ action: 'refresh-wechat-token', targetAppId: app.id, requestId });
  }
}

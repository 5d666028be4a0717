import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  Inject,
  Injectable,
  PipeTransform,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ApiHeader } from '@nestjs/swagger';
import type { Request } from 'express';
import { AppError } from '../common/app-error';
import { wechatConfig } from '../config/wechat.config';

export const APPID_HEADER = 'X-WX-AppId';
/** WeChat's client sends `Referer: https://servicewechat.com/{appid}/{version}/page-frame.html`. */
const SERVICEWECHAT_REFERER = /^https:\/\/servicewechat\.com\/([\w-]{1,64})\//;

const RequestedAppId = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined => {
    const req = ctx.switchToHttp().getRequest<Request>();
    const header = req.header(APPID_HEADER)?.trim();
    if (header) return header;
    return SERVICEWECHAT_REFERER.exec(req.header('referer') ?? '')?.[1];
  },
);

/** Checks the named app against the configuration; with one app, naming it is optional. */
@Injectable()
export class ResolveWechatAppPipe implements PipeTransform<string | undefined, string> {
  constructor(@Inject(wechatConfig.KEY) private readonly config: ConfigType<typeof wechatConfig>) {}

  transform(requested: string | undefined): string {
    if (requested === undefined) {
      if (this.config.apps.length === 1) return this.config.appId;
      throw new AppError(
        'UNKNOWN_APPID',
        `Several mini-programs are served here: name yours with the ${APPID_HEADER} header`,
      );
    }
    if (!this.config.apps.some((app) => app.appId === requested)) {
      throw new AppError('UNKNOWN_APPID', 'This backend does not serve that mini-program');
    }
    return requested;
  }
}

/**
 * The mini-program a request comes from: the X-WX-AppId header, else the
 * servicewechat.com Referer WeChat's client sends, else the only app.
 */
export const WechatAppId = (): ParameterDecorator =>
  RequestedAppId(undefined, ResolveWechatAppPipe);

/** Documents the header on routes that take @WechatAppId(). */
export const ApiWechatAppHeader = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiHeader({
      name: APPID_HEADER,
      required: false,
      description:
        'The AppID of the calling mini-program. Optional when one app is configured; otherwise taken from the ' +
        '`https://servicewechat.com/{appid}/…` Referer WeChat sends, or 400 UNKNOWN_APPID.',
    }),
  );

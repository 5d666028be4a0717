import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  PipeTransform,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Request } from 'express';
import { WechatApp, WechatApps } from './wechat-app';

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

/** Turns the AppID a request names into the configured app, once per request. */
@Injectable()
export class ResolveWechatAppPipe implements PipeTransform<string | undefined, WechatApp> {
  constructor(private readonly apps: WechatApps) {}

  transform(requested: string | undefined): WechatApp {
    return this.apps.resolve(requested, `the ${APPID_HEADER} header`);
  }
}

/**
 * The mini-program a request comes from: the X-WX-AppId header, else the
 * servicewechat.com Referer WeChat's client sends, else the only app.
 */
export const CurrentWechatApp = (): ParameterDecorator =>
  RequestedAppId(undefined, ResolveWechatAppPipe);

/** Documents the header on routes that take @CurrentWechatApp(). */
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

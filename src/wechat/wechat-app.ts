import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AppError } from '../common/app-error';
import { TokenMode, wechatConfig } from '../config/wechat.config';
import { AppToken } from './app-token';

/**
 * One mini-program this backend serves, resolved once per request and handed
 * to every service that talks to WeChat on its behalf: its AppID, its
 * AppSecret, how its access token is fetched, and this process's token slot.
 */
export class WechatApp {
  readonly token: AppToken;

  constructor(
    readonly id: string,
    readonly secret: string,
    readonly tokenMode: TokenMode,
  ) {
    this.token = new AppToken(`${id}:${tokenMode}`);
  }
}

/**
 * The mini-programs of the WeChat configuration, built once at boot: the one
 * place that turns an AppID into a WechatApp.
 */
@Injectable()
export class WechatApps {
  readonly all: readonly WechatApp[];

  constructor(@Inject(wechatConfig.KEY) config: ConfigType<typeof wechatConfig>) {
    this.all = config.apps.map((app) => new WechatApp(app.appId, app.secret, config.tokenMode));
  }

  /** The configured app with this AppID, e.g. the one a registration ticket names. */
  byId(id: string): WechatApp | undefined {
    return this.all.find((app) => app.id === id);
  }

  /**
   * The app a request names; with one app configured, naming it is optional.
   * 400 UNKNOWN_APPID otherwise.
   */
  resolve(requested: string | undefined, howToName: string): WechatApp {
    if (requested === undefined) {
      if (this.all.length === 1) return this.all[0];
      throw new AppError(
        'UNKNOWN_APPID',
        `Several mini-programs are served here: name yours with ${howToName}`,
      );
    }
    const app = this.byId(requested);
    if (!app) throw new AppError('UNKNOWN_APPID', 'This backend does not serve that mini-program');
    return app;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { wechatConfig } from '../config/wechat.config';
import { WechatApiClient } from './wechat-api.client';
import { WechatApp } from './wechat-app';
import type { WechatIdentity } from './wechat-identity';
import { WechatBadResponseError } from './wechat.errors';
import { callWithOneRetry } from './wechat-retry';

export type { WechatIdentity } from './wechat-identity';

const ID = /^[\w-]{1,64}$/;

/**
 * Exchanges a wx.login code for the user's openid (and unionid when the app
 * belongs to an Open Platform account). WeChat also returns a session_key;
 * it is dropped right here: never returned, stored or logged.
 *
 * Throws WechatCodeInvalidError (40029/40163), WechatUserBlockedError (40226),
 * WechatQuotaError (45011), WechatBusyError / WechatUnreachableError (after
 * one retry) and WechatBadResponseError.
 */
@Injectable()
export class LoginSessionService {
  constructor(
    private readonly client: WechatApiClient,
    private readonly clock: Clock,
    @Inject(wechatConfig.KEY)
    private readonly config: ConfigType<typeof wechatConfig>,
  ) {}

  /** `app`: the mini-program that called wx.login. */
  async resolveLogin(app: WechatApp, loginCode: string): Promise<WechatIdentity> {
    // -1 (busy) and transport failures get one retry, like the phone call.
    const answer = await callWithOneRetry(this.clock, this.config.timeoutMs, (timeLeft) =>
      this.client.code2Session(app, loginCode, { timeoutMs: timeLeft() }),
    );
    const { openid, unionid } = answer;
    if (typeof openid !== 'string' || !ID.test(openid)) {
      throw new WechatBadResponseError('jscode2session answer without a valid openid');
    }
    if (unionid !== undefined && (typeof unionid !== 'string' || !ID.test(unionid))) {
      throw new WechatBadResponseError('jscode2session answer with a malformed unionid');
    }
    return { openid, ...(unionid ? { unionid } : {}) };
  }
}

import { Injectable } from '@nestjs/common';
import { WechatApiClient } from './wechat-api.client';
import { WechatBadResponseError } from './wechat.errors';

export interface WechatIdentity {
  openid: string;
  unionid?: string;
}

const ID = /^[\w-]{1,64}$/;

/**
 * Exchanges a wx.login code for the user's openid (and unionid when the app
 * belongs to an Open Platform account). WeChat also returns a session_key;
 * it is dropped right here: never returned, stored or logged.
 */
@Injectable()
export class LoginSessionService {
  constructor(private readonly client: WechatApiClient) {}

  /** `appId`: the mini-program that called wx.login (default: the primary app). */
  async resolveLogin(loginCode: string, appId?: string): Promise<WechatIdentity> {
    const answer = await this.client.code2Session(loginCode, { appId });
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

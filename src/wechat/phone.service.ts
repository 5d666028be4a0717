import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { wechatConfig } from '../config/wechat.config';
import { AccessTokenService } from './access-token.service';
import { PhoneNumberAnswer, WechatApiClient } from './wechat-api.client';
import { WechatApp } from './wechat-app';
import { WechatBadResponseError } from './wechat.errors';
import { callWithHeldToken } from './wechat-retry';

export interface VerifiedPhone {
  /** E.164: `+8613800138000`. */
  phoneNumber: string;
  /** National number without country code: `13800138000`. */
  purePhoneNumber: string;
  /** Digits only: `86`. */
  countryCode: string;
}

export { RETRY_BUDGET_MS } from './wechat-retry';

/**
 * Exchanges a getPhoneNumber code for the phone number WeChat verified.
 */
@Injectable()
export class PhoneService {
  constructor(
    private readonly client: WechatApiClient,
    private readonly accessTokens: AccessTokenService,
    private readonly clock: Clock,
    @Inject(wechatConfig.KEY)
    private readonly config: ConfigType<typeof wechatConfig>,
  ) {}

  /** `app`: the mini-program the code was minted in. */
  async resolvePhone(app: WechatApp, code: string): Promise<VerifiedPhone> {
    const answer = await this.callWithOneRetry(app, code);
    return this.parse(answer, app);
  }

  /**
   * One retry at most, and only for what WeChat documents as worth retrying:
   * a rejected token (after dropping it, compare-and-expire), busy (-1) or a
   * transport failure. Bad codes (40029/40163) and quota errors never are.
   */
  private callWithOneRetry(app: WechatApp, code: string): Promise<PhoneNumberAnswer> {
    return callWithHeldToken(
      this.accessTokens,
      this.clock,
      this.config.timeoutMs,
      app,
      (token, timeoutMs) => this.client.getUserPhoneNumber(app, token, code, { timeoutMs }),
    );
  }

  /** Never trust an answer that is not what WeChat documents. */
  private parse(answer: PhoneNumberAnswer, app: WechatApp): VerifiedPhone {
    const info = answer.phone_info;
    if (typeof info !== 'object' || info === null) {
      throw new WechatBadResponseError('phone_info missing');
    }
    const { purePhoneNumber, countryCode, watermark } = info as Record<string, unknown>;
    if (typeof purePhoneNumber !== 'string' || !/^\d{4,17}$/.test(purePhoneNumber)) {
      throw new WechatBadResponseError('purePhoneNumber missing or malformed');
    }
    const country = typeof countryCode === 'number' ? String(countryCode) : countryCode;
    if (typeof country !== 'string' || !/^\d{1,4}$/.test(country)) {
      throw new WechatBadResponseError('countryCode missing or malformed');
    }
    const appid =
      typeof watermark === 'object' && watermark !== null
        ? (watermark as Record<string, unknown>).appid
        : undefined;
    if (appid !== app.id) {
      // A code minted for another mini-program must not log anyone into ours.
      throw new WechatBadResponseError('watermark.appid is not our AppID');
    }
    return {
      phoneNumber: `+${country}${purePhoneNumber}`,
      purePhoneNumber,
      countryCode: country,
    };
  }
}

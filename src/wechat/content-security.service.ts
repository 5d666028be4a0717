import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import { maskPhonesIn } from '../common/logging/redaction';
import { wechatConfig } from '../config/wechat.config';
import { AccessTokenService } from './access-token.service';
import { NicknameAuthor, NicknameScreen } from './nickname-screen';
import { WechatApiClient } from './wechat-api.client';
import { WechatBadResponseError, WechatOpenidNotRecentError } from './wechat.errors';
import { callWithHeldToken } from './wechat-retry';

/** msg_sec_check version 1's "risky content"; a v2 answer carries the verdict in `result` instead. */
const RISKY_CONTENT_V1 = 87014;

const SUGGESTIONS = new Set(['pass', 'review', 'risky']);

/**
 * Nickname content security through WeChat's msg_sec_check (version 2,
 * scene 1 = profile). Only a `risky` verdict refuses the nickname. WeChat
 * documents the check as needing an openid seen in the last 2 hours, and it
 * is a second opinion, not the login itself: so a missing openid, 61010, an
 * outage or any other failure accepts the nickname and says so in the log.
 */
@Injectable()
export class ContentSecurityService implements NicknameScreen {
  private readonly logger = new Logger(ContentSecurityService.name);

  constructor(
    private readonly client: WechatApiClient,
    private readonly accessTokens: AccessTokenService,
    private readonly clock: Clock,
    @Inject(wechatConfig.KEY)
    private readonly config: ConfigType<typeof wechatConfig>,
  ) {}

  async screenNickname(nickname: string, author: NicknameAuthor): Promise<void> {
    if (!this.config.contentCheck) return;
    if (!author.openid) {
      this.logger.log(
        `Nickname content check skipped for ${author.label}: no openid known in ${author.app.id}`,
      );
      return;
    }
    const verdict = await this.check(nickname, author.openid, author);
    if (verdict === undefined) return;
    if (verdict.suggest === 'risky') {
      this.logger.log(
        `WeChat called the nickname of ${author.label} risky (label ${verdict.label})`,
      );
      throw new AppError(
        'NICKNAME_REJECTED',
        'WeChat content security refused this nickname; choose another one',
      );
    }
    if (verdict.suggest === 'review') {
      this.logger.warn(
        // The user's own text: a phone number typed as a nickname is masked too.
        `Nickname of ${author.label} accepted, but WeChat suggests a review (label ${verdict.label}): ${maskPhonesIn(JSON.stringify(nickname))}`,
      );
    }
  }

  /** WeChat's verdict, or undefined when there is none to be had (logged). */
  private async check(
    content: string,
    openid: string,
    author: NicknameAuthor,
  ): Promise<{ suggest: string; label: string } | undefined> {
    let answer: Record<string, unknown>;
    try {
      answer = await callWithHeldToken(
        this.accessTokens,
        this.clock,
        this.config.timeoutMs,
        author.app,
        (token, timeoutMs) =>
          this.client.msgSecCheck(author.app, token, { content, openid }, { timeoutMs }),
        // An outage accepts the nickname: waiting longer would buy nothing.
        { retryTransient: false },
      );
    } catch (error) {
      if (errcodeOf(error) === RISKY_CONTENT_V1) {
        return { suggest: 'risky', label: String(RISKY_CONTENT_V1) };
      }
      const reason =
        error instanceof WechatOpenidNotRecentError
          ? 'WeChat has not seen this openid in the last 2 hours (61010)'
          : describe(error);
      this.logger.warn(`Nickname of ${author.label} accepted unchecked: ${reason}`);
      return undefined;
    }
    const result = answer.result as Record<string, unknown> | undefined;
    const suggest = result?.suggest;
    if (typeof suggest !== 'string' || !SUGGESTIONS.has(suggest)) {
      this.logger.warn(
        `Nickname of ${author.label} accepted unchecked: msg_sec_check answered without a verdict`,
      );
      return undefined;
    }
    const label = result?.label;
    return {
      suggest,
      label: typeof label === 'number' || typeof label === 'string' ? String(label) : 'none',
    };
  }
}

/**
 * The errcode behind a failed call: typed WeChat errors carry it; an errcode
 * without its own type arrives as a bad response whose reason starts with it.
 */
function errcodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const errcode = (error as { errcode?: unknown }).errcode;
  return typeof errcode === 'number' ? errcode : undefined;
}

function describe(error: unknown): string {
  if (error instanceof WechatBadResponseError) return `${error.message} (${error.reason})`;
  if (error instanceof AppError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}

import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { maskIdentifier, maskPhone } from '../common/mask';
import { User } from '../users/user.entity';
import { WechatBindingsService } from '../users/wechat-bindings.service';
import { LoginSessionService } from '../wechat/login-session.service';
import type { WechatIdentityInApp } from '../wechat/wechat-identity';
import { WechatApp } from '../wechat/wechat-app';

/** A loginCode sent beside a phone proof, once resolved: its WeChat account, or why there is none. */
export type SentAccount = { account: WechatIdentityInApp } | { failure: string };

/** What binding the sent account came to: `wechatAccountBound` is set whenever an account was sent. */
export interface BindingAfterPhoneProof {
  user: User;
  wechatAccountBound?: boolean;
}

/**
 * The phone proof wins. The getPhoneNumber code is single-use and paid, so a
 * loginCode sent beside it (directly, or carried by a registration ticket)
 * never fails the login, the 404 or the registration: a loginCode WeChat does
 * not resolve (invalid, expired, blocked user, outage, malformed answer), or a
 * WeChat account that belongs to another user, means the binding is skipped,
 * logged with the reason, and the answer says `wechatAccountBound: false`.
 */
@Injectable()
export class PhoneProofBindings {
  private readonly logger = new Logger(PhoneProofBindings.name);

  constructor(
    private readonly wechatLogins: LoginSessionService,
    private readonly bindings: WechatBindingsService,
  ) {}

  /** Never throws: whatever goes wrong resolving the code becomes the reason in the log. */
  async resolve(app: WechatApp, loginCode: string | undefined): Promise<SentAccount | undefined> {
    if (loginCode === undefined) return undefined;
    try {
      return {
        account: { appId: app.id, ...(await this.wechatLogins.resolveLogin(app, loginCode)) },
      };
    } catch (error) {
      return { failure: describe(error) };
    }
  }

  /** The account an unregistered phone's ticket should carry to registration. */
  forTicket(sent: SentAccount | undefined, phoneNumber: string): WechatIdentityInApp | undefined {
    if (sent && 'failure' in sent) {
      this.logger.warn(
        `loginCode not resolved (${sent.failure}): the registration ticket for ` +
          `${maskPhone(phoneNumber)} carries no WeChat account`,
      );
      return undefined;
    }
    return sent?.account;
  }

  async bind(user: User, sent: SentAccount | undefined): Promise<BindingAfterPhoneProof> {
    if (!sent) return { user };
    if ('failure' in sent) {
      this.logger.warn(
        `WeChat account not bound to user ${user.id}: loginCode not resolved (${sent.failure})`,
      );
      return { user, wechatAccountBound: false };
    }
    const { account } = sent;
    const outcome = await this.bindings.bind(user, account.appId, account, 'phone');
    if (!outcome.bound) {
      const unionid = account.unionid ? `, unionid ${maskIdentifier(account.unionid)}` : '';
      this.logger.warn(
        `WeChat account (openid ${maskIdentifier(account.openid)}${unionid}) not bound to ` +
          `user ${user.id} in app ${account.appId}: ${outcome.reason}`,
      );
    }
    return { user: outcome.user, wechatAccountBound: outcome.bound };
  }
}

function describe(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.message}`;
  // Not a WeChat answer we know: its name only, as a message could carry anything.
  if (error instanceof Error) return error.name;
  return 'unknown error';
}

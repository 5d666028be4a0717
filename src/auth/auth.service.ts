import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AvatarLinks } from '../avatars/avatar-links';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import { maskPhone } from '../common/mask';
import { writeOrConflict } from '../common/database/unique-violation';
import { blocked } from '../users/account-standing';
import { UserAvatarsService } from '../users/user-avatars.service';
import { UserDto } from '../users/user.dto';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { WechatBindingsService } from '../users/wechat-bindings.service';
import { LoginSessionService } from '../wechat/login-session.service';
import { NicknameScreen } from '../wechat/nickname-screen';
import { PhoneService } from '../wechat/phone.service';
import { WechatApp, WechatApps } from '../wechat/wechat-app';
import type { LoginResult, Registration, SessionPair } from './auth.types';
import { PhoneProofBindings } from './phone-proof-bindings';
import { RegistrationTicketUse } from './registration-ticket-use.entity';
import { RefreshTokenService } from './tokens/refresh-token.service';
import { AccessClaims, TokenService, VerifiedTicket } from './tokens/token.service';

export type { LoginResult, Registration, SessionPair } from './auth.types';

/**
 * The login flows. WeChat proves who the user is (a phone code, or a
 * wx.login code for a returning user); this service decides what that proof
 * buys and hands out our own tokens.
 */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly phones: PhoneService,
    private readonly wechatLogins: LoginSessionService,
    private readonly users: UsersService,
    private readonly bindings: WechatBindingsService,
    private readonly phoneProofBindings: PhoneProofBindings,
    private readonly tokens: TokenService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly nicknames: NicknameScreen,
    private readonly apps: WechatApps,
    private readonly avatars: UserAvatarsService,
    private readonly links: AvatarLinks,
  ) {}

  /**
   * Registered phone → a session (and the WeChat account bound, when a
   * loginCode came along and nobody else owns it). Unknown phone → 404
   * carrying the number and a registration ticket: the WeChat code is spent,
   * so the ticket is the only proof of the phone that registration can use.
   * The loginCode never decides the answer (see PhoneProofBindings).
   */
  async phoneLogin(
    app: WechatApp,
    code: string,
    loginCode: string | undefined,
    device: string | null,
  ): Promise<LoginResult> {
    const [phone, sent] = await Promise.all([
      this.phones.resolvePhone(app, code),
      this.phoneProofBindings.resolve(app, loginCode),
    ]);
    const user = await this.users.findByPhone(phone.phoneNumber);
    if (!user) {
      this.logger.log(`Phone ${maskPhone(phone.phoneNumber)} is not registered; ticket issued`);
      throw new AppError(
        'PHONE_NOT_REGISTERED',
        'No user has this phone number; register it with the ticket',
        {
          details: {
            phoneNumber: phone.phoneNumber,
            purePhoneNumber: phone.purePhoneNumber,
            countryCode: phone.countryCode,
            ...(await this.tokens.issueRegistrationTicket(
              phone,
              this.phoneProofBindings.forTicket(sent, phone.phoneNumber),
            )),
          },
        },
      );
    }
    // Before anything is written: a blocked user's login changes nothing.
    if (user.blockedAt) throw blocked();
    const binding = await this.phoneProofBindings.bind(user, sent);
    return this.startSession(await this.users.recordLogin(binding.user), device, binding);
  }

  /**
   * Silent login: a returning user's wx.login code, no phone button, no paid
   * phone call. The openid is per mini-program; a user known by unionid from
   * another mini-program of the same Open Platform account is bound here too.
   */
  async wechatSessionLogin(
    app: WechatApp,
    loginCode: string,
    device: string | null,
  ): Promise<LoginResult> {
    const appId = app.id;
    const account = await this.wechatLogins.resolveLogin(app, loginCode);
    const user =
      (await this.users.findByWechatAccount(appId, account.openid)) ??
      (account.unionid ? await this.users.findByUnionid(account.unionid) : null);
    if (!user) {
      throw new AppError(
        'WECHAT_ACCOUNT_NOT_BOUND',
        'No user is bound to this WeChat account yet; log in with the phone button',
      );
    }
    if (user.blockedAt) throw blocked();
    const binding = await this.bindings.bind(user, appId, account, 'wechat');
    if (!binding.bound) {
      this.logger.warn(
        `WeChat account of app ${appId} not bound to user ${user.id}: ${binding.reason}`,
      );
    }
    return this.startSession(await this.users.recordLogin(binding.user), device);
  }

  /**
   * Creates the user the ticket vouches for. The ticket's jti and the user
   * are written in one transaction: a reused ticket or an already registered
   * phone leaves nothing behind. The ticket is the phone proof, so the WeChat
   * account (of this loginCode, else the one the ticket carries) is bound
   * afterwards as after a phone login: a failure skips it, never the registration.
   */
  async register(
    app: WechatApp,
    registration: Registration,
    device: string | null,
  ): Promise<LoginResult> {
    const ticket = await this.tokens.verifyRegistrationTicket(registration.registrationTicket);
    const sent =
      registration.loginCode !== undefined
        ? await this.phoneProofBindings.resolve(app, registration.loginCode)
        : ticket.account && { account: ticket.account };
    // Before anything is written: a refused nickname leaves the ticket unused for another try.
    if (registration.nickname !== undefined) {
      const account = (sent && 'account' in sent ? sent.account : undefined) ?? ticket.account;
      await this.nicknames.screenNickname(registration.nickname, {
        // The ticket's account may come from another of our mini-programs.
        app: (account && this.apps.byId(account.appId)) ?? app,
        openid: account?.openid,
        label: `registration of ${maskPhone(ticket.phoneNumber)}`,
      });
    }
    // The image is checked and stored before the user exists (under the id the
    // user will have): a refused image leaves nothing, the ticket unused.
    const userId = randomUUID();
    const avatarUrl =
      registration.avatarImage !== undefined
        ? await this.avatars.save(userId, registration.avatarImage)
        : registration.avatarUrl !== undefined
          ? this.links.toStored(registration.avatarUrl)
          : undefined;
    let user: User;
    try {
      user = await this.createRegisteredUser(userId, ticket, registration.nickname, avatarUrl);
    } catch (error) {
      if (registration.avatarImage !== undefined && avatarUrl !== undefined) {
        await this.avatars.release(userId, avatarUrl, null);
      }
      throw error;
    }
    this.logger.log(`Registered user ${user.id} (${maskPhone(user.phoneNumber)})`);
    const binding = await this.phoneProofBindings.bind(user, sent);
    return this.startSession(binding.user, device, binding);
  }

  /** The user and the ticket's single-use record, in one transaction. */
  private createRegisteredUser(
    id: string,
    ticket: VerifiedTicket,
    nickname: string | undefined,
    avatarUrl: string | undefined,
  ): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      const created = await this.users.create(
        {
          id,
          phoneNumber: ticket.phoneNumber,
          purePhoneNumber: ticket.purePhoneNumber,
          countryCode: ticket.countryCode,
          nickname,
          avatarUrl,
        },
        manager,
      );
      await writeOrConflict(
        manager.insert(RegistrationTicketUse, {
          jti: ticket.jti,
          usedAt: new Date(this.clock.now()),
          expiresAt: ticket.expiresAt,
        }),
        () =>
          new AppError('REGISTRATION_TICKET_INVALID', 'This registration ticket was already used'),
      );
      return created;
    });
  }

  /** Rotation: the presented refresh token is spent, a new pair comes back. */
  async refresh(refreshToken: string): Promise<SessionPair> {
    const issued = await this.refreshTokens.rotate(refreshToken);
    const access = await this.tokens.signAccessToken(issued);
    return { ...access, refreshToken: issued.refreshToken };
  }

  async logout(session: AccessClaims, allDevices: boolean): Promise<void> {
    if (allDevices) await this.refreshTokens.revokeAllForUser(session.userId);
    else await this.refreshTokens.revokeFamily(session.familyId, session.userId);
  }

  /** `device`: the label of the client's User-Agent, shown in the user's sessions list. */
  private async startSession(
    user: User,
    device: string | null,
    binding: { wechatAccountBound?: boolean } = {},
  ): Promise<LoginResult> {
    const issued = await this.refreshTokens.issue(user.id, device);
    const access = await this.tokens.signAccessToken(issued);
    return {
      ...access,
      refreshToken: issued.refreshToken,
      user: UserDto.from(user, this.links),
      ...(binding.wechatAccountBound !== undefined
        ? { wechatAccountBound: binding.wechatAccountBound }
        : {}),
    };
  }
}

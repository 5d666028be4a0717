import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError } from '../common/app-error';
import { Clock } from '../common/clock';
import { maskPhone } from '../common/mask';
import { isUniqueViolation } from '../database/unique-violation';
import { UserDto } from '../users/user.dto';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { LoginSessionService } from '../wechat/login-session.service';
import { NicknameScreen } from '../wechat/nickname-screen';
import { PhoneService } from '../wechat/phone.service';
import { RegistrationTicketUse } from './registration-ticket-use.entity';
import { RefreshTokenService } from './tokens/refresh-token.service';
import { AccessClaims, AccessToken, TokenService, WechatAccount } from './tokens/token.service';

export interface SessionPair extends AccessToken {
  refreshToken: string;
}

export interface LoginResult extends SessionPair {
  user: UserDto;
}

export interface Registration {
  registrationTicket: string;
  nickname?: string;
  avatarUrl?: string;
  loginCode?: string;
}

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
    private readonly tokens: TokenService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly nicknames: NicknameScreen,
  ) {}

  /**
   * Registered phone → a session (and the WeChat account bound, when a
   * loginCode came along). Unknown phone → 404 carrying the number and a
   * registration ticket: the WeChat code is spent, so the ticket is the only
   * proof of the phone that registration can use.
   */
  async phoneLogin(
    code: string,
    loginCode: string | undefined,
    appId: string,
  ): Promise<LoginResult> {
    const [phone, account] = await Promise.all([
      this.phones.resolvePhone(code, appId),
      this.resolveAccount(loginCode, appId),
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
            ...(await this.tokens.issueRegistrationTicket(phone, account)),
          },
        },
      );
    }
    const bound = account ? await this.users.bindWechatAccount(user, appId, account) : user;
    return this.startSession(await this.users.recordLogin(bound));
  }

  /**
   * Silent login: a returning user's wx.login code, no phone button, no paid
   * phone call. The openid is per mini-program; a user known by unionid from
   * another mini-program of the same Open Platform account is bound here too.
   */
  async wechatSessionLogin(loginCode: string, appId: string): Promise<LoginResult> {
    const account = await this.wechatLogins.resolveLogin(loginCode, appId);
    const user =
      (await this.users.findByWechatAccount(appId, account.openid)) ??
      (account.unionid ? await this.users.findByUnionid(account.unionid) : null);
    if (!user) {
      throw new AppError(
        'WECHAT_ACCOUNT_NOT_BOUND',
        'No user is bound to this WeChat account yet; log in with the phone button',
      );
    }
    const bound = await this.users.bindWechatAccount(user, appId, account);
    return this.startSession(await this.users.recordLogin(bound));
  }

  /**
   * Creates the user the ticket vouches for. The ticket's jti, the user and
   * the WeChat binding are written in one transaction: a reused ticket, an
   * already registered phone or a taken openid leaves nothing behind.
   */
  async register(registration: Registration, appId: string): Promise<LoginResult> {
    const ticket = await this.tokens.verifyRegistrationTicket(registration.registrationTicket);
    const account = (await this.resolveAccount(registration.loginCode, appId)) ?? ticket.account;
    // Before anything is written: a refused nickname leaves the ticket unused for another try.
    if (registration.nickname !== undefined) {
      await this.nicknames.screenNickname(registration.nickname, {
        appId: account?.appId ?? appId,
        openid: account?.openid,
        label: `registration of ${maskPhone(ticket.phoneNumber)}`,
      });
    }
    const user = await this.dataSource.transaction(async (manager) => {
      const created = await this.users.create(
        {
          phoneNumber: ticket.phoneNumber,
          purePhoneNumber: ticket.purePhoneNumber,
          countryCode: ticket.countryCode,
          nickname: registration.nickname,
          avatarUrl: registration.avatarUrl,
        },
        manager,
      );
      try {
        await manager.insert(RegistrationTicketUse, {
          jti: ticket.jti,
          usedAt: new Date(this.clock.now()),
          expiresAt: ticket.expiresAt,
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError(
            'REGISTRATION_TICKET_INVALID',
            'This registration ticket was already used',
          );
        }
        throw error;
      }
      return account
        ? this.users.bindWechatAccount(created, account.appId, account, manager)
        : created;
    });
    this.logger.log(`Registered user ${user.id} (${maskPhone(user.phoneNumber)})`);
    return this.startSession(user);
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

  private async resolveAccount(
    loginCode: string | undefined,
    appId: string,
  ): Promise<WechatAccount | undefined> {
    if (!loginCode) return undefined;
    return { appId, ...(await this.wechatLogins.resolveLogin(loginCode, appId)) };
  }

  private async startSession(user: User): Promise<LoginResult> {
    const issued = await this.refreshTokens.issue(user.id);
    const access = await this.tokens.signAccessToken(issued);
    return { ...access, refreshToken: issued.refreshToken, user: UserDto.from(user) };
  }
}

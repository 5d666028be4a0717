import { Logger } from '@nestjs/common';
import { openMemoryDatabase } from '../../test/helpers/memory-database';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { FixedClock } from '../../test/helpers/fixed-clock';
import { AvatarImages } from '../avatars/avatar-image';
import { AvatarLinks } from '../avatars/avatar-links';
import { DatabaseAvatarStore } from '../avatars/avatar-store';
import { JwtConfig } from '../config/jwt.config';
import { UserAvatarsService } from '../users/user-avatars.service';
import { User } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { WechatAccount } from '../users/wechat-account.entity';
import { WechatAccountsRepository } from '../users/wechat-accounts.repository';
import { WechatBindingsService } from '../users/wechat-bindings.service';
import { LoginSessionService } from '../wechat/login-session.service';
import { NicknameScreen } from '../wechat/nickname-screen';
import { PhoneService } from '../wechat/phone.service';
import { WechatApp, WechatApps } from '../wechat/wechat-app';
import { AuthService } from './auth.service';
import { PhoneProofBindings } from './phone-proof-bindings';
import { RefreshToken } from './tokens/refresh-token.entity';
import { RefreshTokenRepository } from './tokens/refresh-token.repository';
import { RefreshTokenService } from './tokens/refresh-token.service';
import { TokenService } from './tokens/token.service';

const CONFIG: JwtConfig = {
  secret: 'unit-registration-ticket-key-0123456789abcdef',
  accessTtlSec: 900,
  refreshTtlSec: 30 * 86_400,
  sessionMaxAgeSec: 180 * 86_400,
  registrationTicketTtlSec: 600,
};
const APP = new WechatApp('wx1234567890abcdef', 'app-secret', 'stable');
const PHONE = { phoneNumber: '+8613800138000', purePhoneNumber: '13800138000', countryCode: '86' };

/**
 * A registration ticket is single-use by its jti, not only because phones are
 * unique: once the first user's phone is free again (the user deleted, or
 * their number changed), the same ticket must still be refused.
 */
describe('AuthService.register: a registration ticket is single-use', () => {
  let dataSource: DataSource;
  let tokens: TokenService;
  let auth: AuthService;

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(async () => {
    dataSource = await openMemoryDatabase();
    const clock = new FixedClock(Date.parse('2026-01-01T00:00:00.000Z'));
    const jwt = new JwtService({
      secret: CONFIG.secret,
      signOptions: { algorithm: 'HS256' },
      verifyOptions: { algorithms: ['HS256'] },
    });
    tokens = new TokenService(jwt, clock, CONFIG);
    const users = new UsersRepository(dataSource.getRepository(User));
    const accounts = new WechatAccountsRepository(dataSource.getRepository(WechatAccount));
    const nicknames: NicknameScreen = { screenNickname: () => Promise.resolve() };
    const bindings = new WechatBindingsService(users, accounts, clock);
    // No WeChat call happens on this path: registration without a loginCode.
    const unused = {} as PhoneService & LoginSessionService;
    const links = new AvatarLinks({ maxBytes: 2 * 1024 * 1024 });
    const avatars = new UserAvatarsService(
      new AvatarImages(),
      new DatabaseAvatarStore(dataSource, clock),
      links,
      users,
      clock,
    );
    auth = new AuthService(
      unused,
      unused,
      new UsersService(users, accounts, clock, nicknames, avatars, links),
      bindings,
      new PhoneProofBindings(unused, bindings),
      tokens,
      new RefreshTokenService(
        new RefreshTokenRepository(dataSource.getRepository(RefreshToken), dataSource),
        clock,
        CONFIG,
      ),
      dataSource,
      clock,
      nicknames,
      { all: [APP], byId: () => APP } as unknown as WechatApps,
      avatars,
      links,
    );
  });

  afterEach(async () => {
    await dataSource.destroy();
  });

  it('refuses the same ticket after the first user’s phone number became free again', async () => {
    const { registrationTicket } = await tokens.issueRegistrationTicket(PHONE);
    const first = await auth.register(APP, { registrationTicket });
    expect(first.user.phoneNumber).toBe(PHONE.phoneNumber);
    // The first user's number changes: nothing on the phone column stops a second user now.
    await dataSource
      .getRepository(User)
      .update(
        { id: first.user.id },
        { phoneNumber: '+8613900139000', purePhoneNumber: '13900139000' },
      );

    await expect(auth.register(APP, { registrationTicket })).rejects.toMatchObject({
      code: 'REGISTRATION_TICKET_INVALID',
      status: 401,
    });
    await expect(dataSource.getRepository(User).count()).resolves.toBe(1);
  });
});

import { TokenService } from './token.service';
import { FixedClock } from '../../../test/helpers/fixed-clock';
import {
  SECRET,
  ISSUER,
  START_MS,
  START_SEC,
  PHONE,
  forge,
  hmac,
  accessPayload,
  decodePayload,
  UNAUTHORIZED,
  TICKET_INVALID,
  tokenServiceAt,
  signedAccessToken,
} from '../../../test/helpers/token-kit';

describe('TokenService', () => {
  let clock: FixedClock;
  let service: TokenService;

  beforeEach(() => {
    clock = new FixedClock(START_MS);
    service = tokenServiceAt(clock);
  });

  const accessToken = () => signedAccessToken(service);

  describe('access tokens', () => {
    it('signs an HS256 access token that verifies as access with userId and familyId', async () => {
      const signed = await service.signAccessToken({ userId: 'user-1', familyId: 'family-1' });

      expect(signed).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
      const header = JSON.parse(
        Buffer.from(signed.accessToken.split('.')[0], 'base64url').toString('utf8'),
      ) as Record<string, unknown>;
      expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(decodePayload(signed.accessToken)).toEqual(accessPayload());
      await expect(service.verifyAccessToken(signed.accessToken)).resolves.toEqual({
        userId: 'user-1',
        familyId: 'family-1',
      });
    });

    it('refuses an access token presented as a registration ticket', async () => {
      await expect(service.verifyRegistrationTicket(await accessToken())).rejects.toMatchObject(
        TICKET_INVALID,
      );
    });

    it('refuses an access token without the fam claim', async () => {
      const payload = accessPayload();
      delete payload.fam;
      const token = forge({ alg: 'HS256', typ: 'JWT' }, payload, hmac('sha256', SECRET));

      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('refuses an access token whose sub is not a string', async () => {
      const token = forge(
        { alg: 'HS256', typ: 'JWT' },
        accessPayload({ sub: 42 }),
        hmac('sha256', SECRET),
      );

      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('refuses a refresh-typed token as an access token', async () => {
      const token = forge(
        { alg: 'HS256', typ: 'JWT' },
        accessPayload({ typ: 'refresh' }),
        hmac('sha256', SECRET),
      );

      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });
  });

  describe('registration tickets', () => {
    it('refuses a registration ticket presented as an access token', async () => {
      const { registrationTicket } = await service.issueRegistrationTicket(PHONE);

      await expect(service.verifyAccessToken(registrationTicket)).rejects.toMatchObject(
        UNAUTHORIZED,
      );
    });

    it('verifies a ticket with phone fields, jti, expiresAt and the WeChat account', async () => {
      const issued = await service.issueRegistrationTicket(PHONE, {
        appId: 'wx-app-1',
        openid: 'o-openid-1',
        unionid: 'u-unionid-1',
      });
      expect(issued.registrationTicketExpiresIn).toBe(600);

      const verified = await service.verifyRegistrationTicket(issued.registrationTicket);

      expect(verified).toEqual({
        phoneNumber: '+8613800138000',
        purePhoneNumber: '13800138000',
        countryCode: '86',
        jti: expect.stringMatching(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        ),
        expiresAt: new Date(START_MS + 600_000),
        account: { appId: 'wx-app-1', openid: 'o-openid-1', unionid: 'u-unionid-1' },
      });
    });

    it('round-trips an account with an openid and no unionid', async () => {
      const { registrationTicket } = await service.issueRegistrationTicket(PHONE, {
        appId: 'wx-app-1',
        openid: 'o-openid-1',
      });

      const verified = await service.verifyRegistrationTicket(registrationTicket);

      expect(verified.account).toEqual({
        appId: 'wx-app-1',
        openid: 'o-openid-1',
        unionid: undefined,
      });
      expect(decodePayload(registrationTicket)).not.toHaveProperty('uid');
    });

    it('returns no account when the ticket was issued without one', async () => {
      const { registrationTicket } = await service.issueRegistrationTicket(PHONE);

      const verified = await service.verifyRegistrationTicket(registrationTicket);

      expect(verified.account).toBeUndefined();
      expect(decodePayload(registrationTicket)).not.toHaveProperty('oid');
    });

    it('gives every ticket its own jti', async () => {
      const a = await service.verifyRegistrationTicket(
        (await service.issueRegistrationTicket(PHONE)).registrationTicket,
      );
      const b = await service.verifyRegistrationTicket(
        (await service.issueRegistrationTicket(PHONE)).registrationTicket,
      );

      expect(a.jti).not.toBe(b.jti);
    });

    it.each(['jti', 'cc', 'pure'])('refuses a register-typed token without %s', async (claim) => {
      const payload: Record<string, unknown> = {
        sub: PHONE.phoneNumber,
        typ: 'register',
        jti: '0b0e7c1e-5a4c-4a8e-9d3c-1f2e3d4c5b6a',
        cc: PHONE.countryCode,
        pure: PHONE.purePhoneNumber,
        iat: START_SEC,
        exp: START_SEC + 600,
        iss: ISSUER,
      };
      delete payload[claim];
      const token = forge({ alg: 'HS256', typ: 'JWT' }, payload, hmac('sha256', SECRET));

      await expect(service.verifyRegistrationTicket(token)).rejects.toMatchObject(TICKET_INVALID);
    });
  });
});

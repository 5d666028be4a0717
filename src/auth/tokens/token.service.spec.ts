import { createHmac, generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { AppError } from '../../common/app-error';
import { JwtConfig } from '../../config/jwt.config';
import { VerifiedPhone } from '../../wechat/phone.service';
import { TokenService } from './token.service';
import { FixedClock } from '../../../test/helpers/fixed-clock';

const SECRET = 'k3Y9-unit-test-hmac-key-Qz7Lw2Rv8Np4Tx6Ub1Hm5';
const ISSUER = 'wx-phone-login';
const START_MS = 1_700_000_000_000;
const START_SEC = START_MS / 1000;

const config: JwtConfig = {
  secret: SECRET,
  accessTtlSec: 900,
  refreshTtlSec: 2592000,
  sessionMaxAgeSec: 15552000,
  registrationTicketTtlSec: 600,
};

const PHONE: VerifiedPhone = {
  phoneNumber: '+8613800138000',
  purePhoneNumber: '13800138000',
  countryCode: '86',
};

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** Builds `header.payload.signature` by hand; `signer` gets the signing input. */
function forge(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signer: (input: string) => string,
): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${signer(input)}`;
}

function hmac(alg: 'sha256' | 'sha512', secret: string): (input: string) => string {
  return (input) => createHmac(alg, secret).update(input).digest('base64url');
}

/** A payload that the service would accept as an access token at START. */
function accessPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: 'user-1',
    typ: 'access',
    fam: 'family-1',
    iat: START_SEC,
    exp: START_SEC + 900,
    iss: ISSUER,
    ...overrides,
  };
}

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

const UNAUTHORIZED = { name: 'AppError', code: 'UNAUTHORIZED', status: 401 };
const TICKET_INVALID = { name: 'AppError', code: 'REGISTRATION_TICKET_INVALID', status: 401 };

describe('TokenService', () => {
  let clock: FixedClock;
  let service: TokenService;

  beforeEach(() => {
    clock = new FixedClock(START_MS);
    const jwt = new JwtService({
      secret: SECRET,
      signOptions: { algorithm: 'HS256' },
      verifyOptions: { algorithms: ['HS256'] },
    });
    service = new TokenService(jwt, clock, config);
  });

  async function accessToken(): Promise<string> {
    const { accessToken } = await service.signAccessToken({
      userId: 'user-1',
      familyId: 'family-1',
    });
    return accessToken;
  }

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

  describe('signature and algorithm checks', () => {
    it('accepts a hand-built HS256 token with the right secret (control for the forgeries below)', async () => {
      const token = forge({ alg: 'HS256', typ: 'JWT' }, accessPayload(), hmac('sha256', SECRET));

      await expect(service.verifyAccessToken(token)).resolves.toEqual({
        userId: 'user-1',
        familyId: 'family-1',
      });
    });

    it('refuses alg none with an empty signature', async () => {
      const token = forge({ alg: 'none', typ: 'JWT' }, accessPayload(), () => '');
      expect(token.endsWith('.')).toBe(true);

      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('refuses alg none as a registration ticket too', async () => {
      const token = forge(
        { alg: 'none', typ: 'JWT' },
        {
          sub: PHONE.phoneNumber,
          typ: 'register',
          jti: '0b0e7c1e-5a4c-4a8e-9d3c-1f2e3d4c5b6a',
          cc: PHONE.countryCode,
          pure: PHONE.purePhoneNumber,
          iat: START_SEC,
          exp: START_SEC + 600,
          iss: ISSUER,
        },
        () => '',
      );

      await expect(service.verifyRegistrationTicket(token)).rejects.toMatchObject(TICKET_INVALID);
    });

    it('refuses an RS256 token signed with an RSA key', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const token = forge({ alg: 'RS256', typ: 'JWT' }, accessPayload(), (input) =>
        rsaSign('sha256', Buffer.from(input), privateKey).toString('base64url'),
      );

      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('refuses an RS256 header carrying an HMAC-SHA256 signature made with the secret', async () => {
      const token = forge({ alg: 'RS256', typ: 'JWT' }, accessPayload(), hmac('sha256', SECRET));

      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('refuses HS512 even with the right secret', async () => {
      const token = forge({ alg: 'HS512', typ: 'JWT' }, accessPayload(), hmac('sha512', SECRET));

      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('refuses a token signed with another secret', async () => {
      const token = forge(
        { alg: 'HS256', typ: 'JWT' },
        accessPayload(),
        hmac('sha256', `${SECRET}-other`),
      );

      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('refuses a token another JwtService signed with another secret', async () => {
      const other = new TokenService(
        new JwtService({ secret: 'a-completely-different-hmac-key-0123456789' }),
        clock,
        config,
      );
      const { accessToken } = await other.signAccessToken({
        userId: 'user-1',
        familyId: 'family-1',
      });

      await expect(service.verifyAccessToken(accessToken)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('refuses a tampered payload (sub changed, signature kept)', async () => {
      const [header, , signature] = (await accessToken()).split('.');
      const tampered = `${header}.${b64url(JSON.stringify(accessPayload({ sub: 'user-2' })))}.${signature}`;

      await expect(service.verifyAccessToken(tampered)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('refuses a token from another issuer', async () => {
      const token = forge(
        { alg: 'HS256', typ: 'JWT' },
        accessPayload({ iss: 'someone-else' }),
        hmac('sha256', SECRET),
      );

      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('refuses a token with no issuer', async () => {
      const payload = accessPayload();
      delete payload.iss;
      const token = forge({ alg: 'HS256', typ: 'JWT' }, payload, hmac('sha256', SECRET));

      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it.each(['', 'not-a-jwt', 'a.b.c', 'Bearer x.y.z'])(
      'refuses the malformed token %p',
      async (token) => {
        await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
        await expect(service.verifyRegistrationTicket(token)).rejects.toMatchObject(TICKET_INVALID);
      },
    );

    it('rejects with an AppError instance, not a jsonwebtoken error', async () => {
      await expect(service.verifyAccessToken('not-a-jwt')).rejects.toBeInstanceOf(AppError);
    });
  });

  describe('expiry follows the injected clock', () => {
    it('keeps an access token valid at +899 s and refuses it at +901 s', async () => {
      const token = await accessToken();

      clock.advance(899 * 1000);
      await expect(service.verifyAccessToken(token)).resolves.toEqual({
        userId: 'user-1',
        familyId: 'family-1',
      });

      clock.advance(2 * 1000);
      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('refuses an access token at exactly +900 s (exp is exclusive)', async () => {
      const token = await accessToken();

      clock.advance(900 * 1000);
      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });

    it('keeps a ticket valid at +599 s and refuses it at +601 s', async () => {
      const { registrationTicket } = await service.issueRegistrationTicket(PHONE);

      clock.advance(599 * 1000);
      await expect(service.verifyRegistrationTicket(registrationTicket)).resolves.toMatchObject({
        phoneNumber: PHONE.phoneNumber,
      });

      clock.advance(2 * 1000);
      await expect(service.verifyRegistrationTicket(registrationTicket)).rejects.toMatchObject(
        TICKET_INVALID,
      );
    });

    it('takes iat and exp from the clock, not from the wall time', async () => {
      clock.set(START_MS - 86_400_000);

      const payload = decodePayload(await accessToken());

      expect(payload.iat).toBe(START_SEC - 86_400);
      expect(payload.exp).toBe(START_SEC - 86_400 + 900);
    });

    it('documents current behaviour: a token issued in the future still verifies (iat is not checked)', async () => {
      clock.advance(3600 * 1000);
      const token = await accessToken();
      clock.set(START_MS);

      // No nbf is set and jsonwebtoken ignores iat without maxAge, so a token
      // whose iat is an hour ahead of the verifier's clock is accepted, and it
      // stays valid until its own exp (iat + 900 s), i.e. 4500 s from now.
      await expect(service.verifyAccessToken(token)).resolves.toEqual({
        userId: 'user-1',
        familyId: 'family-1',
      });
      clock.advance((3600 + 899) * 1000);
      await expect(service.verifyAccessToken(token)).resolves.toEqual({
        userId: 'user-1',
        familyId: 'family-1',
      });
      clock.advance(1 * 1000);
      await expect(service.verifyAccessToken(token)).rejects.toMatchObject(UNAUTHORIZED);
    });
  });
});

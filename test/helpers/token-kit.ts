/** Keys, forged tokens and a TokenService on a fixed clock, for the TokenService specs. */
import { createHmac } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { JwtConfig } from '../../src/config/jwt.config';
import { VerifiedPhone } from '../../src/wechat/phone.service';
import { TokenService } from '../../src/auth/tokens/token.service';
import { FixedClock } from './fixed-clock';

export const SECRET = 'k3Y9-unit-test-hmac-key-Qz7Lw2Rv8Np4Tx6Ub1Hm5';
export const ISSUER = 'wx-phone-login';
export const START_MS = 1_700_000_000_000;
export const START_SEC = START_MS / 1000;

export const config: JwtConfig = {
  secret: SECRET,
  accessTtlSec: 900,
  refreshTtlSec: 2592000,
  sessionMaxAgeSec: 15552000,
  registrationTicketTtlSec: 600,
};

export const PHONE: VerifiedPhone = {
  phoneNumber: '+8613800138000',
  purePhoneNumber: '13800138000',
  countryCode: '86',
};

export function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** Builds `header.payload.signature` by hand; `signer` gets the signing input. */
export function forge(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signer: (input: string) => string,
): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${signer(input)}`;
}

export function hmac(alg: 'sha256' | 'sha512', secret: string): (input: string) => string {
  return (input) => createHmac(alg, secret).update(input).digest('base64url');
}

/** A payload that the service would accept as an access token at START. */
export function accessPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
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

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

export const UNAUTHORIZED = { name: 'AppError', code: 'UNAUTHORIZED', status: 401 };
export const TICKET_INVALID = {
  name: 'AppError',
  code: 'REGISTRATION_TICKET_INVALID',
  status: 401,
};

export function tokenServiceAt(clock: FixedClock): TokenService {
  const jwt = new JwtService({
    secret: SECRET,
    signOptions: { algorithm: 'HS256' },
    verifyOptions: { algorithms: ['HS256'] },
  });
  return new TokenService(jwt, clock, config);
}

export async function signedAccessToken(service: TokenService): Promise<string> {
  const { accessToken } = await service.signAccessToken({
    userId: 'user-1',
    familyId: 'family-1',
  });
  return accessToken;
}

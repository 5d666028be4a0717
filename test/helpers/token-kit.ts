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

/** A token signed the way the service signs (HS256 with SECRET), carrying any payload. */
export function hs256(payload: Record<string, unknown>): string {
  return forge({ alg: 'HS256', typ: 'JWT' }, payload, hmac('sha256', SECRET));
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

/** A payload that the service would accept as a registration ticket for PHONE at START. */
export function ticketPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: PHONE.phoneNumber,
    typ: 'register',
    jti: '0b0e7c1e-5a4c-4a8e-9d3c-1f2e3d4c5b6a',
    cc: PHONE.countryCode,
    pure: PHONE.purePhoneNumber,
    iat: START_SEC,
    exp: START_SEC + 600,
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

export interface TokenWorld {
  /** The clock the service reads, at START_MS when each test begins. */
  clock: FixedClock;
  service: TokenService;
  /** A fresh access token for user-1 in family-1, signed by `service`. */
  accessToken(): Promise<string>;
}

/** A TokenService on a fixed clock, made anew before each test of the calling describe. */
export function useTokenService(): TokenWorld {
  const world = { accessToken: () => signedAccessToken(world.service) } as TokenWorld;
  beforeEach(() => {
    world.clock = new FixedClock(START_MS);
    world.service = tokenServiceAt(world.clock);
  });
  return world;
}

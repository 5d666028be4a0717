import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { AppError } from '../../common/app-error';
import { Clock } from '../../common/clock';
import { ErrorCode } from '../../common/error-codes';
import { jwtConfig } from '../../config/jwt.config';
import { VerifiedPhone } from '../../wechat/phone.service';
import type { WechatIdentityInApp } from '../../wechat/wechat-identity';
import {
  AccessClaims,
  accessFromWire,
  accessToWire,
  ticketFromWire,
  ticketToWire,
  TokenType,
  WireClaims,
} from './jwt-claims';

export type { AccessClaims, TokenType } from './jwt-claims';

export interface AccessToken {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
}

export interface RegistrationTicket {
  registrationTicket: string;
  registrationTicketExpiresIn: number;
}

export interface VerifiedTicket extends VerifiedPhone {
  jti: string;
  expiresAt: Date;
  /** The WeChat identity (from wx.login in one mini-program) to bind when the ticket is redeemed. */
  account?: WechatIdentityInApp;
}

const ISSUER = 'wx-phone-login';
/** What a token of each type is refused with. */
const REJECTION: Record<TokenType, ErrorCode> = {
  access: 'UNAUTHORIZED',
  refresh: 'REFRESH_TOKEN_INVALID',
  register: 'REGISTRATION_TICKET_INVALID',
};

/**
 * Signs and checks our JWTs: HS256 only (so `alg: none` and RS/HS confusion
 * are refused by the verifier), times from the injected clock, and a `typ`
 * claim checked on every verification.
 */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly clock: Clock,
    @Inject(jwtConfig.KEY)
    private readonly config: ConfigType<typeof jwtConfig>,
  ) {}

  async signAccessToken(claims: AccessClaims): Promise<AccessToken> {
    const accessToken = await this.sign(accessToWire(claims), this.config.accessTtlSec);
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.accessTtlSec };
  }

  /** Proof, for a short while, that WeChat verified this phone: the only way to register. */
  async issueRegistrationTicket(
    phone: VerifiedPhone,
    account?: WechatIdentityInApp,
  ): Promise<RegistrationTicket> {
    const ttl = this.config.registrationTicketTtlSec;
    const registrationTicket = await this.sign(
      ticketToWire({ phone, jti: randomUUID(), account }),
      ttl,
    );
    return { registrationTicket, registrationTicketExpiresIn: ttl };
  }

  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const claims = accessFromWire(await this.verify(token, 'access'));
    if (!claims) throw new AppError(REJECTION.access, 'This is not an access token');
    return claims;
  }

  async verifyRegistrationTicket(token: string): Promise<VerifiedTicket> {
    const wire = await this.verify(token, 'register');
    const ticket = ticketFromWire(wire);
    if (!ticket) throw new AppError(REJECTION.register, 'The registration ticket is not valid');
    return {
      ...ticket.phone,
      jti: ticket.jti,
      expiresAt: new Date(wire.exp * 1000),
      account: ticket.account,
    };
  }

  private sign(claims: Omit<WireClaims, 'exp'>, ttlSec: number): Promise<string> {
    const iat = Math.floor(this.clock.now() / 1000);
    return this.jwt.signAsync(
      { ...claims, iat },
      { expiresIn: ttlSec, algorithm: 'HS256', issuer: ISSUER },
    );
  }

  private async verify(token: string, typ: TokenType): Promise<WireClaims> {
    let claims: WireClaims;
    try {
      claims = await this.jwt.verifyAsync<WireClaims>(token, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        clockTimestamp: Math.floor(this.clock.now() / 1000),
      });
    } catch {
      throw new AppError(REJECTION[typ], `The ${describe(typ)} is invalid or expired`);
    }
    // A token without exp would never expire: only we can sign one, but refuse it all the same.
    if (claims.typ !== typ || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') {
      throw new AppError(REJECTION[typ], `This is not a ${describe(typ)}`);
    }
    return claims;
  }
}

function describe(typ: TokenType): string {
  return { access: 'access token', refresh: 'refresh token', register: 'registration ticket' }[typ];
}

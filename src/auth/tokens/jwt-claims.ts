import type { VerifiedPhone } from '../../wechat/phone.service';
import type { WechatIdentityInApp } from '../../wechat/wechat-identity';

/** The `typ` claim keeps the three kinds of token from standing in for each other. */
export type TokenType = 'access' | 'refresh' | 'register';

/**
 * Our JWT payload as it travels. The claim names are short, and they stay as
 * issued: renaming them would make every outstanding access token and
 * registration ticket invalid. This file is the one place that maps them to
 * the names the code uses.
 */
export interface WireClaims {
  /** Access token: the user id. Registration ticket: the phone number (E.164). */
  sub: string;
  typ: TokenType;
  /** Registration ticket: its single-use id. */
  jti?: string;
  /** Registration ticket: the phone's country code. */
  cc?: string;
  /** Registration ticket: the national ("pure") phone number. */
  pure?: string;
  /** Access token: the login (refresh-token family) it belongs to. */
  fam?: string;
  /** Registration ticket: the openid of the WeChat identity to bind. */
  oid?: string;
  /** Registration ticket: that identity's unionid. */
  uid?: string;
  /** Registration ticket: the AppID the openid belongs to. */
  oapp?: string;
  exp: number;
}

/** Who a verified access token speaks for, and which login (refresh family) it belongs to. */
export interface AccessClaims {
  userId: string;
  familyId: string;
}

/** What a registration ticket vouches for. */
export interface TicketClaims {
  phone: VerifiedPhone;
  /** Its single-use id. */
  jti: string;
  /** The WeChat identity (from wx.login in one mini-program) to bind when the ticket is redeemed. */
  account?: WechatIdentityInApp;
}

export function accessToWire(claims: AccessClaims): Omit<WireClaims, 'exp'> {
  return { sub: claims.userId, typ: 'access', fam: claims.familyId };
}

export function accessFromWire(wire: WireClaims): AccessClaims | undefined {
  return wire.fam ? { userId: wire.sub, familyId: wire.fam } : undefined;
}

export function ticketToWire(ticket: TicketClaims): Omit<WireClaims, 'exp'> {
  const { phone, account } = ticket;
  return {
    sub: phone.phoneNumber,
    typ: 'register',
    jti: ticket.jti,
    cc: phone.countryCode,
    pure: phone.purePhoneNumber,
    ...(account ? { oapp: account.appId, oid: account.openid, uid: account.unionid } : {}),
  };
}

export function ticketFromWire(wire: WireClaims): TicketClaims | undefined {
  if (!wire.jti || !wire.cc || !wire.pure) return undefined;
  return {
    phone: { phoneNumber: wire.sub, countryCode: wire.cc, purePhoneNumber: wire.pure },
    jti: wire.jti,
    account:
      wire.oid && wire.oapp ? { appId: wire.oapp, openid: wire.oid, unionid: wire.uid } : undefined,
  };
}

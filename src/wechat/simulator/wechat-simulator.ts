import { randomBytes } from 'node:crypto';
import { SimulatedContentCheck } from './simulated-content-check';
import { asObject, checkCredentials, error, ok, SimulatorAnswer } from './simulator-answers';
import { SimulatorFaults } from './simulator-faults';
import { SimulatedTokens, TOKEN_OVERLAP_MS } from './simulator-tokens';

export type { SimulatorAnswer } from './simulator-answers';
export { TOKEN_OVERLAP_MS, TOKEN_TTL_SEC } from './simulator-tokens';

/** WeChat's documented lifetime of a phone or login code. */
export const CODE_TTL_MS = 5 * 60_000;

export interface SimulatorRequest {
  method: string;
  /** Path only, e.g. `/cgi-bin/token`. */
  path: string;
  query: Record<string, string>;
  body: unknown;
}

interface PhoneCode {
  appId: string;
  purePhoneNumber: string;
  countryCode: string;
  expiresAt: number;
  used: boolean;
}

interface LoginCode {
  appId: string;
  openid: string;
  unionid?: string;
  expiresAt: number;
  used: boolean;
}

/**
 * A stand-in for the parts of the WeChat server API this backend uses, with
 * WeChat's semantics: codes are single-use and live 5 minutes; classic
 * `/cgi-bin/token` rotates on every call and the old token dies 5 minutes
 * later; `stable_token` in normal mode returns the live token until its last
 * 5 minutes. It answers with WeChat's JSON shapes and errcodes, and with
 * injected faults (`faults`) for rehearsing failures.
 *
 * Several mini-programs can be simulated at once: tokens and codes belong to
 * one app, as at WeChat.
 *
 * Used in-process by the built-in simulator mode and, wrapped in a real HTTP
 * server, by the test suite's fake WeChat.
 */
export class WechatSimulator {
  private readonly phoneCodes = new Map<string, PhoneCode>();
  private readonly loginCodes = new Map<string, LoginCode>();
  private readonly secrets: Map<string, string>;
  private readonly tokens: SimulatedTokens;
  readonly faults = new SimulatorFaults();
  private lastSweep = 0;
  private readonly contentCheck: SimulatedContentCheck;

  /** `options.riskyWords`: what msg_sec_check calls risky (default `违禁词`); `tokenTtlSec`: access-token lifetime (default 7200). */
  constructor(
    private readonly clock: { now(): number },
    apps: readonly { appId: string; secret: string }[],
    options: { riskyWords?: readonly string[]; tokenTtlSec?: number } = {},
  ) {
    if (apps.length === 0) throw new Error('the simulator needs at least one app');
    this.secrets = new Map(apps.map((app) => [app.appId, app.secret]));
    this.contentCheck = new SimulatedContentCheck(clock, options.riskyWords ?? ['违禁词']);
    this.tokens = new SimulatedTokens(clock, this.secrets, options.tokenTtlSec);
  }

  /** `13800138000` or `+8613800138000`; countryCode defaults to 86. */
  mintPhoneCode(appId: string, phoneNumber: string, countryCode?: string): string {
    const { purePhoneNumber, country } = splitPhone(phoneNumber, countryCode);
    const code = randomCode();
    this.phoneCodes.set(code, {
      appId,
      purePhoneNumber,
      countryCode: country,
      expiresAt: this.clock.now() + CODE_TTL_MS,
      used: false,
    });
    return code;
  }

  mintLoginCode(appId: string, openid?: string, unionid?: string): string {
    const code = randomCode();
    this.loginCodes.set(code, {
      appId,
      openid: openid ?? `o_sim_${randomBytes(9).toString('base64url')}`,
      unionid,
      expiresAt: this.clock.now() + CODE_TTL_MS,
      used: false,
    });
    return code;
  }

  /** Every issued token stops working at once, as after a secret reset. */
  revokeAllTokens(): void {
    this.tokens.revokeAll();
  }

  /**
   * Drops every token that stops (or stopped) working before `cutoffMs`; such a
   * token then answers 40001 (unknown) rather than 42001. For long simulated
   * runs that issue many classic tokens: each new one walks all those kept.
   */
  forgetTokensExpiringBefore(cutoffMs: number): void {
    this.tokens.forgetExpiringBefore(cutoffMs);
  }

  handle(request: SimulatorRequest): SimulatorAnswer {
    this.forgetExpired();
    const fault = this.faults.take(request.path);
    if (fault) return fault;
    const route = `${request.method.toUpperCase()} ${request.path}`;
    switch (route) {
      case 'GET /cgi-bin/token':
        return this.tokens.classic(request.query);
      case 'POST /cgi-bin/stable_token':
        return this.tokens.stable(asObject(request.body));
      case 'POST /wxa/business/getuserphonenumber':
        return this.phoneNumber(request.query, asObject(request.body));
      case 'GET /sns/jscode2session':
        return this.codeToSession(request.query);
      case 'POST /wxa/msg_sec_check':
        return this.contentSecurity(request.query, asObject(request.body));
      default:
        return { status: 404, body: { errcode: 404, errmsg: 'not found' } };
    }
  }

  private phoneNumber(
    query: Record<string, string>,
    body: Record<string, unknown>,
  ): SimulatorAnswer {
    const checked = this.tokens.check(query.access_token);
    if ('status' in checked) return checked;
    const tokenApp = checked.appId;
    const code = typeof body.code === 'string' ? body.code : '';
    const entry = this.phoneCodes.get(code);
    // A code only works with a token of the app it was minted for.
    const spent = this.spend(entry?.appId === tokenApp ? entry : undefined);
    if (spent) return spent;
    const phone = entry as PhoneCode;
    return ok({
      phone_info: {
        phoneNumber:
          phone.countryCode === '86'
            ? phone.purePhoneNumber
            : `+${phone.countryCode}${phone.purePhoneNumber}`,
        purePhoneNumber: phone.purePhoneNumber,
        countryCode: phone.countryCode,
        watermark: {
          timestamp: Math.floor(this.clock.now() / 1000),
          appid: phone.appId,
        },
      },
    });
  }

  private codeToSession(query: Record<string, string>): SimulatorAnswer {
    if (query.grant_type !== 'authorization_code') {
      return error(40002, 'invalid grant_type');
    }
    const denied = checkCredentials(this.secrets, {
      grantType: 'client_credential',
      appid: query.appid,
      secret: query.secret,
    });
    if (denied) return denied;
    const entry = this.loginCodes.get(query.js_code ?? '');
    const spent = this.spend(entry?.appId === query.appid ? entry : undefined);
    if (spent) return spent;
    const login = entry as LoginCode;
    this.contentCheck.recordSeen(login.appId, login.openid);
    return ok({
      openid: login.openid,
      session_key: randomBytes(16).toString('base64'),
      ...(login.unionid ? { unionid: login.unionid } : {}),
    });
  }

  private contentSecurity(
    query: Record<string, string>,
    body: Record<string, unknown>,
  ): SimulatorAnswer {
    const checked = this.tokens.check(query.access_token);
    if ('status' in checked) return checked;
    return this.contentCheck.answer(checked.appId, body);
  }

  /** 40029 for an unknown or expired code, 40163 for one already used. */
  private spend(entry: PhoneCode | LoginCode | undefined): SimulatorAnswer | undefined {
    if (!entry || entry.expiresAt <= this.clock.now()) {
      return error(40029, 'invalid code');
    }
    if (entry.used) return error(40163, 'code been used');
    entry.used = true;
    return undefined;
  }

  /** Keeps memory bounded: codes are dropped a while after they expire (they answer 40029 either way). */
  private forgetExpired(): void {
    const now = this.clock.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    const cutoff = now - TOKEN_OVERLAP_MS;
    for (const [code, entry] of this.phoneCodes)
      if (entry.expiresAt < cutoff) this.phoneCodes.delete(code);
    for (const [code, entry] of this.loginCodes)
      if (entry.expiresAt < cutoff) this.loginCodes.delete(code);
    this.contentCheck.forgetStale();
  }
}

/** `+8613800138000` or `13800138000` with countryCode `86` (the default). */
function splitPhone(
  phoneNumber: string,
  countryCode = '86',
): { purePhoneNumber: string; country: string } {
  const international = phoneNumber.trim().startsWith('+');
  const digits = phoneNumber.replace(/[\s-]/g, '').replace(/^\+/, '');
  const purePhoneNumber =
    international && digits.startsWith(countryCode) ? digits.slice(countryCode.length) : digits;
  return { purePhoneNumber, country: countryCode };
}

function randomCode(): string {
  return randomBytes(24).toString('hex');
}

import { randomBytes } from 'node:crypto';
import { checkCredentials, error, ok, SimulatorAnswer } from './simulator-answers';

export const TOKEN_TTL_SEC = 7200;
/** A replaced token keeps working this long (classic rotation, stable renewal). */
export const TOKEN_OVERLAP_MS = 5 * 60_000;

interface IssuedToken {
  appId: string;
  /** WeChat keeps the two kinds apart: fetching one never invalidates the other. */
  kind: 'classic' | 'stable';
  expiresAt: number;
}

/**
 * The simulator's access tokens, with WeChat's semantics: classic
 * `/cgi-bin/token` rotates on every call and cuts the app's older classic
 * tokens to a 5-minute overlap; `stable_token` in normal mode returns the
 * live stable token until its last 5 minutes, and `force_refresh` rotates it.
 */
export class SimulatedTokens {
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly stableTokens = new Map<string, string>();

  /** `ttlSec`: the lifetime of a new token (WeChat's 7200 s; a soak run shortens it to see several renewals). */
  constructor(
    private readonly clock: { now(): number },
    private readonly secrets: ReadonlyMap<string, string>,
    private readonly ttlSec = TOKEN_TTL_SEC,
  ) {}

  classic(query: Record<string, string>): SimulatorAnswer {
    const request = { grantType: query.grant_type, appid: query.appid, secret: query.secret };
    const denied = checkCredentials(this.secrets, request, 40001);
    if (denied) return denied;
    const overlapEnd = this.clock.now() + TOKEN_OVERLAP_MS;
    for (const issued of this.tokens.values()) {
      if (issued.appId === query.appid && issued.kind === 'classic') {
        issued.expiresAt = Math.min(issued.expiresAt, overlapEnd);
      }
    }
    return ok({ access_token: this.issue(query.appid, 'classic'), expires_in: this.ttlSec });
  }

  stable(body: Record<string, unknown>): SimulatorAnswer {
    const request = { grantType: body.grant_type, appid: body.appid, secret: body.secret };
    const denied = checkCredentials(this.secrets, request);
    if (denied) return denied;
    const appId = body.appid as string;
    const now = this.clock.now();
    const currentToken = this.stableTokens.get(appId);
    const current = currentToken ? this.tokens.get(currentToken) : undefined;
    const renew =
      body.force_refresh === true || !current || current.expiresAt - now <= TOKEN_OVERLAP_MS;
    if (renew) {
      if (body.force_refresh === true && current) {
        current.expiresAt = Math.min(current.expiresAt, now + TOKEN_OVERLAP_MS);
      }
      this.stableTokens.set(appId, this.issue(appId, 'stable'));
    }
    const token = this.stableTokens.get(appId) as string;
    const expiresIn = Math.floor(((this.tokens.get(token) as IssuedToken).expiresAt - now) / 1000);
    return ok({ access_token: token, expires_in: expiresIn });
  }

  /** The app a live token belongs to, or WeChat's answer to a bad one. */
  check(token: string | undefined): { appId: string } | SimulatorAnswer {
    if (!token) return error(41001, 'access_token missing');
    const issued = this.tokens.get(token);
    if (!issued) return error(40001, 'invalid credential, access_token is invalid or not latest');
    if (issued.expiresAt <= this.clock.now()) return error(42001, 'access_token expired');
    return { appId: issued.appId };
  }

  revokeAll(): void {
    this.tokens.clear();
    this.stableTokens.clear();
  }

  forgetExpiringBefore(cutoffMs: number): void {
    for (const [token, issued] of this.tokens) {
      if (issued.expiresAt < cutoffMs) this.tokens.delete(token);
    }
  }

  private issue(appId: string, kind: IssuedToken['kind']): string {
    const token = `sim_${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, { appId, kind, expiresAt: this.clock.now() + this.ttlSec * 1000 });
    return token;
  }
}

import { WechatMisconfiguredError } from './wechat.errors';

/** An access token and the instant it stops working. */
export interface StoredToken {
  token: string;
  expiresAt: number;
}

/** What this process knows about one app's access token: its slot. */
export class AppToken {
  held: StoredToken | undefined;
  inFlight: Promise<StoredToken> | undefined;
  /** The last token WeChat rejected: never adopted again from the table. */
  rejected: string | undefined;
  /** The rejected token a force_refresh was already spent on: once per incident. */
  forcedFor: string | undefined;
  /**
   * WeChat refused the last fetch as misconfigured: until `retryAt`, calls
   * that need a token are answered from this record instead of each asking
   * WeChat again (token fetches are rationed to about 2000 a day).
   */
  misconfigured: { error: WechatMisconfiguredError; retryAt: number } | undefined;
  /** When this process last took a new token (fetched, or adopted from the table): for the operator. */
  refreshedAt: number | undefined;
  /** The last failure to obtain a token in this process, cleared by the next success: for the operator. */
  lastError: { at: number; message: string } | undefined;

  constructor(
    /** `<appid>:<mode>`: the row in wechat_access_tokens. */
    readonly key: string,
  ) {}

  /** Not rejected, and with more than `marginMs` left at `now`. */
  acceptable(token: StoredToken, now: number, marginMs: number): boolean {
    return token.token !== this.rejected && now < token.expiresAt - marginMs;
  }
}

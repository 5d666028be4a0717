import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AccessTokenStore } from './access-token.store';
import { WechatApp, WechatApps } from './wechat-app';
import { WechatBadResponseError, WechatMisconfiguredError } from './wechat.errors';

export interface AccessTokenStatus {
  appId: string;
  held: boolean;
  expiresInSec: number | null;
  mode: 'stable' | 'classic';
  /** WeChat refused the last token fetch as misconfigured: its errcode and what to check. */
  misconfigured: { errcode: number; hint: string } | null;
}

/** What the operator sees of an app's token (admin API): never the token or the secret. */
export interface OperatorTokenStatus extends AccessTokenStatus {
  expiresAt: string | null;
  /** When this instance last took a new token (fetched or adopted from the shared table). */
  lastRefreshAt: string | null;
  /** The last failure to obtain a token on this instance, until the next success. */
  lastError: { at: string; message: string } | null;
  /** WeChat's force-refresh budget, shared by every instance: used today (China time), and the last one. */
  forceRefresh: { today: number; lastAt: string | null };
}

/** What readiness reports about an app's token: whether one is held and for how long, never the token. */
export function accessTokenStatus(app: WechatApp, now: number): AccessTokenStatus {
  const slot = app.token;
  const remaining = slot.held ? slot.held.expiresAt - now : 0;
  return {
    appId: app.id,
    held: remaining > 0,
    expiresInSec: remaining > 0 ? Math.floor(remaining / 1000) : null,
    mode: app.tokenMode,
    misconfigured: slot.misconfigured
      ? { errcode: slot.misconfigured.error.errcode, hint: slot.misconfigured.error.hint }
      : null,
  };
}

/** A token failure in words for the operator: the errcode and what to check, never a URL or secret. */
export function describeTokenFailure(error: unknown): string {
  if (error instanceof WechatMisconfiguredError) return `errcode ${error.errcode}: ${error.hint}`;
  if (error instanceof WechatBadResponseError) return `${error.message} (${error.reason})`;
  const errcode = (error as { errcode?: unknown }).errcode;
  const message = error instanceof Error ? error.message : 'unknown failure';
  return typeof errcode === 'number' ? `errcode ${errcode}: ${message}` : message;
}

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/** Every app's token status, for the readiness check and the operator. */
@Injectable()
export class AccessTokenHealth {
  constructor(
    private readonly apps: WechatApps,
    private readonly clock: Clock,
    private readonly store: AccessTokenStore,
  ) {}

  statusOfAll(): AccessTokenStatus[] {
    return this.apps.all.map((app) => accessTokenStatus(app, this.clock.now()));
  }

  async operatorStatusOfAll(): Promise<OperatorTokenStatus[]> {
    const now = this.clock.now();
    return Promise.all(
      this.apps.all.map(async (app) => {
        const status = accessTokenStatus(app, now);
        const { today, lastAt } = await this.store.forceRefreshUse(app.token.key, now);
        const slot = app.token;
        return {
          ...status,
          expiresAt: status.held ? iso(slot.held?.expiresAt) : null,
          lastRefreshAt: iso(slot.refreshedAt),
          lastError: slot.lastError
            ? { at: iso(slot.lastError.at) as string, message: slot.lastError.message }
            : null,
          forceRefresh: { today, lastAt: iso(lastAt) },
        };
      }),
    );
  }
}

import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { WechatApp, WechatApps } from './wechat-app';

export interface AccessTokenStatus {
  appId: string;
  held: boolean;
  expiresInSec: number | null;
  mode: 'stable' | 'classic';
  /** WeChat refused the last token fetch as misconfigured: its errcode and what to check. */
  misconfigured: { errcode: number; hint: string } | null;
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

/** Every app's token status, for the readiness check. */
@Injectable()
export class AccessTokenHealth {
  constructor(
    private readonly apps: WechatApps,
    private readonly clock: Clock,
  ) {}

  statusOfAll(): AccessTokenStatus[] {
    return this.apps.all.map((app) => accessTokenStatus(app, this.clock.now()));
  }
}

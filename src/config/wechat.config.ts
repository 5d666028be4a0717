import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';
import { readFromProcess } from './read-from-process';

export type TokenMode = 'stable' | 'classic';

export interface WechatConfig {
  appId: string;
  secret: string;
  apiBaseUrl: string;
  tokenMode: TokenMode;
  timeoutMs: number;
  simulator: boolean;
}

/** The AppID the built-in simulator stamps into watermarks when none is configured. */
export const SIMULATOR_APPID = 'wx0000000000simulator';

export function readWechatConfig(env: EnvReader): WechatConfig {
  const isProduction = env.raw('NODE_ENV') === 'production';
  const appId = env.optionalString('WECHAT_APPID');
  const secret = env.optionalString('WECHAT_SECRET');
  const simulator = env.bool('WECHAT_SIMULATOR', !isProduction && appId === undefined);

  if (simulator && isProduction) {
    env.fail(
      'WECHAT_SIMULATOR',
      'must not be on in production (set WECHAT_APPID and WECHAT_SECRET)',
    );
  }
  if (!simulator) {
    if (appId === undefined) {
      env.fail('WECHAT_APPID', 'is required unless WECHAT_SIMULATOR is on');
    }
    if (secret === undefined) {
      env.fail('WECHAT_SECRET', 'is required unless WECHAT_SIMULATOR is on');
    }
  }
  if (env.raw('WECHAT_APPS') !== undefined) {
    env.fail(
      'WECHAT_APPS',
      'is not supported yet: configure one app with WECHAT_APPID and WECHAT_SECRET',
    );
  }

  return {
    appId: appId ?? SIMULATOR_APPID,
    secret: secret ?? 'simulator-secret',
    apiBaseUrl: env.url('WECHAT_API_BASE_URL', 'https://api.weixin.qq.com', ['https:', 'http:']),
    tokenMode: env.oneOf('WECHAT_TOKEN_MODE', 'stable', ['stable', 'classic'] as const),
    timeoutMs: env.int('WECHAT_TIMEOUT_MS', 5000, 100, 60_000),
    simulator,
  };
}

export const wechatConfig = registerAs('wechat', () => readFromProcess(readWechatConfig));

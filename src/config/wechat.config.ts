import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';
import { providedByAppModule } from './config-token';

export type TokenMode = 'stable' | 'classic';

export interface WechatAppCredentials {
  appId: string;
  secret: string;
}

export interface WechatConfig {
  /** Every mini-program this backend serves; the first is the primary one. */
  apps: WechatAppCredentials[];
  /** The primary app: the only one, or the first of several. */
  appId: string;
  secret: string;
  apiBaseUrl: string;
  tokenMode: TokenMode;
  timeoutMs: number;
  simulator: boolean;
  /** Nicknames go through WeChat's msg_sec_check (WECHAT_CONTENT_CHECK). */
  contentCheck: boolean;
  /** Words the simulator's msg_sec_check calls risky (WECHAT_SIMULATOR_RISKY_WORDS). */
  simulatorRiskyWords: string[];
}

/** The AppID the built-in simulator stamps into watermarks when none is configured. */
export const SIMULATOR_APPID = 'wx0000000000simulator';

const APPID = /^[\w-]{1,64}$/;

/**
 * `WECHAT_APPS`: a JSON array of `{ "appId": "wx…", "secret": "…" }` for
 * several mini-programs on one backend. WECHAT_APPID/WECHAT_SECRET, when
 * set, come first (they stay the way to configure a single app).
 */
function readApps(env: EnvReader): WechatAppCredentials[] {
  const apps: WechatAppCredentials[] = [];
  const appId = env.raw('WECHAT_APPID');
  const secret = env.raw('WECHAT_SECRET');
  if (appId !== undefined || secret !== undefined) {
    if (appId === undefined) env.fail('WECHAT_APPID', 'is required when WECHAT_SECRET is set');
    else if (!APPID.test(appId)) env.fail('WECHAT_APPID', 'is not a valid AppID');
    if (secret === undefined) env.fail('WECHAT_SECRET', 'is required when WECHAT_APPID is set');
    if (appId !== undefined && secret !== undefined) apps.push({ appId, secret });
  }
  const list = env.raw('WECHAT_APPS');
  if (list !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(list);
    } catch {
      parsed = undefined;
    }
    const entries = Array.isArray(parsed) ? (parsed as unknown[]) : [];
    if (entries.length === 0) {
      env.fail('WECHAT_APPS', 'must be a JSON array of {"appId":"wx…","secret":"…"}');
    }
    entries.forEach((entry, index) => {
      const { appId: id, secret: key } = (entry ?? {}) as Record<string, unknown>;
      if (typeof id !== 'string' || !APPID.test(id) || typeof key !== 'string' || key === '') {
        env.fail('WECHAT_APPS', `entry ${index} needs a valid "appId" and a non-empty "secret"`);
      } else if (apps.some((app) => app.appId === id)) {
        env.fail('WECHAT_APPS', `lists ${id} twice (or also as WECHAT_APPID)`);
      } else {
        apps.push({ appId: id, secret: key });
      }
    });
  }
  return apps;
}

export function readWechatConfig(env: EnvReader): WechatConfig {
  const isProduction = env.raw('NODE_ENV') === 'production';
  const configured = readApps(env);
  const simulator = env.bool('WECHAT_SIMULATOR', !isProduction && configured.length === 0);

  if (simulator && isProduction) {
    env.fail(
      'WECHAT_SIMULATOR',
      'must not be on in production (set WECHAT_APPID and WECHAT_SECRET)',
    );
  }
  if (!simulator && configured.length === 0) {
    env.fail('WECHAT_APPID', 'is required unless WECHAT_SIMULATOR is on (or set WECHAT_APPS)');
    env.fail('WECHAT_SECRET', 'is required unless WECHAT_SIMULATOR is on (or set WECHAT_APPS)');
  }
  const apps =
    configured.length > 0 ? configured : [{ appId: SIMULATOR_APPID, secret: 'simulator-secret' }];

  return {
    apps,
    appId: apps[0].appId,
    secret: apps[0].secret,
    apiBaseUrl: env.url('WECHAT_API_BASE_URL', 'https://api.weixin.qq.com', ['https:', 'http:']),
    tokenMode: env.oneOf('WECHAT_TOKEN_MODE', 'stable', ['stable', 'classic'] as const),
    timeoutMs: env.int('WECHAT_TIMEOUT_MS', 5000, 100, 60_000),
    simulator,
    contentCheck: env.bool('WECHAT_CONTENT_CHECK', true),
    simulatorRiskyWords: readRiskyWords(env),
  };
}

/** Comma-separated (ASCII or full-width comma), trimmed; at least one word. */
function readRiskyWords(env: EnvReader): string[] {
  const fallback = ['违禁词'];
  const value = env.raw('WECHAT_SIMULATOR_RISKY_WORDS');
  if (value === undefined) return fallback;
  const words = value
    .split(/[,，]/)
    .map((word) => word.trim())
    .filter((word) => word !== '');
  if (words.length === 0) {
    env.fail('WECHAT_SIMULATOR_RISKY_WORDS', 'must list at least one word (comma-separated)');
    return fallback;
  }
  return words;
}

export const wechatConfig = registerAs('wechat', providedByAppModule<WechatConfig>('wechat'));

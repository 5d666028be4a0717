import { AppConfig, readAppConfig } from './app.config';
import { AvatarConfig, readAvatarConfig } from './avatar.config';
import { DatabaseConfig, readDatabaseConfig } from './database.config';
import { EnvReader, RawEnv } from './env-reader';
import { JwtConfig, readJwtConfig } from './jwt.config';
import { RateLimitConfig, readRateLimitConfig } from './rate-limit.config';
import { readServerConfig, ServerConfig } from './server.config';
import { readWechatConfig, WechatConfig } from './wechat.config';

/** What the schema migrations need to know about the deployment. */
export interface MigrationConfig {
  /**
   * The AppID configured as primary (WECHAT_APPID, or the first of
   * WECHAT_APPS); undefined when none is, i.e. the simulator's stand-in.
   * Openids stored before per-app bindings existed belong to this app.
   */
  primaryAppId?: string;
}

/** Every typed configuration, each provided under its registerAs() token. */
export interface Configuration {
  app: AppConfig;
  database: DatabaseConfig;
  wechat: WechatConfig;
  jwt: JwtConfig;
  rateLimit: RateLimitConfig;
  server: ServerConfig;
  avatar: AvatarConfig;
  migrations: MigrationConfig;
}

export interface LoadedConfiguration {
  config: Configuration;
  /** Every problem found, all at once; the config holds defaults where a value was invalid. */
  errors: string[];
}

/**
 * The one reading of the environment: the app (main.ts), the migration CLI
 * (ormconfig.ts) and the tests all build their configuration here, from a
 * plain map (readEnvironment() for the real process).
 */
export function loadConfig(raw: RawEnv): LoadedConfiguration {
  const env = new EnvReader(raw);
  const app = readAppConfig(env);
  const database = readDatabaseConfig(env);
  const wechat = readWechatConfig(env);
  const jwt = readJwtConfig(env);
  const rateLimit = readRateLimitConfig(env);
  const server = readServerConfig(env, wechat.simulator);
  const avatar = readAvatarConfig(env);
  const migrations = { primaryAppId: configuredAppId(env, wechat) };
  return {
    config: { app, database, wechat, jwt, rateLimit, server, avatar, migrations },
    errors: env.errors,
  };
}

/** The primary AppID when one is validly configured, never the simulator's stand-in. */
function configuredAppId(env: EnvReader, wechat: WechatConfig): string | undefined {
  const given = env.raw('WECHAT_APPID') !== undefined || env.raw('WECHAT_APPS') !== undefined;
  const invalid = env.errors.some((error) => /^WECHAT_(APPID|APPS|SECRET) /.test(error));
  return given && !invalid ? wechat.appId : undefined;
}

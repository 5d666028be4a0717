/**
 * The world the access-token specs run in: one app, a shared token table, a
 * fake WeChat that counts its token fetches, and as many instances as a test
 * starts.
 */
import { Logger } from '@nestjs/common';
import { openMemoryDatabase } from './memory-database';
import { DataSource } from 'typeorm';
import { TokenMode, WechatConfig } from '../../src/config/wechat.config';
import { AccessTokenService } from '../../src/wechat/access-token.service';
import { AccessTokenFetcher } from '../../src/wechat/access-token.fetcher';
import { AccessTokenLease } from '../../src/wechat/access-token.lease';
import { AccessTokenScheduler } from '../../src/wechat/access-token.scheduler';
import { accessTokenStatus } from '../../src/wechat/access-token.status';
import { AccessTokenStore } from '../../src/wechat/access-token.store';
import { WechatApps } from '../../src/wechat/wechat-app';
import { WechatAccessToken } from '../../src/wechat/wechat-access-token.entity';
import { FetchedAccessToken, WechatApiClient } from '../../src/wechat/wechat-api.client';
import { FixedClock } from './fixed-clock';
import { AppMetrics } from '../../src/metrics/app-metrics';

export const APPID = 'wx1234567890abcdef';
export const EXPIRES_IN_SEC = 7200;
export const LIFETIME_MS = EXPIRES_IN_SEC * 1000;
/** Another instance's id in the lease column. */
export const OTHER_HOLDER = 'other-host:4242:abcdef';

let dataSource: DataSource;

/** A fresh database for every test of the calling spec file. */
export function useTokenDatabase(): void {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(async () => {
    dataSource = await openMemoryDatabase();
  });

  afterEach(async () => {
    await dataSource.destroy();
  });
}

/**
 * One app, one database, one fake WeChat that hands out `token-1`, `token-2`, …
 * `instance()` starts another app instance (its own AccessTokenService) on
 * the shared table, as N processes behind a load balancer would be.
 */
export function setup(options: { tokenMode?: TokenMode; timeoutMs?: number } = {}) {
  const tokenMode = options.tokenMode ?? 'stable';
  const clock = new FixedClock();
  let issued = 0;
  const fetchAccessToken = jest.fn<
    Promise<FetchedAccessToken>,
    Parameters<WechatApiClient['fetchAccessToken']>
  >(() => Promise.resolve({ accessToken: `token-${++issued}`, expiresInSec: EXPIRES_IN_SEC }));
  const client = { fetchAccessToken } as unknown as WechatApiClient;
  const config: WechatConfig = {
    apps: [{ appId: APPID, secret: 'app-secret' }],
    appId: APPID,
    secret: 'app-secret',
    apiBaseUrl: 'https://api.weixin.qq.com',
    tokenMode,
    timeoutMs: options.timeoutMs ?? 5000,
    simulator: false,
    contentCheck: true,
    simulatorRiskyWords: ['违禁词'],
  };
  const rows = dataSource.getRepository(WechatAccessToken);
  const store = new AccessTokenStore(rows);
  /** One process: its own apps (and token slots), service and schedule, on the shared table. */
  /** One process's lease protocol, and its own copy of the app. */
  const leaseOfInstance = () => ({
    app: new WechatApps(config).all[0],
    lease: new AccessTokenLease(
      store,
      new AccessTokenFetcher(client, store, clock, new AppMetrics({ enabled: false })),
      clock,
      config,
    ),
  });
  const instance = () => {
    const { app, lease } = leaseOfInstance();
    const service = new AccessTokenService(lease, clock);
    const scheduler = new AccessTokenScheduler({ all: [app] } as unknown as WechatApps, service);
    return {
      getToken: () => service.getToken(app),
      invalidate: (token: string) => service.invalidate(app, token),
      refreshIfDue: () => scheduler.refreshIfDue(),
      onApplicationBootstrap: () => scheduler.onApplicationBootstrap(),
      status: () => accessTokenStatus(app, clock.now()),
    };
  };
  const appKey = `${APPID}:${tokenMode}`;
  const t0 = clock.now();
  return {
    clock,
    fetchAccessToken,
    leaseOfInstance,
    store,
    instance,
    appKey,
    t0,
    /** When a token fetched at t0 expires. */
    expiresAt: t0 + LIFETIME_MS,
    row: () => rows.findOneBy({ appKey }),
    /** Answers the next fetch with `token`. */
    nextFetchReturns: (token: string) =>
      fetchAccessToken.mockResolvedValueOnce({ accessToken: token, expiresInSec: EXPIRES_IN_SEC }),
  };
}

/** An instance that holds `token-1`, fetched at t0; the fetch counter is reset. */
export async function holding(world: ReturnType<typeof setup>): Promise<Instance> {
  const service = world.instance();
  await expect(service.getToken()).resolves.toBe('token-1');
  world.fetchAccessToken.mockClear();
  return service;
}

/**
 * Two instances that both held `token-1`; then WeChat rejected it on A, which
 * fetched and stored `token-2` (B still holds `token-1`).
 */
export async function rotatedOnA(
  world: ReturnType<typeof setup>,
): Promise<{ a: Instance; b: Instance }> {
  const a = await holding(world);
  const b = world.instance();
  await expect(b.getToken()).resolves.toBe('token-1');
  await a.invalidate('token-1');
  await expect(a.getToken()).resolves.toBe('token-2');
  return { a, b };
}

export type Instance = ReturnType<ReturnType<typeof setup>['instance']>;

import { Logger } from '@nestjs/common';
import { openMemoryDatabase } from '../../test/helpers/memory-database';
import { DataSource } from 'typeorm';
import { TokenMode, WechatConfig } from '../config/wechat.config';
import { AccessTokenService, USE_MARGIN_MS } from './access-token.service';
import { AccessTokenFetcher } from './access-token.fetcher';
import { AccessTokenLease } from './access-token.lease';
import { AccessTokenScheduler, REFRESH_AHEAD_MS } from './access-token.scheduler';
import { accessTokenStatus } from './access-token.status';
import {
  AccessTokenStore,
  FORCE_REFRESH_MIN_INTERVAL_MS,
  FORCE_REFRESH_PER_DAY,
} from './access-token.store';
import { WechatApps } from './wechat-app';
import { WechatAccessToken } from './wechat-access-token.entity';
import { FetchedAccessToken, WechatApiClient } from './wechat-api.client';
import { MISCONFIGURED_HINTS, MISCONFIGURED_RETRY_SEC } from './wechat-errcodes';
import { WechatMisconfiguredError, WechatUnreachableError } from './wechat.errors';
import { FixedClock } from '../../test/helpers/fixed-clock';

const APPID = 'wx1234567890abcdef';
const EXPIRES_IN_SEC = 7200;
const LIFETIME_MS = EXPIRES_IN_SEC * 1000;
/** Another instance's id in the lease column. */
const OTHER_HOLDER = 'other-host:4242:abcdef';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Waits (on the event loop, not the fake clock) until `condition` holds. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting until ${what}`);
}

let dataSource: DataSource;

beforeAll(() => {
  Logger.overrideLogger(false);
});

beforeEach(async () => {
  dataSource = await openMemoryDatabase();
});

afterEach(async () => {
  await dataSource.destroy();
});

/**
 * One app, one database, one fake WeChat that hands out `token-1`, `token-2`, …
 * `instance()` starts another app instance (its own AccessTokenService) on
 * the shared table, as N processes behind a load balancer would be.
 */
function setup(options: { tokenMode?: TokenMode; timeoutMs?: number } = {}) {
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
  const instance = () => {
    const [app] = new WechatApps(config).all;
    const lease = new AccessTokenLease(
      store,
      new AccessTokenFetcher(client, store, clock),
      clock,
      config,
    );
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
async function holding(world: ReturnType<typeof setup>): Promise<Instance> {
  const service = world.instance();
  await expect(service.getToken()).resolves.toBe('token-1');
  world.fetchAccessToken.mockClear();
  return service;
}

type Instance = ReturnType<ReturnType<typeof setup>['instance']>;

describe('AccessTokenService', () => {
  describe('getToken()', () => {
    it('100 concurrent calls with nothing stored share exactly one fetch, and store its token', async () => {
      const world = setup();
      const service = world.instance();
      const answer = deferred<FetchedAccessToken>();
      world.fetchAccessToken.mockReturnValueOnce(answer.promise);

      const requests = Array.from({ length: 50 }, () => service.getToken());
      await until(() => world.fetchAccessToken.mock.calls.length > 0, 'the fetch starts');
      // Half of the calls arrive while the fetch is already under way.
      requests.push(...Array.from({ length: 50 }, () => service.getToken()));
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      answer.resolve({ accessToken: 'the-one-token', expiresInSec: EXPIRES_IN_SEC });

      const tokens = await Promise.all(requests);
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      expect(world.fetchAccessToken).toHaveBeenCalledWith(expect.objectContaining({ id: APPID }));
      expect(new Set(tokens)).toEqual(new Set(['the-one-token']));
      await expect(world.row()).resolves.toMatchObject({
        token: 'the-one-token',
        expiresAt: world.expiresAt,
        leaseHolder: null,
        leaseUntil: null,
      });
    });

    it('a second instance starting while a valid token is stored uses it without fetching', async () => {
      const world = setup();
      await holding(world);

      const second = world.instance();
      second.onApplicationBootstrap();
      const third = world.instance();

      await expect(second.getToken()).resolves.toBe('token-1');
      await expect(third.getToken()).resolves.toBe('token-1');
      expect(world.fetchAccessToken).not.toHaveBeenCalled();
    });

    it('two cold instances × 50 concurrent calls cause one fetch in all', async () => {
      const world = setup();
      const [a, b] = [world.instance(), world.instance()];

      const tokens = await Promise.all(
        Array.from({ length: 50 }, () => [a.getToken(), b.getToken()]).flat(),
      );

      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      expect(new Set(tokens)).toEqual(new Set(['token-1']));
    });

    it('never fetches while the held token has more than USE_MARGIN_MS left', async () => {
      const world = setup();
      const service = await holding(world);

      world.clock.set(world.expiresAt - USE_MARGIN_MS - 1);

      await expect(service.getToken()).resolves.toBe('token-1');
      await expect(service.getToken()).resolves.toBe('token-1');
      expect(world.fetchAccessToken).not.toHaveBeenCalled();
    });

    it('fetches once when the held token is within USE_MARGIN_MS of expiry', async () => {
      const world = setup();
      const service = await holding(world);

      world.clock.set(world.expiresAt - USE_MARGIN_MS);

      const tokens = await Promise.all([service.getToken(), service.getToken()]);
      expect(tokens).toEqual(['token-2', 'token-2']);
      await expect(service.getToken()).resolves.toBe('token-2');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('fetches once when the held token has expired', async () => {
      const world = setup();
      const service = await holding(world);

      world.clock.set(world.expiresAt + 60_000);

      await expect(service.getToken()).resolves.toBe('token-2');
      await expect(service.getToken()).resolves.toBe('token-2');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('measures expiry from when the fetch started, so a slow fetch never overstates the lifetime', async () => {
      const world = setup();
      const service = world.instance();
      const answer = deferred<FetchedAccessToken>();
      world.fetchAccessToken.mockReturnValueOnce(answer.promise);

      const first = service.getToken();
      await until(() => world.fetchAccessToken.mock.calls.length === 1, 'the fetch starts');
      world.clock.set(world.t0 + 4000);
      answer.resolve({ accessToken: 'slow-token', expiresInSec: EXPIRES_IN_SEC });
      await expect(first).resolves.toBe('slow-token');

      expect(service.status().expiresInSec).toBe(EXPIRES_IN_SEC - 4);
      await expect(world.row()).resolves.toMatchObject({ expiresAt: world.expiresAt });
    });
  });

  describe('refreshIfDue() (the scheduled job)', () => {
    it('does nothing while more than REFRESH_AHEAD_MS remain', async () => {
      const world = setup();
      const service = await holding(world);

      world.clock.set(world.expiresAt - REFRESH_AHEAD_MS - 1);
      await service.refreshIfDue();

      expect(world.fetchAccessToken).not.toHaveBeenCalled();
      await expect(service.getToken()).resolves.toBe('token-1');
    });

    it('fetches once at REFRESH_AHEAD_MS before expiry, serving the old token until the new one arrives', async () => {
      const world = setup();
      const service = await holding(world);
      const answer = deferred<FetchedAccessToken>();
      world.fetchAccessToken.mockReturnValueOnce(answer.promise);

      world.clock.set(world.expiresAt - REFRESH_AHEAD_MS);
      const refresh = service.refreshIfDue();
      await until(() => world.fetchAccessToken.mock.calls.length === 1, 'the refresh fetches');

      // The refresh is in flight: requests keep using the still-valid old token.
      await expect(service.getToken()).resolves.toBe('token-1');

      answer.resolve({ accessToken: 'token-renewed', expiresInSec: EXPIRES_IN_SEC });
      await refresh;

      await expect(service.getToken()).resolves.toBe('token-renewed');
      await service.refreshIfDue();
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      await expect(world.row()).resolves.toMatchObject({ token: 'token-renewed' });
    });

    it('4 instances running the job at once when it is due cause one fetch, and all 4 then hold the new token', async () => {
      const world = setup();
      await holding(world);
      const instances = [world.instance(), world.instance(), world.instance(), world.instance()];
      for (const instance of instances) {
        await expect(instance.getToken()).resolves.toBe('token-1');
      }

      world.clock.set(world.expiresAt - REFRESH_AHEAD_MS + 1);
      await Promise.all(instances.map((instance) => instance.refreshIfDue()));

      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      // Past the old token's usable life: only a held new token avoids a fetch.
      world.clock.set(world.expiresAt - USE_MARGIN_MS);
      await expect(Promise.all(instances.map((i) => i.getToken()))).resolves.toEqual(
        Array(4).fill('token-2'),
      );
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('adopts a token another instance stored, even while its own is still fresh', async () => {
      const world = setup();
      const a = await holding(world);
      const b = world.instance();
      await expect(b.getToken()).resolves.toBe('token-1');

      // WeChat rejected token-1 on instance A, which fetched and stored token-2.
      await a.invalidate('token-1');
      await expect(a.getToken()).resolves.toBe('token-2');
      await expect(b.getToken()).resolves.toBe('token-1');

      await b.refreshIfDue();

      await expect(b.getToken()).resolves.toBe('token-2');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('fetches when nothing is held, and swallows a failure so the next run tries again', async () => {
      const world = setup();
      const service = world.instance();
      world.fetchAccessToken.mockRejectedValueOnce(new WechatUnreachableError('timeout'));

      await expect(service.refreshIfDue()).resolves.toBeUndefined();
      expect(service.status().held).toBe(false);

      await service.refreshIfDue();
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(2);
      expect(service.status().held).toBe(true);
      await expect(service.getToken()).resolves.toBe('token-1');
    });
  });

  describe('invalidate(token): compare-and-expire', () => {
    it('dropping the held token expires it in the table, and the next getToken() fetches once', async () => {
      const world = setup();
      const service = await holding(world);
      world.clock.set(world.t0 + 60_000);

      await service.invalidate('token-1');

      await expect(world.row()).resolves.toMatchObject({
        token: 'token-1',
        expiresAt: world.t0 + 60_000,
      });
      await expect(service.getToken()).resolves.toBe('token-2');
      await expect(service.getToken()).resolves.toBe('token-2');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('a stale token leaves the held token and the stored replacement alone', async () => {
      const world = setup();
      const a = await holding(world);
      const b = world.instance();
      await expect(b.getToken()).resolves.toBe('token-1');
      await a.invalidate('token-1');
      await expect(a.getToken()).resolves.toBe('token-2');
      world.fetchAccessToken.mockClear();

      const reads = jest.spyOn(world.store, 'read');

      // A late failure of a call made with token-1, on either instance.
      await a.invalidate('token-1');
      await b.invalidate('token-1');
      await a.invalidate('token-0-from-before');
      await expect(a.getToken()).resolves.toBe('token-2');
      // A held token that was not the rejected one stays held: not even a read.
      expect(reads).not.toHaveBeenCalled();

      await expect(world.row()).resolves.toMatchObject({
        token: 'token-2',
        expiresAt: world.expiresAt,
      });
      await expect(a.getToken()).resolves.toBe('token-2');
      await expect(b.getToken()).resolves.toBe('token-2');
      expect(world.fetchAccessToken).not.toHaveBeenCalled();
    });

    it('50 requests failing with the same token cause exactly one new fetch', async () => {
      const world = setup();
      const service = await holding(world);
      const retry = async () => {
        await service.invalidate('token-1');
        return service.getToken();
      };

      const tokens = await Promise.all(Array.from({ length: 50 }, retry));

      expect(new Set(tokens)).toEqual(new Set(['token-2']));
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);

      // Late failures with the old token must not discard its replacement.
      await expect(Promise.all(Array.from({ length: 50 }, retry))).resolves.toEqual(
        Array(50).fill('token-2'),
      );
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('25 failing requests on each of two instances cause one new fetch in all', async () => {
      const world = setup();
      const a = await holding(world);
      const b = world.instance();
      await expect(b.getToken()).resolves.toBe('token-1');
      const retry = async (service: Instance) => {
        await service.invalidate('token-1');
        return service.getToken();
      };

      const tokens = await Promise.all(
        Array.from({ length: 25 }, () => [retry(a), retry(b)]).flat(),
      );

      expect(new Set(tokens)).toEqual(new Set(['token-2']));
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });
  });

  describe('the lease', () => {
    it('another holder blocks fetching until it runs out: waiters give up after timeoutMs + 1 s, then a call takes over', async () => {
      const world = setup({ timeoutMs: 200 });
      const service = world.instance();
      const leaseUntil = world.t0 + 60_000;
      // Another instance took the lease and then died mid-fetch.
      await expect(
        world.store.tryAcquireLease(world.appKey, OTHER_HOLDER, world.t0, leaseUntil),
      ).resolves.toBe(true);

      const waiting = service.getToken();
      await expect(waiting).rejects.toMatchObject({ code: 'WECHAT_UNAVAILABLE' });
      // It polled the table on the clock until exactly timeoutMs + 1 s had passed.
      expect(world.clock.now()).toBe(world.t0 + 200 + 1000);
      await expect(waiting).rejects.toBeInstanceOf(WechatUnreachableError);
      expect(world.fetchAccessToken).not.toHaveBeenCalled();

      world.clock.set(leaseUntil + 1);
      await expect(service.getToken()).resolves.toBe('token-1');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      await expect(world.row()).resolves.toMatchObject({
        token: 'token-1',
        leaseHolder: null,
        leaseUntil: null,
      });
    });

    it('the lease winner looks at the table again before fetching', async () => {
      const world = setup();
      await holding(world);
      const late = world.instance();
      // Its first look predates the other instance's save; the lease is free by the time it asks.
      jest.spyOn(world.store, 'read').mockResolvedValueOnce(undefined);

      await expect(late.getToken()).resolves.toBe('token-1');
      expect(world.fetchAccessToken).not.toHaveBeenCalled();
    });

    it('a waiting instance picks up the token the lease holder stores', async () => {
      const world = setup();
      const holder = world.instance();
      const waiter = world.instance();
      const answer = deferred<FetchedAccessToken>();
      world.fetchAccessToken.mockReturnValueOnce(answer.promise);

      const first = holder.getToken();
      await until(() => world.fetchAccessToken.mock.calls.length === 1, 'the holder fetches');
      const leaseTries = jest.spyOn(world.store, 'tryAcquireLease');
      const second = waiter.getToken();
      await until(() => leaseTries.mock.calls.length >= 3, 'the waiter polls a few times');
      answer.resolve({ accessToken: 'from-the-holder', expiresInSec: EXPIRES_IN_SEC });

      await expect(Promise.all([first, second])).resolves.toEqual([
        'from-the-holder',
        'from-the-holder',
      ]);
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });
  });

  describe('stable_token force_refresh', () => {
    it('is used once when stable_token hands back the token that was just rejected', async () => {
      const world = setup();
      const service = await holding(world);
      world.nextFetchReturns('token-1');

      await service.invalidate('token-1');
      await expect(service.getToken()).resolves.toBe('token-2');

      expect(world.fetchAccessToken.mock.calls).toEqual([
        [expect.objectContaining({ id: APPID })],
        [expect.objectContaining({ id: APPID }), { forceRefresh: true }],
      ]);
      await expect(world.row()).resolves.toMatchObject({ token: 'token-2' });
    });

    it('is not used again for the same incident, even after 30 s', async () => {
      const world = setup();
      const service = await holding(world);
      // WeChat keeps handing back token-1, even when forced.
      world.fetchAccessToken.mockResolvedValue({
        accessToken: 'token-1',
        expiresInSec: EXPIRES_IN_SEC,
      });

      await service.invalidate('token-1');
      await expect(service.getToken()).resolves.toBe('token-1');
      world.clock.set(world.t0 + FORCE_REFRESH_MIN_INTERVAL_MS + 1);
      await service.invalidate('token-1');
      await expect(service.getToken()).resolves.toBe('token-1');

      const forced = world.fetchAccessToken.mock.calls.filter(
        ([, options]) => options?.forceRefresh,
      );
      expect(forced).toHaveLength(1);
    });

    it('is never used twice within FORCE_REFRESH_MIN_INTERVAL_MS, and is used again after it', async () => {
      const world = setup();
      const service = await holding(world);
      const forcedCalls = () =>
        world.fetchAccessToken.mock.calls.filter(([, options]) => options?.forceRefresh).length;

      // Incident 1 at t0: token-1 rejected, stable_token returns it, forced → token-2.
      world.nextFetchReturns('token-1');
      await service.invalidate('token-1');
      await expect(service.getToken()).resolves.toBe('token-2');
      expect(forcedCalls()).toBe(1);

      // Incident 2, 10 s later: token-2 rejected and handed back again: no force allowed yet.
      world.clock.set(world.t0 + 10_000);
      world.nextFetchReturns('token-2');
      await service.invalidate('token-2');
      await expect(service.getToken()).resolves.toBe('token-2');
      expect(forcedCalls()).toBe(1);

      // 30 s after the first force: allowed again.
      world.clock.set(world.t0 + FORCE_REFRESH_MIN_INTERVAL_MS);
      world.nextFetchReturns('token-2');
      world.nextFetchReturns('token-3');
      await service.invalidate('token-2');
      await expect(service.getToken()).resolves.toBe('token-3');
      expect(forcedCalls()).toBe(2);
    });

    it('is rationed in the shared table: another instance, or this one restarted, waits 30 s too', async () => {
      const world = setup();
      const a = await holding(world);
      const forcedCalls = () =>
        world.fetchAccessToken.mock.calls.filter(([, options]) => options?.forceRefresh).length;
      world.nextFetchReturns('token-1');
      await a.invalidate('token-1');
      await expect(a.getToken()).resolves.toBe('token-2');
      expect(forcedCalls()).toBe(1);

      // 10 s later a fresh instance (a second one, or `a` after a restart) sees token-2 rejected.
      world.clock.set(world.t0 + 10_000);
      const b = world.instance();
      await expect(b.getToken()).resolves.toBe('token-2');
      world.nextFetchReturns('token-2');
      await b.invalidate('token-2');
      await expect(b.getToken()).resolves.toBe('token-2');
      expect(forcedCalls()).toBe(1);
      await expect(world.row()).resolves.toMatchObject({
        forceRefreshedAt: world.t0,
        forceRefreshCount: 1,
      });
    });

    it(`is used at most ${FORCE_REFRESH_PER_DAY} times a day (China time), then again the next day`, async () => {
      const world = setup();
      // 00:00:10 in China (UTC+8) on some day.
      const midnightChina =
        Math.ceil((world.t0 + 8 * 3_600_000) / 86_400_000) * 86_400_000 - 8 * 3_600_000;
      world.clock.set(midnightChina + 10_000);
      let n = 1;
      const service = world.instance();
      await expect(service.getToken()).resolves.toBe('token-1');
      const incident = async () => {
        // Every incident: a fresh instance, WeChat hands back the rejected token.
        const current = `token-${n}`;
        const fresh = world.instance();
        await expect(fresh.getToken()).resolves.toBe(current);
        world.nextFetchReturns(current);
        world.nextFetchReturns(`token-${n + 1}`);
        await fresh.invalidate(current);
        const got = await fresh.getToken();
        if (got !== current) n++;
        world.fetchAccessToken.mockReset();
        world.fetchAccessToken.mockImplementation(() =>
          Promise.resolve({ accessToken: `token-${n}`, expiresInSec: EXPIRES_IN_SEC }),
        );
        world.clock.advance(FORCE_REFRESH_MIN_INTERVAL_MS);
        return got !== current;
      };
      let forced = 0;
      for (let i = 0; i < FORCE_REFRESH_PER_DAY + 3; i++) if (await incident()) forced++;
      expect(forced).toBe(FORCE_REFRESH_PER_DAY);

      world.clock.set(midnightChina + 86_400_000);
      expect(await incident()).toBe(true);
    });

    it('is never used in classic mode', async () => {
      const world = setup({ tokenMode: 'classic' });
      const service = await holding(world);
      world.nextFetchReturns('token-1');

      await service.invalidate('token-1');
      await expect(service.getToken()).resolves.toBe('token-1');

      expect(world.fetchAccessToken.mock.calls).toEqual([[expect.objectContaining({ id: APPID })]]);
      await expect(world.row()).resolves.toMatchObject({ appKey: `${APPID}:classic` });
    });
  });

  describe('a failing fetch', () => {
    it('rejects every concurrent waiter with the error, frees the lease, and the next call tries again', async () => {
      const world = setup();
      const service = world.instance();
      const answer = deferred<FetchedAccessToken>();
      world.fetchAccessToken.mockReturnValueOnce(answer.promise);
      const failure = new WechatUnreachableError('timeout');

      const waiters = Array.from({ length: 10 }, () => service.getToken());
      await until(() => world.fetchAccessToken.mock.calls.length === 1, 'the fetch starts');
      await expect(world.row()).resolves.toMatchObject({ leaseHolder: expect.any(String) });
      answer.reject(failure);

      await Promise.all(waiters.map((waiter) => expect(waiter).rejects.toBe(failure)));
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      await expect(world.row()).resolves.toMatchObject({
        token: null,
        leaseHolder: null,
        leaseUntil: null,
      });

      await expect(service.getToken()).resolves.toBe('token-1');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(2);
    });

    it('frees the lease for another instance, which then fetches without waiting for it to run out', async () => {
      const world = setup();
      const a = await holding(world);
      const b = world.instance();
      world.clock.set(world.expiresAt);
      world.fetchAccessToken.mockRejectedValueOnce(new WechatUnreachableError('timeout'));

      await expect(a.getToken()).rejects.toBeInstanceOf(WechatUnreachableError);
      await expect(b.getToken()).resolves.toBe('token-2');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(2);
    });
  });

  describe('a fetch WeChat refuses as misconfigured', () => {
    const refused = () => new WechatMisconfiguredError(40164, MISCONFIGURED_HINTS[40164], 60);

    it('is answered from memory, not by WeChat, until it is tried again once per MISCONFIGURED_RETRY_SEC', async () => {
      const world = setup();
      const service = world.instance();
      world.fetchAccessToken.mockRejectedValueOnce(refused());
      world.fetchAccessToken.mockRejectedValueOnce(refused());

      await expect(service.getToken()).rejects.toMatchObject({
        code: 'WECHAT_MISCONFIGURED',
        options: { retryAfterSec: MISCONFIGURED_RETRY_SEC },
      });
      world.clock.set(world.t0 + 45_000);
      const during = await Promise.allSettled(Array.from({ length: 20 }, () => service.getToken()));
      expect(during.map((r) => r.status)).toEqual(Array(20).fill('rejected'));
      expect((during[0] as PromiseRejectedResult).reason).toMatchObject({
        code: 'WECHAT_MISCONFIGURED',
        errcode: 40164,
        options: { retryAfterSec: 15 },
      });
      await service.refreshIfDue();
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      expect(service.status().misconfigured).toEqual({
        errcode: 40164,
        hint: MISCONFIGURED_HINTS[40164],
      });

      // Due again: 10 concurrent calls share one new attempt, refused again.
      world.clock.set(world.t0 + MISCONFIGURED_RETRY_SEC * 1000);
      const retried = await Promise.allSettled(
        Array.from({ length: 10 }, () => service.getToken()),
      );
      expect(retried.every((r) => r.status === 'rejected')).toBe(true);
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(2);

      // Fixed by the operator: the next attempt (here the scheduled job's) recovers on its own.
      world.clock.set(world.t0 + 2 * MISCONFIGURED_RETRY_SEC * 1000);
      await service.refreshIfDue();
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(3);
      await expect(service.getToken()).resolves.toBe('token-1');
      expect(service.status()).toMatchObject({ held: true, misconfigured: null });
    });

    it('ends when another instance stores a token', async () => {
      const world = setup();
      const a = world.instance();
      world.fetchAccessToken.mockRejectedValueOnce(refused());
      await expect(a.getToken()).rejects.toBeInstanceOf(WechatMisconfiguredError);

      const b = world.instance();
      await expect(b.getToken()).resolves.toBe('token-1');
      world.clock.set(world.t0 + MISCONFIGURED_RETRY_SEC * 1000);
      await expect(a.getToken()).resolves.toBe('token-1');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(2);
      expect(a.status().misconfigured).toBeNull();
    });
  });

  describe('status()', () => {
    it('reports no token before the first fetch', () => {
      const world = setup();

      expect(world.instance().status()).toEqual({
        appId: APPID,
        held: false,
        expiresInSec: null,
        mode: 'stable',
        misconfigured: null,
      });
    });

    it('reports the remaining lifetime and the mode, never the token', async () => {
      const world = setup({ tokenMode: 'classic' });
      const service = await holding(world);

      world.clock.set(world.t0 + 1000 * 1000 + 500);
      const status = service.status();

      expect(status).toEqual({
        appId: APPID,
        held: true,
        expiresInSec: EXPIRES_IN_SEC - 1001,
        mode: 'classic',
        misconfigured: null,
      });
      expect(JSON.stringify(service.status())).not.toContain('token-1');
    });

    it('reports an expired token as not held', async () => {
      const world = setup();
      const service = await holding(world);

      world.clock.set(world.expiresAt);

      expect(service.status()).toMatchObject({ held: false, expiresInSec: null });
    });
  });

  describe('onApplicationBootstrap()', () => {
    it('starts one fetch at boot, and requests arriving meanwhile join it', async () => {
      const world = setup();
      const service = world.instance();
      const answer = deferred<FetchedAccessToken>();
      world.fetchAccessToken.mockReturnValueOnce(answer.promise);

      service.onApplicationBootstrap();
      const early = service.getToken();
      answer.resolve({ accessToken: 'boot-token', expiresInSec: EXPIRES_IN_SEC });

      await expect(early).resolves.toBe('boot-token');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      expect(service.status().held).toBe(true);
    });

    it('does not throw when the boot fetch fails; the next request fetches again', async () => {
      const world = setup();
      const service = world.instance();
      world.fetchAccessToken.mockRejectedValueOnce(new WechatUnreachableError('ECONNREFUSED'));

      expect(() => service.onApplicationBootstrap()).not.toThrow();
      await until(() => world.fetchAccessToken.mock.calls.length === 1, 'the boot fetch runs');
      await until(async () => (await world.row())?.leaseHolder === null, 'the boot lease is freed');
      await new Promise((resolve) => setImmediate(resolve));
      expect(service.status().held).toBe(false);

      await expect(service.getToken()).resolves.toBe('token-1');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(2);
      expect(service.status().held).toBe(true);
    });
  });
});

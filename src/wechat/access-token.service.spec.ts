import { Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { WechatConfig } from '../config/wechat.config';
import { AccessTokenService, REFRESH_AHEAD_MS, USE_MARGIN_MS } from './access-token.service';
import { FetchedAccessToken, WechatApiClient } from './wechat-api.client';
import { WechatMisconfiguredError, WechatUnreachableError } from './wechat.errors';

const EXPIRES_IN_SEC = 7200;
const LIFETIME_MS = EXPIRES_IN_SEC * 1000;

class ManualClock extends Clock {
  current = 1_700_000_000_000;

  override now(): number {
    return this.current;
  }

  set(ms: number): void {
    this.current = ms;
  }
}

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

/** Lets every pending promise callback run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function setup() {
  const clock = new ManualClock();
  let issued = 0;
  const fetchAccessToken = jest.fn((): Promise<FetchedAccessToken> =>
    Promise.resolve({ accessToken: `token-${++issued}`, expiresInSec: EXPIRES_IN_SEC }),
  );
  const client = { fetchAccessToken } as unknown as WechatApiClient;
  const config: WechatConfig = {
    appId: 'wx1234567890abcdef',
    secret: 'app-secret',
    apiBaseUrl: 'https://api.weixin.qq.com',
    tokenMode: 'stable',
    timeoutMs: 5000,
    simulator: false,
  };
  const service = new AccessTokenService(client, clock, config);
  const t0 = clock.now();
  /** Holds token-1, fetched at t0, expiring at t0 + 7200 s. */
  const holdFirstToken = async () => {
    await expect(service.getToken()).resolves.toBe('token-1');
    fetchAccessToken.mockClear();
  };
  return { service, clock, fetchAccessToken, t0, expiresAt: t0 + LIFETIME_MS, holdFirstToken };
}

beforeAll(() => {
  Logger.overrideLogger(false);
});

describe('AccessTokenService', () => {
  describe('getToken()', () => {
    it('100 concurrent calls with no token held share exactly one fetch', async () => {
      const { service, fetchAccessToken } = setup();
      const answer = deferred<FetchedAccessToken>();
      fetchAccessToken.mockReturnValueOnce(answer.promise);

      const requests = Array.from({ length: 100 }, () => service.getToken());
      answer.resolve({ accessToken: 'the-one-token', expiresInSec: EXPIRES_IN_SEC });

      const tokens = await Promise.all(requests);
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);
      expect(new Set(tokens)).toEqual(new Set(['the-one-token']));
    });

    it('returns the held token without fetching', async () => {
      const { service, fetchAccessToken, holdFirstToken } = setup();
      await holdFirstToken();

      await expect(service.getToken()).resolves.toBe('token-1');
      await expect(service.getToken()).resolves.toBe('token-1');
      expect(fetchAccessToken).not.toHaveBeenCalled();
    });

    it('never fetches while the held token is usable (more than USE_MARGIN_MS left)', async () => {
      const { service, clock, fetchAccessToken, expiresAt, holdFirstToken } = setup();
      await holdFirstToken();

      clock.set(expiresAt - USE_MARGIN_MS - 1);

      await expect(service.getToken()).resolves.toBe('token-1');
      expect(fetchAccessToken).not.toHaveBeenCalled();
    });

    it('fetches once when the held token is within USE_MARGIN_MS of expiry', async () => {
      const { service, clock, fetchAccessToken, expiresAt, holdFirstToken } = setup();
      await holdFirstToken();

      clock.set(expiresAt - USE_MARGIN_MS);

      const tokens = await Promise.all([service.getToken(), service.getToken()]);
      expect(tokens).toEqual(['token-2', 'token-2']);
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);
      await expect(service.getToken()).resolves.toBe('token-2');
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('fetches once when the held token has expired', async () => {
      const { service, clock, fetchAccessToken, expiresAt, holdFirstToken } = setup();
      await holdFirstToken();

      clock.set(expiresAt + 60_000);

      await expect(service.getToken()).resolves.toBe('token-2');
      await expect(service.getToken()).resolves.toBe('token-2');
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('measures expiry from when the fetch started, so a slow fetch never overstates the lifetime', async () => {
      const { service, clock, fetchAccessToken, t0 } = setup();
      const answer = deferred<FetchedAccessToken>();
      fetchAccessToken.mockReturnValueOnce(answer.promise);

      const first = service.getToken();
      clock.set(t0 + 4000);
      answer.resolve({ accessToken: 'slow-token', expiresInSec: EXPIRES_IN_SEC });
      await expect(first).resolves.toBe('slow-token');

      expect(service.status().expiresInSec).toBe(EXPIRES_IN_SEC - 4);
    });
  });

  describe('refreshIfDue() (the scheduled job)', () => {
    it('does nothing while more than REFRESH_AHEAD_MS remain', async () => {
      const { service, clock, fetchAccessToken, expiresAt, holdFirstToken } = setup();
      await holdFirstToken();

      clock.set(expiresAt - REFRESH_AHEAD_MS - 1);
      await service.refreshIfDue();

      expect(fetchAccessToken).not.toHaveBeenCalled();
      await expect(service.getToken()).resolves.toBe('token-1');
    });

    it('fetches once within REFRESH_AHEAD_MS of expiry, serving the old token until the new one arrives', async () => {
      const { service, clock, fetchAccessToken, expiresAt, holdFirstToken } = setup();
      await holdFirstToken();
      const answer = deferred<FetchedAccessToken>();
      fetchAccessToken.mockReturnValueOnce(answer.promise);

      clock.set(expiresAt - REFRESH_AHEAD_MS);
      const refresh = service.refreshIfDue();

      // The refresh is in flight: requests keep using the still-valid old token.
      await expect(service.getToken()).resolves.toBe('token-1');
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);

      answer.resolve({ accessToken: 'token-renewed', expiresInSec: EXPIRES_IN_SEC });
      await refresh;

      await expect(service.getToken()).resolves.toBe('token-renewed');
      await service.refreshIfDue();
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('fetches when no token is held, and swallows a failure so the next run can try again', async () => {
      const { service, fetchAccessToken } = setup();
      fetchAccessToken.mockRejectedValueOnce(new WechatUnreachableError('timeout'));

      await expect(service.refreshIfDue()).resolves.toBeUndefined();
      expect(service.status().held).toBe(false);

      await service.refreshIfDue();
      expect(fetchAccessToken).toHaveBeenCalledTimes(2);
      expect(service.status().held).toBe(true);
    });
  });

  describe('invalidate(token) — compare-and-expire', () => {
    it('dropping the held token makes the next getToken() fetch a new one', async () => {
      const { service, fetchAccessToken, holdFirstToken } = setup();
      await holdFirstToken();

      service.invalidate('token-1');

      await expect(service.getToken()).resolves.toBe('token-2');
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('a stale token does not drop the held one', async () => {
      const { service, fetchAccessToken, holdFirstToken } = setup();
      await holdFirstToken();

      service.invalidate('token-0-from-before');

      await expect(service.getToken()).resolves.toBe('token-1');
      expect(fetchAccessToken).not.toHaveBeenCalled();
    });

    it('50 requests failing with the same token cause exactly one new fetch', async () => {
      const { service, fetchAccessToken, holdFirstToken } = setup();
      await holdFirstToken();

      const retries = Array.from({ length: 50 }, () => {
        service.invalidate('token-1');
        return service.getToken();
      });
      const tokens = await Promise.all(retries);

      expect(new Set(tokens)).toEqual(new Set(['token-2']));
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);

      // Late failures with the old token must not discard its replacement.
      const late = Array.from({ length: 50 }, () => {
        service.invalidate('token-1');
        return service.getToken();
      });
      await expect(Promise.all(late)).resolves.toEqual(Array(50).fill('token-2'));
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);
    });
  });

  describe('a failing fetch', () => {
    it('rejects every concurrent waiter with the error, and the next call tries again', async () => {
      const { service, fetchAccessToken } = setup();
      const answer = deferred<FetchedAccessToken>();
      fetchAccessToken.mockReturnValueOnce(answer.promise);
      const failure = new WechatMisconfiguredError(40125);

      const waiters = Array.from({ length: 10 }, () => service.getToken());
      answer.reject(failure);

      await Promise.all(waiters.map((waiter) => expect(waiter).rejects.toBe(failure)));
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);

      await expect(service.getToken()).resolves.toBe('token-1');
      expect(fetchAccessToken).toHaveBeenCalledTimes(2);
    });
  });

  describe('status()', () => {
    it('reports no token before the first fetch', () => {
      const { service } = setup();

      expect(service.status()).toEqual({ held: false, expiresInSec: null, mode: 'stable' });
    });

    it('reports the remaining lifetime without the token value', async () => {
      const { service, clock, t0, holdFirstToken } = setup();
      await holdFirstToken();

      clock.set(t0 + 1000 * 1000 + 500);
      const status = service.status();

      expect(status).toEqual({ held: true, expiresInSec: EXPIRES_IN_SEC - 1001, mode: 'stable' });
      expect(JSON.stringify(status)).not.toContain('token-1');
    });

    it('reports an expired token as not held', async () => {
      const { service, clock, expiresAt, holdFirstToken } = setup();
      await holdFirstToken();

      clock.set(expiresAt);

      expect(service.status()).toEqual({ held: false, expiresInSec: null, mode: 'stable' });
    });
  });

  describe('onApplicationBootstrap()', () => {
    it('fetches the token once at boot, and requests arriving meanwhile join that fetch', async () => {
      const { service, fetchAccessToken } = setup();
      const answer = deferred<FetchedAccessToken>();
      fetchAccessToken.mockReturnValueOnce(answer.promise);

      service.onApplicationBootstrap();
      const early = service.getToken();
      answer.resolve({ accessToken: 'boot-token', expiresInSec: EXPIRES_IN_SEC });

      await expect(early).resolves.toBe('boot-token');
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);
      expect(service.status().held).toBe(true);
    });

    it('does not throw when the boot fetch fails; the next request fetches again', async () => {
      const { service, fetchAccessToken } = setup();
      fetchAccessToken.mockRejectedValueOnce(new WechatUnreachableError('ECONNREFUSED'));

      expect(() => service.onApplicationBootstrap()).not.toThrow();
      await flush();
      expect(fetchAccessToken).toHaveBeenCalledTimes(1);
      expect(service.status().held).toBe(false);

      await expect(service.getToken()).resolves.toBe('token-1');
      expect(fetchAccessToken).toHaveBeenCalledTimes(2);
    });
  });
});

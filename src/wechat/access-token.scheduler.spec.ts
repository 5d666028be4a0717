import { REFRESH_AHEAD_MS } from './access-token.scheduler';
import { USE_MARGIN_MS } from './access-token.service';
import { FetchedAccessToken } from './wechat-api.client';
import { WechatUnreachableError } from './wechat.errors';
import { deferred, until } from '../../test/helpers/async-steps';
import * as kit from '../../test/helpers/access-token-world';

kit.useTokenDatabase();

describe('AccessTokenScheduler and the token status', () => {
  describe('refreshIfDue() (the scheduled job)', () => {
    it('does nothing while more than REFRESH_AHEAD_MS remain', async () => {
      const world = kit.setup();
      const service = await kit.holding(world);

      world.clock.set(world.expiresAt - REFRESH_AHEAD_MS - 1);
      await service.refreshIfDue();

      expect(world.fetchAccessToken).not.toHaveBeenCalled();
      await expect(service.getToken()).resolves.toBe('token-1');
    });

    it('fetches once at REFRESH_AHEAD_MS before expiry, serving the old token until the new one arrives', async () => {
      const world = kit.setup();
      const service = await kit.holding(world);
      const answer = deferred<FetchedAccessToken>();
      world.fetchAccessToken.mockReturnValueOnce(answer.promise);

      world.clock.set(world.expiresAt - REFRESH_AHEAD_MS);
      const refresh = service.refreshIfDue();
      await until(() => world.fetchAccessToken.mock.calls.length === 1, 'the refresh fetches');

      // The refresh is in flight: requests keep using the still-valid old token.
      await expect(service.getToken()).resolves.toBe('token-1');

      answer.resolve({ accessToken: 'token-renewed', expiresInSec: kit.EXPIRES_IN_SEC });
      await refresh;

      await expect(service.getToken()).resolves.toBe('token-renewed');
      await service.refreshIfDue();
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      await expect(world.row()).resolves.toMatchObject({ token: 'token-renewed' });
    });

    it('4 instances running the job at once when it is due cause one fetch, and all 4 then hold the new token', async () => {
      const world = kit.setup();
      await kit.holding(world);
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
      const world = kit.setup();
      const { b } = await kit.rotatedOnA(world);
      await expect(b.getToken()).resolves.toBe('token-1');

      await b.refreshIfDue();

      await expect(b.getToken()).resolves.toBe('token-2');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('fetches when nothing is held, and swallows a failure so the next run tries again', async () => {
      const world = kit.setup();
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

  describe('status()', () => {
    it('reports no token before the first fetch', () => {
      const world = kit.setup();

      expect(world.instance().status()).toEqual({
        appId: kit.APPID,
        held: false,
        expiresInSec: null,
        mode: 'stable',
        misconfigured: null,
      });
    });

    it('reports the remaining lifetime and the mode, never the token', async () => {
      const world = kit.setup({ tokenMode: 'classic' });
      const service = await kit.holding(world);

      world.clock.set(world.t0 + 1000 * 1000 + 500);
      const status = service.status();

      expect(status).toEqual({
        appId: kit.APPID,
        held: true,
        expiresInSec: kit.EXPIRES_IN_SEC - 1001,
        mode: 'classic',
        misconfigured: null,
      });
      expect(JSON.stringify(service.status())).not.toContain('token-1');
    });

    it('reports an expired token as not held', async () => {
      const world = kit.setup();
      const service = await kit.holding(world);

      world.clock.set(world.expiresAt);

      expect(service.status()).toMatchObject({ held: false, expiresInSec: null });
    });
  });

  describe('onApplicationBootstrap()', () => {
    it('starts one fetch at boot, and requests arriving meanwhile join it', async () => {
      const world = kit.setup();
      const service = world.instance();
      const answer = deferred<FetchedAccessToken>();
      world.fetchAccessToken.mockReturnValueOnce(answer.promise);

      service.onApplicationBootstrap();
      const early = service.getToken();
      answer.resolve({ accessToken: 'boot-token', expiresInSec: kit.EXPIRES_IN_SEC });

      await expect(early).resolves.toBe('boot-token');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      expect(service.status().held).toBe(true);
    });

    it('does not throw when the boot fetch fails; the next request fetches again', async () => {
      const world = kit.setup();
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

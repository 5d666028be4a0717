import { FORCE_REFRESH_MIN_INTERVAL_MS, FORCE_REFRESH_PER_DAY } from './access-token.store';
import * as kit from '../../test/helpers/access-token-world';

kit.useTokenDatabase();

describe('AccessTokenFetcher', () => {
  describe('stable_token force_refresh', () => {
    it('is used once when stable_token hands back the token that was just rejected', async () => {
      const world = kit.setup();
      const service = await kit.holding(world);
      world.nextFetchReturns('token-1');

      await service.invalidate('token-1');
      await expect(service.getToken()).resolves.toBe('token-2');

      expect(world.fetchAccessToken.mock.calls).toEqual([
        [expect.objectContaining({ id: kit.APPID })],
        [expect.objectContaining({ id: kit.APPID }), { forceRefresh: true }],
      ]);
      await expect(world.row()).resolves.toMatchObject({ token: 'token-2' });
    });

    it('is not used again for the same incident, even after 30 s', async () => {
      const world = kit.setup();
      const service = await kit.holding(world);
      // WeChat keeps handing back token-1, even when forced.
      world.fetchAccessToken.mockResolvedValue({
        accessToken: 'token-1',
        expiresInSec: kit.EXPIRES_IN_SEC,
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
      const world = kit.setup();
      const service = await kit.holding(world);
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
      const world = kit.setup();
      const a = await kit.holding(world);
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
      const world = kit.setup();
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
          Promise.resolve({ accessToken: `token-${n}`, expiresInSec: kit.EXPIRES_IN_SEC }),
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
      const world = kit.setup({ tokenMode: 'classic' });
      const service = await kit.holding(world);
      world.nextFetchReturns('token-1');

      await service.invalidate('token-1');
      await expect(service.getToken()).resolves.toBe('token-1');

      expect(world.fetchAccessToken.mock.calls).toEqual([
        [expect.objectContaining({ id: kit.APPID })],
      ]);
      await expect(world.row()).resolves.toMatchObject({ appKey: `${kit.APPID}:classic` });
    });
  });
});

import { FetchedAccessToken } from './wechat-api.client';
import { WechatUnreachableError } from './wechat.errors';
import { deferred, until } from '../../test/helpers/async-steps';
import * as kit from '../../test/helpers/access-token-world';

kit.useTokenDatabase();

describe('AccessTokenLease (one fetch at a time across instances)', () => {
  describe('the lease', () => {
    it('another holder blocks fetching until it runs out: waiters give up after timeoutMs + 1 s, then a call takes over', async () => {
      const world = kit.setup({ timeoutMs: 200 });
      const service = world.instance();
      const leaseUntil = world.t0 + 60_000;
      // Another instance took the lease and then died mid-fetch.
      await expect(
        world.store.tryAcquireLease(world.appKey, kit.OTHER_HOLDER, world.t0, leaseUntil),
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
      const world = kit.setup();
      await kit.holding(world);
      const late = world.instance();
      // Its first look predates the other instance's save; the lease is free by the time it asks.
      jest.spyOn(world.store, 'read').mockResolvedValueOnce(undefined);

      await expect(late.getToken()).resolves.toBe('token-1');
      expect(world.fetchAccessToken).not.toHaveBeenCalled();
    });

    it('a waiting instance picks up the token the lease holder stores', async () => {
      const world = kit.setup();
      const holder = world.instance();
      const waiter = world.instance();
      const answer = deferred<FetchedAccessToken>();
      world.fetchAccessToken.mockReturnValueOnce(answer.promise);

      const first = holder.getToken();
      await until(() => world.fetchAccessToken.mock.calls.length === 1, 'the holder fetches');
      const leaseTries = jest.spyOn(world.store, 'tryAcquireLease');
      const second = waiter.getToken();
      await until(() => leaseTries.mock.calls.length >= 3, 'the waiter polls a few times');
      answer.resolve({ accessToken: 'from-the-holder', expiresInSec: kit.EXPIRES_IN_SEC });

      await expect(Promise.all([first, second])).resolves.toEqual([
        'from-the-holder',
        'from-the-holder',
      ]);
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });
  });

  describe('AccessTokenLease.obtain() on its own', () => {
    it('hands out a stored token only with more than the asked margin left', async () => {
      const world = kit.setup();
      await kit.holding(world);
      const { app, lease } = world.leaseOfInstance();

      world.clock.set(world.expiresAt - 60_001);
      await expect(lease.obtain(app, 'test', 60_000)).resolves.toMatchObject({ token: 'token-1' });
      expect(world.fetchAccessToken).not.toHaveBeenCalled();

      world.clock.set(world.expiresAt - 60_000);
      await expect(lease.obtain(app, 'test', 60_000)).resolves.toMatchObject({ token: 'token-2' });
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      await expect(world.row()).resolves.toMatchObject({
        token: 'token-2',
        leaseHolder: null,
        fetchedBy: expect.stringContaining(lease.instanceId) as unknown,
      });
    });

    it('never adopts the token this process saw WeChat reject', async () => {
      const world = kit.setup();
      await kit.holding(world);
      const { app, lease } = world.leaseOfInstance();
      app.token.rejected = 'token-1';

      await expect(lease.obtain(app, 'test', 0)).resolves.toMatchObject({ token: 'token-2' });
    });

    it('frees the lease when the fetch fails', async () => {
      const world = kit.setup();
      const { app, lease } = world.leaseOfInstance();
      world.fetchAccessToken.mockRejectedValueOnce(new Error('boom'));

      await expect(lease.obtain(app, 'test', 0)).rejects.toThrow('boom');
      await expect(world.row()).resolves.toMatchObject({ leaseHolder: null, leaseUntil: null });
    });
  });
});

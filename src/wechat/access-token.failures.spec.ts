import { FetchedAccessToken } from './wechat-api.client';
import { MISCONFIGURED_HINTS, MISCONFIGURED_RETRY_SEC } from './wechat-errcodes';
import { WechatMisconfiguredError, WechatUnreachableError } from './wechat.errors';
import { deferred, until } from '../../test/helpers/async-steps';
import * as kit from '../../test/helpers/access-token-world';

kit.useTokenDatabase();

describe('AccessTokenService when WeChat refuses a fetch', () => {
  describe('a failing fetch', () => {
    it('rejects every concurrent waiter with the error, frees the lease, and the next call tries again', async () => {
      const world = kit.setup();
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
      const world = kit.setup();
      const a = await kit.holding(world);
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
      const world = kit.setup();
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
      const world = kit.setup();
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
});

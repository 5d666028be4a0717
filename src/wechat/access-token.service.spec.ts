import { USE_MARGIN_MS } from './access-token.service';
import { FetchedAccessToken } from './wechat-api.client';
import { deferred, until } from '../../test/helpers/async-steps';
import * as kit from '../../test/helpers/access-token-world';

kit.useTokenDatabase();

describe("AccessTokenService (one process's token, shared through the table)", () => {
  describe('getToken()', () => {
    it('100 concurrent calls with nothing stored share exactly one fetch, and store its token', async () => {
      const world = kit.setup();
      const service = world.instance();
      const answer = deferred<FetchedAccessToken>();
      world.fetchAccessToken.mockReturnValueOnce(answer.promise);

      const requests = Array.from({ length: 50 }, () => service.getToken());
      await until(() => world.fetchAccessToken.mock.calls.length > 0, 'the fetch starts');
      // Half of the calls arrive while the fetch is already under way.
      requests.push(...Array.from({ length: 50 }, () => service.getToken()));
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      answer.resolve({ accessToken: 'the-one-token', expiresInSec: kit.EXPIRES_IN_SEC });

      const tokens = await Promise.all(requests);
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      expect(world.fetchAccessToken).toHaveBeenCalledWith(
        expect.objectContaining({ id: kit.APPID }),
      );
      expect(new Set(tokens)).toEqual(new Set(['the-one-token']));
      await expect(world.row()).resolves.toMatchObject({
        token: 'the-one-token',
        expiresAt: world.expiresAt,
        leaseHolder: null,
        leaseUntil: null,
      });
    });

    it('a second instance starting while a valid token is stored uses it without fetching', async () => {
      const world = kit.setup();
      await kit.holding(world);

      const second = world.instance();
      second.onApplicationBootstrap();
      const third = world.instance();

      await expect(second.getToken()).resolves.toBe('token-1');
      await expect(third.getToken()).resolves.toBe('token-1');
      expect(world.fetchAccessToken).not.toHaveBeenCalled();
    });

    it('two cold instances × 50 concurrent calls cause one fetch in all', async () => {
      const world = kit.setup();
      const [a, b] = [world.instance(), world.instance()];

      const tokens = await Promise.all(
        Array.from({ length: 50 }, () => [a.getToken(), b.getToken()]).flat(),
      );

      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
      expect(new Set(tokens)).toEqual(new Set(['token-1']));
    });

    it('never fetches while the held token has more than USE_MARGIN_MS left', async () => {
      const world = kit.setup();
      const service = await kit.holding(world);

      world.clock.set(world.expiresAt - USE_MARGIN_MS - 1);

      await expect(service.getToken()).resolves.toBe('token-1');
      await expect(service.getToken()).resolves.toBe('token-1');
      expect(world.fetchAccessToken).not.toHaveBeenCalled();
    });

    it('fetches once when the held token is within USE_MARGIN_MS of expiry', async () => {
      const world = kit.setup();
      const service = await kit.holding(world);

      world.clock.set(world.expiresAt - USE_MARGIN_MS);

      const tokens = await Promise.all([service.getToken(), service.getToken()]);
      expect(tokens).toEqual(['token-2', 'token-2']);
      await expect(service.getToken()).resolves.toBe('token-2');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('fetches once when the held token has expired', async () => {
      const world = kit.setup();
      const service = await kit.holding(world);

      world.clock.set(world.expiresAt + 60_000);

      await expect(service.getToken()).resolves.toBe('token-2');
      await expect(service.getToken()).resolves.toBe('token-2');
      expect(world.fetchAccessToken).toHaveBeenCalledTimes(1);
    });

    it('measures expiry from when the fetch started, so a slow fetch never overstates the lifetime', async () => {
      const world = kit.setup();
      const service = world.instance();
      const answer = deferred<FetchedAccessToken>();
      world.fetchAccessToken.mockReturnValueOnce(answer.promise);

      const first = service.getToken();
      await until(() => world.fetchAccessToken.mock.calls.length === 1, 'the fetch starts');
      world.clock.set(world.t0 + 4000);
      answer.resolve({ accessToken: 'slow-token', expiresInSec: kit.EXPIRES_IN_SEC });
      await expect(first).resolves.toBe('slow-token');

      expect(service.status().expiresInSec).toBe(kit.EXPIRES_IN_SEC - 4);
      await expect(world.row()).resolves.toMatchObject({ expiresAt: world.expiresAt });
    });
  });

  describe('invalidate(token): compare-and-expire', () => {
    it('dropping the held token expires it in the table, and the next getToken() fetches once', async () => {
      const world = kit.setup();
      const service = await kit.holding(world);
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
      const world = kit.setup();
      const { a, b } = await kit.rotatedOnA(world);
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
      const world = kit.setup();
      const service = await kit.holding(world);
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
      const world = kit.setup();
      const a = await kit.holding(world);
      const b = world.instance();
      await expect(b.getToken()).resolves.toBe('token-1');
      const retry = async (service: kit.Instance) => {
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
});

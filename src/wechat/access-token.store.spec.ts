import { DataSource } from 'typeorm';
import { openMemoryDatabase } from '../../test/helpers/memory-database';
import { AccessTokenStore, FORCE_REFRESH_PER_DAY } from './access-token.store';
import { WechatAccessToken } from './wechat-access-token.entity';

const KEY = 'wx1234567890abcdef:stable';
/** 2026-12-02 10:00 in China (02:00 UTC): 14 hours before WeChat's daily reset. */
const MORNING = Date.UTC(2026, 11, 2, 2, 0, 0);

describe('AccessTokenStore: the shared force-refresh budget, as the operator meets it', () => {
  let dataSource: DataSource;
  let store: AccessTokenStore;

  beforeEach(async () => {
    dataSource = await openMemoryDatabase();
    store = new AccessTokenStore(dataSource.getRepository(WechatAccessToken));
    await store.tryAcquireLease(KEY, 'me', MORNING, MORNING + 1);
  });
  afterEach(() => dataSource.destroy());

  it('claims, then answers the rest of the 30 s gap', async () => {
    await expect(store.claimForceRefreshOrWait(KEY, MORNING)).resolves.toBeUndefined();
    await expect(store.claimForceRefreshOrWait(KEY, MORNING + 12_000)).resolves.toBe(18);
    await expect(store.claimForceRefreshOrWait(KEY, MORNING + 30_000)).resolves.toBeUndefined();
    await expect(store.forceRefreshUse(KEY, MORNING + 30_000)).resolves.toEqual({
      today: 2,
      lastAt: MORNING + 30_000,
    });
  });

  it('after 20 in a day, answers the time to midnight China time, when a new day starts', async () => {
    let now = MORNING;
    for (let i = 0; i < FORCE_REFRESH_PER_DAY; i++, now += 30_000) {
      await expect(store.claimForceRefreshOrWait(KEY, now)).resolves.toBeUndefined();
    }
    const midnightInChina = Date.UTC(2026, 11, 2, 16, 0, 0);
    await expect(store.claimForceRefreshOrWait(KEY, now)).resolves.toBe(
      Math.ceil((midnightInChina - now) / 1000),
    );
    await expect(store.claimForceRefreshOrWait(KEY, midnightInChina)).resolves.toBeUndefined();
    await expect(store.forceRefreshUse(KEY, midnightInChina)).resolves.toMatchObject({ today: 1 });
  });
});

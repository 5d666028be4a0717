import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { tryTakeLease } from '../common/database/lease-row';
import { StoredToken } from './app-token';
import { WechatAccessToken } from './wechat-access-token.entity';

/** WeChat's limits on stable_token force_refresh, per app. */
export const FORCE_REFRESH_MIN_INTERVAL_MS = 30_000;
export const FORCE_REFRESH_PER_DAY = 20;
/** WeChat's daily limits reset at midnight China time (UTC+8). */
const CHINA_OFFSET_MS = 8 * 3_600_000;

/**
 * The rows of `wechat_access_tokens`, one per app: the live token, the lease
 * columns (taken with a conditional UPDATE, see AccessTokenLease) and the
 * shared force_refresh budget.
 */
@Injectable()
export class AccessTokenStore {
  constructor(
    @InjectRepository(WechatAccessToken)
    private readonly rows: Repository<WechatAccessToken>,
  ) {}

  async read(appKey: string): Promise<StoredToken | undefined> {
    const row = await this.rows.findOneBy({ appKey });
    if (!row?.token || row.expiresAt === null) return undefined;
    return { token: row.token, expiresAt: row.expiresAt };
  }

  /** True when this instance now holds the lease (free, expired, or already ours). */
  tryAcquireLease(
    appKey: string,
    holder: string,
    now: number,
    leaseUntil: number,
  ): Promise<boolean> {
    return tryTakeLease(
      this.rows,
      { key: 'appKey', holder: 'leaseHolder', until: 'leaseUntil' },
      { key: appKey, holder, now, until: leaseUntil },
      () => ({
        appKey,
        token: null,
        expiresAt: null,
        fetchedBy: null,
        leaseHolder: holder,
        leaseUntil,
      }),
    );
  }

  /** Stores a freshly fetched token and frees the lease in one write. */
  async save(appKey: string, token: StoredToken, fetchedBy: string): Promise<void> {
    await this.rows.update(
      { appKey },
      {
        token: token.token,
        expiresAt: token.expiresAt,
        fetchedBy: fetchedBy.slice(0, 255),
        leaseHolder: null,
        leaseUntil: null,
      },
    );
  }

  async releaseLease(appKey: string, holder: string): Promise<void> {
    await this.rows.update(
      { appKey, leaseHolder: holder },
      { leaseHolder: null, leaseUntil: null },
    );
  }

  /**
   * Compare-and-expire: WeChat rejected `token`, so mark it expired, but only
   * if it is still the stored one. A replacement already stored by another
   * instance is left alone.
   */
  async expireIfCurrent(appKey: string, token: string, now: number): Promise<void> {
    await this.rows.update({ appKey, token }, { expiresAt: now });
  }

  /**
   * Claims one stable_token force_refresh from the app's shared budget: true
   * when none was made in the last 30 s and fewer than 20 today, by any
   * instance. Each branch is one conditional UPDATE, so two instances (or a
   * restarted one) can never both claim the same slot.
   */
  async claimForceRefresh(appKey: string, now: number): Promise<boolean> {
    const day = chinaDay(now);
    const spaced = '(force_refreshed_at IS NULL OR force_refreshed_at <= :earliest)';
    const params = { appKey, day, earliest: now - FORCE_REFRESH_MIN_INTERVAL_MS };
    const sameDay = await this.rows
      .createQueryBuilder()
      .update()
      .set({ forceRefreshedAt: now, forceRefreshCount: () => 'force_refresh_count + 1' })
      .where('app_key = :appKey AND force_refresh_day = :day', params)
      .andWhere('force_refresh_count < :perDay', { perDay: FORCE_REFRESH_PER_DAY })
      .andWhere(spaced, params)
      .execute();
    if (sameDay.affected === 1) return true;
    const firstToday = await this.rows
      .createQueryBuilder()
      .update()
      .set({ forceRefreshedAt: now, forceRefreshDay: day, forceRefreshCount: 1 })
      .where('app_key = :appKey', params)
      .andWhere('(force_refresh_day IS NULL OR force_refresh_day <> :day)', params)
      .andWhere(spaced, params)
      .execute();
    return firstToday.affected === 1;
  }

  /**
   * claimForceRefresh(), or, when the budget refuses, how many seconds until
   * it would not: the rest of the 30 s gap, else the time to China's midnight.
   */
  async claimForceRefreshOrWait(appKey: string, now: number): Promise<number | undefined> {
    if (await this.claimForceRefresh(appKey, now)) return undefined;
    const row = await this.rows.findOneBy({ appKey });
    const gapEndsAt = (row?.forceRefreshedAt ?? 0) + FORCE_REFRESH_MIN_INTERVAL_MS;
    const waitUntil =
      gapEndsAt > now ? gapEndsAt : (chinaDay(now) + 1) * 86_400_000 - CHINA_OFFSET_MS;
    return Math.max(1, Math.ceil((waitUntil - now) / 1000));
  }

  /** This app's force-refresh budget as the operator sees it: used today, and the last one. */
  async forceRefreshUse(
    appKey: string,
    now: number,
  ): Promise<{ today: number; lastAt: number | null }> {
    const row = await this.rows.findOneBy({ appKey });
    return {
      today: row && row.forceRefreshDay === chinaDay(now) ? row.forceRefreshCount : 0,
      lastAt: row?.forceRefreshedAt ?? null,
    };
  }
}

/** The number of the day in China time, when WeChat's daily limits reset. */
function chinaDay(now: number): number {
  return Math.floor((now + CHINA_OFFSET_MS) / 86_400_000);
}

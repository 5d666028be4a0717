import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { isUniqueViolation } from '../database/unique-violation';
import { WechatAccessToken } from './wechat-access-token.entity';

export interface StoredToken {
  token: string;
  expiresAt: number;
}

/**
 * The shared table that makes N instances behave as one WeChat client: the
 * live token, and a lease row taken with a conditional UPDATE so exactly one
 * instance fetches at a time. A lease expires on its own, so a holder that
 * crashed mid-fetch blocks the others only until `lease_until`.
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
  async tryAcquireLease(
    appKey: string,
    holder: string,
    now: number,
    leaseUntil: number,
  ): Promise<boolean> {
    const result = await this.rows
      .createQueryBuilder()
      .update()
      .set({ leaseHolder: holder, leaseUntil })
      .where('app_key = :appKey', { appKey })
      .andWhere('(lease_until IS NULL OR lease_until < :now OR lease_holder = :holder)', {
        now,
        holder,
      })
      .execute();
    if (result.affected === 1) return true;
    if (await this.rows.existsBy({ appKey })) return false;
    try {
      await this.rows.insert({
        appKey,
        token: null,
        expiresAt: null,
        fetchedBy: null,
        leaseHolder: holder,
        leaseUntil,
      });
      return true;
    } catch (error) {
      // Another instance created the row first, and with it the lease.
      if (isUniqueViolation(error)) return false;
      throw error;
    }
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
}

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { isUniqueViolation } from '../common/database/unique-violation';
import { JobLeaseRow } from './job-lease.entity';

/**
 * One instance at a time for a database-wide job, the protocol of the WeChat
 * token's lease (AccessTokenLease) on a row of its own: a conditional UPDATE
 * takes a free or expired lease (or extends our own), the first run inserts
 * the row, and a lease expires by itself so a crashed holder blocks the
 * others only until `lease_until`.
 */
@Injectable()
export class JobLease {
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  constructor(@InjectRepository(JobLeaseRow) private readonly rows: Repository<JobLeaseRow>) {}

  /** True when this instance now holds `name` until `until` (taken, or extended). */
  async tryAcquire(name: string, now: number, until: number): Promise<boolean> {
    const result = await this.rows
      .createQueryBuilder()
      .update()
      .set({ holder: this.holder, leaseUntil: until })
      .where('name = :name', { name })
      .andWhere('(lease_until IS NULL OR lease_until < :now OR holder = :holder)', {
        now,
        holder: this.holder,
      })
      .execute();
    if (result.affected === 1) return true;
    if (await this.rows.existsBy({ name })) return false;
    try {
      await this.rows.insert({ name, holder: this.holder, leaseUntil: until });
      return true;
    } catch (error) {
      // Another instance created the row first, and with it the lease.
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async release(name: string): Promise<void> {
    await this.rows.update({ name, holder: this.holder }, { holder: null, leaseUntil: null });
  }
}

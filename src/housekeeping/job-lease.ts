import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { tryTakeLease } from '../common/database/lease-row';
import { JobLeaseRow } from './job-lease.entity';

/**
 * One instance at a time for a database-wide job: the WeChat token's lease
 * protocol (tryTakeLease) on a row of its own in `job_leases`.
 */
@Injectable()
export class JobLease {
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  constructor(@InjectRepository(JobLeaseRow) private readonly rows: Repository<JobLeaseRow>) {}

  /** True when this instance now holds `name` until `until` (taken, or extended). */
  tryAcquire(name: string, now: number, until: number): Promise<boolean> {
    return tryTakeLease(
      this.rows,
      { key: 'name', holder: 'holder', until: 'leaseUntil' },
      { key: name, holder: this.holder, now, until },
      () => ({ name, holder: this.holder, leaseUntil: until }),
    );
  }

  async release(name: string): Promise<void> {
    await this.rows.update({ name, holder: this.holder }, { holder: null, leaseUntil: null });
  }
}

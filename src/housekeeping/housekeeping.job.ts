import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { EntityTarget, ObjectLiteral } from 'typeorm';
import { RegistrationTicketUse } from '../auth/registration-ticket-use.entity';
import { RefreshToken } from '../auth/tokens/refresh-token.entity';
import { Clock } from '../common/clock';
import { BatchPurge, PURGE_BATCH_SIZE } from './batch-purge';
import { JobLease } from './job-lease';

export const HOUSEKEEPING_JOB = 'housekeeping';
/** Every 10 minutes: a day of logins is purged in a few runs, never in one big sweep. */
export const HOUSEKEEPING_CRON = '0 */10 * * * *';
/** Longer than a run can take; renewed after every batch. */
const LEASE_MS = 5 * 60_000;
/** Batches per kind of row in one run: 1000 × 1000 rows; the next run goes on. */
const MAX_BATCHES = 1000;

export interface HousekeepingResult {
  /** False when another instance held the lease: nothing was done here. */
  ran: boolean;
  expiredRefreshTokens: number;
  revokedRefreshTokens: number;
  usedRegistrationTickets: number;
  ms: number;
}

/**
 * Deletes the rows that can no longer change an answer, so no table grows by
 * one row per login forever:
 * - refresh tokens past `expires_at` (never later than their family's end):
 *   an expired token is refused as expired before reuse is even checked, so
 *   a spent token is kept exactly as long as reuse detection can use it;
 * - revoked refresh tokens: a revoked token and an unknown one get the same
 *   401 REFRESH_TOKEN_INVALID;
 * - records of used registration tickets past the ticket's expiry: an
 *   expired ticket is refused by its signature's `exp` alone.
 * One instance at a time (JobLease), in batches of PURGE_BATCH_SIZE.
 */
@Injectable()
export class Housekeeping {
  private readonly logger = new Logger(Housekeeping.name);

  constructor(
    private readonly purge: BatchPurge,
    private readonly lease: JobLease,
    private readonly clock: Clock,
  ) {}

  @Cron(HOUSEKEEPING_CRON, { name: HOUSEKEEPING_JOB })
  async scheduled(): Promise<void> {
    // Logged; the next run tries again.
    await this.run().catch((error: unknown) =>
      this.logger.error(`Housekeeping failed: ${String(error)}`),
    );
  }

  async run(): Promise<HousekeepingResult> {
    const started = this.clock.now();
    const result: HousekeepingResult = {
      ran: false,
      expiredRefreshTokens: 0,
      revokedRefreshTokens: 0,
      usedRegistrationTickets: 0,
      ms: 0,
    };
    if (!(await this.lease.tryAcquire(HOUSEKEEPING_JOB, started, started + LEASE_MS))) {
      this.logger.debug('Housekeeping skipped: another instance holds its lease');
      return result;
    }
    result.ran = true;
    try {
      const now = new Date(started);
      result.revokedRefreshTokens = await this.drain(RefreshToken, 'revokedAt', now);
      result.expiredRefreshTokens = await this.drain(RefreshToken, 'expiresAt', now);
      result.usedRegistrationTickets = await this.drain(RegistrationTicketUse, 'expiresAt', now);
    } finally {
      await this.lease.release(HOUSEKEEPING_JOB).catch(() => undefined);
    }
    result.ms = this.clock.now() - started;
    this.logger.log(
      `Housekeeping removed ${result.expiredRefreshTokens} expired and ` +
        `${result.revokedRefreshTokens} revoked refresh tokens and ` +
        `${result.usedRegistrationTickets} expired registration-ticket records in ${result.ms} ms`,
    );
    return result;
  }

  /** Batches until one comes back short, while the lease is still ours. */
  private async drain<T extends ObjectLiteral>(
    entity: EntityTarget<T>,
    property: keyof T & string,
    before: Date,
  ): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const deleted = await this.purge.deleteBatch(entity, property, before);
      total += deleted;
      if (deleted < PURGE_BATCH_SIZE) break;
      const now = this.clock.now();
      if (!(await this.lease.tryAcquire(HOUSEKEEPING_JOB, now, now + LEASE_MS))) break;
    }
    return total;
  }
}

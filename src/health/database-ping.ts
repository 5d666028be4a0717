import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';

/** A ping slower than this counts as the database being down. */
export const DB_PING_TIMEOUT_MS = 1000;
/**
 * How long one ping's answer (up or down) stands for every readiness call.
 * With the ping's timeout this bounds how stale readiness can be: a database
 * lost just after a successful ping shows as 503 within 0.5 + 1 = 1.5 s.
 */
export const DB_PING_CACHE_MS = 500;

export type PingResult = { up: true } | { up: false; message: string };

/**
 * The database ping behind /health/ready, at most one per half second per
 * instance whatever the probe rate (several load balancers, a monitoring
 * storm): calls inside the window share the last answer, and concurrent
 * calls share the ping in flight.
 */
@Injectable()
export class DatabasePing {
  private last: { startedAt: number; settled: boolean; result: Promise<PingResult> } | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  check(): Promise<PingResult> {
    const now = this.clock.now();
    // A ping still in flight is shared even past the window: it ends within its timeout.
    if (!this.last || (this.last.settled && now - this.last.startedAt >= DB_PING_CACHE_MS)) {
      const last = { startedAt: now, settled: false, result: this.ping() };
      void last.result.then(() => (last.settled = true));
      this.last = last;
    }
    return this.last.result;
  }

  private async ping(): Promise<PingResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<PingResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ up: false, message: `no answer within ${DB_PING_TIMEOUT_MS} ms` }),
        DB_PING_TIMEOUT_MS,
      );
    });
    const answer = this.dataSource.query('SELECT 1').then(
      (): PingResult => ({ up: true }),
      (): PingResult => ({ up: false, message: 'the database refused the ping' }),
    );
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

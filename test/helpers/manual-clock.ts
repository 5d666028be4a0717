import { Clock } from '../../src/common/clock';

/**
 * Real time plus an offset the test moves forward: expiry without sleeping.
 * `sleep()` stays real: the e2e app waits on real sockets and processes too,
 * and a lease poll that moved the clock would give up before their answers came.
 */
export class ManualClock extends Clock {
  private offsetMs = 0;

  override now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

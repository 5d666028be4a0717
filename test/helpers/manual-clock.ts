import { Clock } from '../../src/common/clock';

/** Real time plus an offset the test moves forward: expiry without sleeping. */
export class ManualClock extends Clock {
  private offsetMs = 0;

  override now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

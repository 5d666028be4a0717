import { Clock } from '../../src/common/clock';

/**
 * Time that stands still until the caller moves it, for unit specs that assert
 * exact expiry instants and for simulated days (bench/token-fetches.ts). (E2E
 * suites, which also wait on real timers, use ManualClock: real time plus an
 * offset.) `sleep(ms)` moves the clock by `ms` and yields once, so code that
 * polls runs through its waits instantly.
 */
export class FixedClock extends Clock {
  constructor(public current = 1_700_000_000_000) {
    super();
  }

  override now(): number {
    return this.current;
  }

  override async sleep(ms: number): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.current += ms;
  }

  set(ms: number): void {
    this.current = ms;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

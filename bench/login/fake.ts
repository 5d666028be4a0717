/**
 * The fake WeChat of each bench app (test/helpers/fake-wechat-server.ts, in its
 * own process), driven through its control API.
 */
import type { CallCounts } from '../../test/helpers/fake-wechat';
import { httpCall } from '../../test/helpers/http-client';
import { BENCH_PHONE_BASE, BenchApp } from '../support';
import { USERS } from './options';

export class Fake {
  constructor(readonly urls: Record<BenchApp, string>) {}

  async stats(app: BenchApp): Promise<CallCounts> {
    return (await httpCall('GET', `${this.urls[app]}/__control/stats`)).body as CallCounts;
  }

  async mint(app: BenchApp, n: number): Promise<string[]> {
    const answer = await httpCall(
      'POST',
      `${this.urls[app]}/__control/phone-codes?n=${n}&from=${BENCH_PHONE_BASE}&count=${USERS}`,
      { timeoutMs: 60_000 },
    );
    return (answer.body as { codes: string[] }).codes;
  }
}

export function delta(after: CallCounts, before: CallCounts): CallCounts {
  const out = { ...after };
  for (const key of Object.keys(out) as (keyof CallCounts)[]) out[key] = after[key] - before[key];
  return out;
}

/**
 * Fresh single-use phone codes, minted ahead in bulk so minting never sits in
 * the measured path; refilled in the background if a level outruns the guess.
 * An exhausted pool hands out a dead code (→ 401, visible as non-2xx).
 */
export class CodePool {
  private codes: string[] = [];
  private next = 0;
  private refilling: Promise<void> | undefined;

  constructor(
    private readonly fake: Fake,
    private readonly app: BenchApp,
    private readonly chunk: number,
  ) {}

  async fill(n: number): Promise<this> {
    for (let left = n; left > 0; left -= 50_000) {
      this.codes.push(...(await this.fake.mint(this.app, Math.min(left, 50_000))));
    }
    return this;
  }

  /** Codes handed out: one per request autocannon built, i.e. sent (or about to be, at the stop). */
  get taken(): number {
    return this.next;
  }

  take(): string {
    if (this.codes.length - this.next < this.chunk / 2 && !this.refilling) {
      this.refilling = this.fill(this.chunk)
        .then(() => undefined)
        .finally(() => (this.refilling = undefined));
    }
    return this.codes[this.next++] ?? 'pool-exhausted';
  }
}

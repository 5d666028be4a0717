/**
 * The soak's load: an open loop at a fixed arrival rate mixing the three ways
 * a mini-program gets a session (phone login, refresh, silent login), with
 * latency counted from each request's due time (a slow answer never delays the
 * next request, so queueing shows in the numbers), collected in windows.
 */
import { Agent } from 'node:http';
import { httpCall } from '../../test/helpers/http-client';
import { clientIp } from '../login/load';

export type Kind = 'phone' | 'refresh' | 'silent';
export const KINDS: readonly Kind[] = ['phone', 'refresh', 'silent'];

/** Percentages of phone-login, refresh and silent login, e.g. 70/20/10. */
export type Mix = Record<Kind, number>;

/** Single-use WeChat codes minted ahead in chunks (they expire 5 minutes after minting). */
export class CodeSupply {
  private codes: string[] = [];
  private refilling: Promise<void> | undefined;

  constructor(
    private readonly mint: (n: number) => Promise<string[]>,
    private readonly chunk: number,
  ) {}

  async fill(): Promise<this> {
    this.codes.push(...(await this.mint(this.chunk)));
    return this;
  }

  /** A code, or undefined when the supply ran dry (counted as an error by the load). */
  take(): string | undefined {
    if (this.codes.length < this.chunk / 2 && !this.refilling) {
      this.refilling = this.fill()
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => (this.refilling = undefined));
    }
    return this.codes.shift();
  }
}

/** What one window saw: latencies by kind, answers by status, failures. */
export class Window {
  readonly latencies: Record<Kind, number[]> = { phone: [], refresh: [], silent: [] };
  readonly statuses = new Map<number, number>();
  sent = 0;
  ok = 0;
  /** Answers other than 2xx. */
  non2xx = 0;
  /** No answer: connection errors and timeouts. */
  errors = 0;
  /** Nothing to send with (no code or refresh token left). */
  starved = 0;
  readonly firstFailures: string[] = [];

  all(): number[] {
    return KINDS.flatMap((kind) => this.latencies[kind]);
  }

  fail(note: string): void {
    if (this.firstFailures.length < 5) this.firstFailures.push(note);
  }
}

export interface LoadSources {
  phoneCodes: CodeSupply;
  loginCodes: CodeSupply;
  /** Refresh tokens not spent yet (each is single-use: a spent one is never sent again). */
  refreshTokens: string[];
  clients: number;
}

/** Keeps this many unspent refresh tokens at most: the oldest are simply never used. */
const MAX_REFRESH_TOKENS = 20_000;

export class MixedLoad {
  private window = new Window();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 512 });
  private readonly inFlight = new Set<Promise<void>>();
  /** Requests sent, by kind. */
  readonly sentByKind: Record<Kind, number> = { phone: 0, refresh: 0, silent: 0 };
  private client = 0;
  private sent = 0;
  private readonly plan: Kind[];

  constructor(
    private readonly url: string,
    private readonly rate: number,
    mix: Mix,
    private readonly sources: LoadSources,
    // wx.request's default timeout: a slow answer is latency, only a lost one an error.
    private readonly timeoutMs = 60_000,
  ) {
    // A fixed, interleaved order of kinds: every 100 requests hold the mix exactly.
    this.plan = Array.from({ length: 100 }, (_, i) =>
      i % 100 < mix.phone ? 'phone' : i % 100 < mix.phone + mix.refresh ? 'refresh' : 'silent',
    );
    for (let i = this.plan.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [this.plan[i], this.plan[j]] = [this.plan[j], this.plan[i]];
    }
  }

  /** The window so far; a new one starts. */
  takeWindow(): Window {
    const done = this.window;
    this.window = new Window();
    return done;
  }

  /** Sends at the fixed rate until `stopAt` (performance.now()), then waits for the last answers. */
  async run(stopAt: number): Promise<void> {
    const startedAt = performance.now();
    for (;;) {
      const now = performance.now();
      if (now >= stopAt) break;
      const due = Math.floor(((now - startedAt) * this.rate) / 1000) + 1;
      for (; this.sent < due; this.sent++) {
        this.send(
          this.plan[this.sent % this.plan.length],
          startedAt + (this.sent * 1000) / this.rate,
        );
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(this.inFlight);
    this.agent.destroy();
  }

  private send(kind: Kind, dueAt: number): void {
    const window = this.window;
    window.sent++;
    const request = this.requestFor(kind);
    if (!request) {
      window.starved++;
      window.fail(`${kind}: nothing to send with`);
      return;
    }
    this.sentByKind[kind]++;
    const done = httpCall('POST', `${this.url}${request.path}`, {
      json: request.body,
      agent: this.agent,
      timeoutMs: this.timeoutMs,
      headers: { 'x-forwarded-for': clientIp(this.client++ % this.sources.clients) },
    }).then(
      (answer) => {
        // Counted in the window the answer arrives in.
        const now = this.window;
        now.latencies[kind].push(performance.now() - dueAt);
        now.statuses.set(answer.status, (now.statuses.get(answer.status) ?? 0) + 1);
        if (answer.status >= 200 && answer.status < 300) {
          now.ok++;
          this.keep((answer.body as { refreshToken?: string }).refreshToken);
        } else {
          now.non2xx++;
          now.fail(`${kind}: ${answer.status} ${answer.text.slice(0, 120)}`);
        }
      },
      (error: unknown) => {
        this.window.errors++;
        this.window.fail(`${kind}: ${String(error)}`);
      },
    );
    this.inFlight.add(done);
    void done.then(() => this.inFlight.delete(done));
  }

  private requestFor(kind: Kind): { path: string; body: Record<string, string> } | undefined {
    if (kind === 'refresh') {
      const refreshToken = this.sources.refreshTokens.shift();
      return refreshToken ? { path: '/auth/refresh', body: { refreshToken } } : undefined;
    }
    if (kind === 'phone') {
      const code = this.sources.phoneCodes.take();
      return code ? { path: '/auth/wechat/phone-login', body: { code } } : undefined;
    }
    const loginCode = this.sources.loginCodes.take();
    return loginCode ? { path: '/auth/wechat/session', body: { loginCode } } : undefined;
  }

  private keep(refreshToken: string | undefined): void {
    if (!refreshToken) return;
    const tokens = this.sources.refreshTokens;
    tokens.push(refreshToken);
    if (tokens.length > MAX_REFRESH_TOKENS) tokens.shift();
  }
}

/** The q-quantile (0…1) of unsorted values, NaN when empty. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

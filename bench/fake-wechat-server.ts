/**
 * A fake WeChat API on a real port, in its own process, for the login
 * benchmark (bench/login.ts). WeChat's semantics come from the same
 * `WechatSimulator` the app embeds and the e2e fake wraps
 * (test/helpers/fake-wechat.ts); this wrapper adds latency, counters and a
 * control API for the benchmark driver.
 *
 *   node -r ts-node/register/transpile-only bench/fake-wechat-server.ts [--latency 25] [--port 0]
 *
 * Prints `LISTENING <port>` on stdout once it accepts connections.
 *
 * Two WeChat apps live in this one process, each with its own simulator:
 * - `main`  at the root (`/cgi-bin/...`, `/wxa/...`): the app under test;
 * - `naive` under `/naive` (`/naive/cgi-bin/token`, ...): the naive baseline.
 * WeChat isolates stable_token from classic tokens, and keeping the apps apart
 * means the baseline's classic rotation (one new token per login, every older
 * token cut to its 5-minute overlap) never touches the app's token.
 *
 * Control API (no latency):
 * - `POST /__control/phone-codes?n=1000&users=2000[&app=main|naive][&phone=13800138000]`
 *   mints n single-use phone codes and answers `{ codes: [...] }`. Without
 *   `phone`, the codes cycle through `users` numbers (`13900000000`,
 *   `13900000001`, ...), the same numbers bench/login.ts registers.
 * - `GET /__control/stats` → per app: token fetches (`/cgi-bin/token` +
 *   `/cgi-bin/stable_token`), phone calls and phone errors.
 * - `POST /__control/reset` → zeroes the counters (tokens and codes stay valid).
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { TOKEN_OVERLAP_MS, WechatSimulator } from '../src/wechat/simulator/wechat-simulator';
import { readBody, sendJson } from '../test/helpers/http-io';
import { argValue, BENCH_APPS, BenchApp, benchPhone } from './support';

export interface AppStats {
  tokenFetches: number;
  classicTokenFetches: number;
  stableTokenFetches: number;
  phoneCalls: number;
  phoneErrors: number;
  otherCalls: number;
}

export type FakeStats = Record<BenchApp, AppStats>;

/**
 * How long a superseded classic token is kept before the fake forgets it.
 * WeChat keeps it 5 minutes, but the simulator's rotation walks every token it
 * ever issued, and the naive baseline fetches one per login (thousands a
 * second), so without pruning the fake itself would slow the baseline down
 * quadratically. The baseline uses each token within milliseconds of fetching
 * it; a token used later than this would answer 40001 and show up as an error.
 */
const SUPERSEDED_TOKEN_GRACE_MS = 2000;

function zeroStats(): AppStats {
  return {
    tokenFetches: 0,
    classicTokenFetches: 0,
    stableTokenFetches: 0,
    phoneCalls: 0,
    phoneErrors: 0,
    otherCalls: 0,
  };
}

class BenchWechatApp {
  readonly simulator: WechatSimulator;
  stats = zeroStats();
  private cursor = 0;

  constructor(
    private readonly appId: string,
    secret: string,
  ) {
    this.simulator = new WechatSimulator({ now: () => Date.now() }, [{ appId, secret }]);
  }

  mint(n: number, users: number, phone: string | undefined): string[] {
    const codes = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const number = phone ?? benchPhone(this.cursor++ % users);
      codes[i] = this.simulator.mintPhoneCode(this.appId, number);
    }
    return codes;
  }

  /** See SUPERSEDED_TOKEN_GRACE_MS. A live (never superseded) token is never pruned. */
  pruneSupersededTokens(): void {
    // A superseded token expires TOKEN_OVERLAP_MS after it was superseded.
    this.simulator.forgetTokensExpiringBefore(
      Date.now() - SUPERSEDED_TOKEN_GRACE_MS + TOKEN_OVERLAP_MS,
    );
  }
}

function main(): void {
  const latencyMs = Number(argValue('--latency') ?? process.env.FAKE_WECHAT_LATENCY_MS ?? 25);
  const port = Number(argValue('--port') ?? 0);
  const apps: Record<BenchApp, BenchWechatApp> = {
    main: new BenchWechatApp(BENCH_APPS.main.appId, BENCH_APPS.main.secret),
    naive: new BenchWechatApp(BENCH_APPS.naive.appId, BENCH_APPS.naive.secret),
  };
  setInterval(() => apps.naive.pruneSupersededTokens(), 250).unref();

  const server = createServer((req, res) => {
    void onRequest(req, res).catch((error: unknown) => {
      process.stderr.write(`fake-wechat: ${String(error)}\n`);
      if (!res.headersSent) sendJson(res, 500, '{"errcode":-1,"errmsg":"fake crashed"}');
    });
  });
  // Longer than anything in the benchmark: an idle keep-alive socket the app
  // still holds must not be closed under it between two levels.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    if (url.pathname.startsWith('/__control/')) return control(url, res);

    const naive = url.pathname.startsWith('/naive/');
    const app = naive ? apps.naive : apps.main;
    const path = naive ? url.pathname.slice('/naive'.length) : url.pathname;
    let body: unknown = undefined;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const answer = app.simulator.handle({
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(url.searchParams),
      body,
    });
    count(app.stats, path, answer.body.errcode);
    sendJson(res, answer.status, JSON.stringify(answer.body));
  }

  function control(url: URL, res: ServerResponse): void {
    const app = apps[(url.searchParams.get('app') ?? 'main') as BenchApp];
    switch (url.pathname) {
      case '/__control/phone-codes': {
        if (!app) return sendJson(res, 400, '{"error":"app must be main or naive"}');
        const n = Math.min(Number(url.searchParams.get('n') ?? 1), 200_000);
        if (!Number.isInteger(n) || n < 0)
          return sendJson(res, 400, '{"error":"n must be a whole number"}');
        const users = Number(url.searchParams.get('users') ?? 2000);
        const phone = url.searchParams.get('phone') ?? undefined;
        return sendJson(res, 200, JSON.stringify({ codes: app.mint(n, users, phone) }));
      }
      case '/__control/stats': {
        const stats: FakeStats = { main: apps.main.stats, naive: apps.naive.stats };
        return sendJson(res, 200, JSON.stringify(stats));
      }
      case '/__control/reset':
        apps.main.stats = zeroStats();
        apps.naive.stats = zeroStats();
        return sendJson(res, 200, '{"ok":true}');
      default:
        return sendJson(res, 404, '{"error":"unknown control route"}');
    }
  }

  server.listen(port, '127.0.0.1', () => {
    const { port: actual } = server.address() as AddressInfo;
    process.stdout.write(`LISTENING ${actual}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function count(stats: AppStats, path: string, errcode: unknown): void {
  switch (path) {
    case '/cgi-bin/token':
      stats.tokenFetches++;
      stats.classicTokenFetches++;
      return;
    case '/cgi-bin/stable_token':
      stats.tokenFetches++;
      stats.stableTokenFetches++;
      return;
    case '/wxa/business/getuserphonenumber':
      stats.phoneCalls++;
      if (errcode !== 0) stats.phoneErrors++;
      return;
    default:
      stats.otherCalls++;
  }
}

if (require.main === module) main();

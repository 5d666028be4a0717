/**
 * FakeWechat in a process of its own, for the login benchmark (bench/login.ts):
 * the same fake as the e2e tests, with real latency and a control API.
 *
 *   node -r ts-node/register/transpile-only test/helpers/fake-wechat-server.ts \
 *     --apps <appid>:<secret>[,<appid>:<secret>…] [--latency 25] [--forget-superseded-ms 2000]
 *     [--token-ttl 7200]
 *
 * Each app gets a fake of its own on its own free port (WeChat keeps apps apart;
 * separate fakes also keep their counters apart), and the process prints
 * `LISTENING <appid> <port>` for each once it accepts connections.
 *
 * Control API of each fake (no latency, not counted):
 * - `POST /__control/phone-codes?n=1000&from=13900000000&count=1000[&phone=…]` mints n
 *   single-use phone codes, `{ codes: [...] }`; without `phone` they cycle through
 *   the `count` numbers starting at `from` (the users the benchmark registered).
 * - `POST /__control/login-codes?n=1000&from=0&count=1000&prefix=o_bench_` mints n
 *   single-use wx.login codes, `{ codes: [...] }`, for the openids `<prefix><i>`,
 *   i cycling through `from` … `from + count - 1` (silent logins of bound users).
 * - `GET /__control/stats` → the fake's CallCounts (token fetches, phone calls, …).
 * - `POST /__control/reset` → zeroes the counters (tokens and codes stay valid).
 */
import { ServerResponse } from 'node:http';
import { TOKEN_OVERLAP_MS } from '../../src/wechat/simulator/wechat-simulator';
import { FakeWechat } from './fake-wechat';
import { sendJson } from './http-io';

function argValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

interface FakeSettings {
  latencyMs: number;
  forgetSupersededMs: number | undefined;
  tokenTtlSec: number | undefined;
}

/** `n` from a control query: a whole number up to 200 000, or undefined. */
function countOf(url: URL): number | undefined {
  const n = Math.min(Number(url.searchParams.get('n') ?? 1), 200_000);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

async function startFake(
  appId: string,
  secret: string,
  { latencyMs, forgetSupersededMs, tokenTtlSec }: FakeSettings,
): Promise<FakeWechat> {
  let cursor = 0;
  let loginCursor = 0;
  const routes: Record<string, (url: URL, res: ServerResponse) => void> = {
    '/__control/phone-codes': (url, res) => {
      const n = countOf(url);
      if (n === undefined) return sendJson(res, 400, '{"error":"n must be a whole number"}');
      const from = Number(url.searchParams.get('from') ?? 13900000000);
      const count = Number(url.searchParams.get('count') ?? 2000);
      const phone = url.searchParams.get('phone') ?? undefined;
      const codes = Array.from({ length: n }, () =>
        fake.phoneCode(phone ?? String(from + (cursor++ % count))),
      );
      sendJson(res, 200, JSON.stringify({ codes }));
    },
    '/__control/login-codes': (url, res) => {
      const n = countOf(url);
      if (n === undefined) return sendJson(res, 400, '{"error":"n must be a whole number"}');
      const from = Number(url.searchParams.get('from') ?? 0);
      const count = Number(url.searchParams.get('count') ?? 2000);
      const prefix = url.searchParams.get('prefix') ?? 'o_bench_';
      const codes = Array.from({ length: n }, () =>
        fake.loginCode(`${prefix}${from + (loginCursor++ % count)}`),
      );
      sendJson(res, 200, JSON.stringify({ codes }));
    },
    '/__control/stats': (_url, res) => sendJson(res, 200, JSON.stringify(fake.counts)),
    '/__control/reset': (_url, res) => {
      fake.resetCalls();
      sendJson(res, 200, '{"ok":true}');
    },
  };
  const fake = await FakeWechat.start([{ appId, secret }], {
    latencyMs,
    recordCalls: false,
    // Longer than anything in a benchmark: an idle keep-alive socket the app
    // still holds must not be closed under it between two levels.
    keepAliveTimeoutMs: 120_000,
    tokenTtlSec,
    routes,
  });
  if (forgetSupersededMs !== undefined) {
    // A client that fetches a classic token per call (the benchmark's naive
    // baseline) makes the simulator walk thousands of superseded tokens; it uses
    // each within milliseconds, so those older than this are forgotten (a token
    // used later answers 40001 and shows as an error). A live token never is.
    setInterval(
      () =>
        fake.simulator.forgetTokensExpiringBefore(
          fake.clock.now() - forgetSupersededMs + TOKEN_OVERLAP_MS,
        ),
      250,
    ).unref();
  }
  return fake;
}

async function main(): Promise<void> {
  const apps = (argValue('--apps') ?? '').split(',').filter(Boolean);
  if (apps.length === 0) throw new Error('--apps <appid>:<secret>[,…] is required');
  const latencyMs = Number(argValue('--latency') ?? 0);
  const forget = argValue('--forget-superseded-ms');
  const ttl = argValue('--token-ttl');
  const settings: FakeSettings = {
    latencyMs,
    forgetSupersededMs: forget ? Number(forget) : undefined,
    tokenTtlSec: ttl ? Number(ttl) : undefined,
  };
  const fakes: FakeWechat[] = [];
  for (const app of apps) {
    const [appId, secret] = app.split(':');
    const fake = await startFake(appId, secret, settings);
    fakes.push(fake);
    process.stdout.write(`LISTENING ${appId} ${new URL(fake.url).port}\n`);
  }
  const stop = () => void Promise.all(fakes.map((fake) => fake.stop())).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`fake-wechat-server: ${String(error)}\n`);
  process.exit(1);
});

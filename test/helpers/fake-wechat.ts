import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { WechatSimulator } from '../../src/wechat/simulator/wechat-simulator';
import { readBody, sendJson } from './http-io';
import { ManualClock } from './manual-clock';

export const FAKE_APPID = 'wxe2e0000000000001';
export const FAKE_SECRET = 'e2e-app-secret-value-0001';

/** What the fake can be told to do to the next matching calls. */
export type Fault =
  { errcode: number; errmsg?: string } | { httpStatus: number } | { body: string } | { hang: true };

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** The errcode the fake answered with (undefined for HTTP-level faults and hangs). */
  errcode?: number;
  /** The JSON the fake answered with, when it answered normally. */
  answer?: Record<string, unknown>;
}

export interface FakeWechatOptions {
  riskyWords?: string[];
  /** The port to listen on (default: any free one). */
  port?: number;
  /** Milliseconds every WeChat call waits before its answer (default 0; `latencyMs` changes it later). */
  latencyMs?: number;
  /** Keep every call in `calls` (default true). A benchmark's millions of calls only need `counts`. */
  recordCalls?: boolean;
  /** How long an idle keep-alive connection stays open (Node's default otherwise). */
  keepAliveTimeoutMs?: number;
  /** Lifetime of the access tokens it hands out, in seconds (WeChat's 7200 by default). */
  tokenTtlSec?: number;
  /** Extra routes by exact path (a benchmark's control API): answered at once, never recorded. */
  routes?: Record<string, (url: URL, res: ServerResponse) => void>;
}

/** Calls by kind since the start or the last resetCalls(), kept even when calls are not recorded. */
export interface CallCounts {
  tokenFetches: number;
  classicTokenFetches: number;
  stableTokenFetches: number;
  phoneCalls: number;
  phoneErrors: number;
  otherCalls: number;
}

/**
 * A fault armed for one request: it matches only a call that carries `key` as its
 * phone `code` (getuserphonenumber), `js_code` (jscode2session), `appid` (token
 * fetches) or `openid` (msg_sec_check), so no other test's late call can take it.
 */
interface KeyedFault {
  key: string;
  path: string | undefined;
  fault: Fault;
  armedAt: number;
}

const TOKEN_PATHS = new Set(['/cgi-bin/token', '/cgi-bin/stable_token']);

/**
 * A fake WeChat API server on a real port, for e2e tests: WeChat's
 * semantics come from the same simulator the app embeds, and this wrapper
 * adds what tests need: a call log, latency, and injected faults.
 */
export class FakeWechat {
  readonly clock = new ManualClock();
  readonly simulator: WechatSimulator;
  readonly calls: RecordedCall[] = [];
  latencyMs: number;
  readonly counts: CallCounts = zeroCounts();
  /** The most calls the fake was answering at once. */
  maxInFlight = 0;
  private inFlight = 0;
  /** Overrides watermark.appid in phone answers (a code minted for another app). */
  watermarkAppId: string | undefined;
  private readonly faults: { path: string; fault: Fault; armedAt: number }[] = [];
  /** Calls received so far: a fault only matches calls that arrive after it was armed. */
  private arrivals = 0;
  private readonly keyedFaults: KeyedFault[] = [];
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  url = '';

  /** The primary app's credentials. */
  readonly appId: string;
  readonly secret: string;

  /** `options.riskyWords`: what msg_sec_check calls risky (the simulator's default otherwise). */
  constructor(
    readonly apps = [{ appId: FAKE_APPID, secret: FAKE_SECRET }],
    private readonly options: FakeWechatOptions = {},
  ) {
    this.simulator = new WechatSimulator(this.clock, apps, options);
    this.latencyMs = options.latencyMs ?? 0;
    this.appId = apps[0].appId;
    this.secret = apps[0].secret;
  }

  /** A fake serving one app, or each of `apps` (the first is primary). */
  static async start(
    apps?: { appId: string; secret: string }[],
    options?: FakeWechatOptions,
  ): Promise<FakeWechat> {
    const fake = new FakeWechat(apps, options);
    await fake.listen();
    return fake;
  }

  /** Token fetches made for one app. */
  tokenFetchesFor(appId: string): number {
    return this.calls.filter(
      (call) =>
        TOKEN_PATHS.has(call.path) &&
        (call.query.appid ?? (call.body as { appid?: string } | undefined)?.appid) === appId,
    ).length;
  }

  get tokenFetches(): number {
    return this.calls.filter((call) => TOKEN_PATHS.has(call.path)).length;
  }

  get phoneCalls(): RecordedCall[] {
    return this.calls.filter((call) => call.path === '/wxa/business/getuserphonenumber');
  }

  get contentChecks(): RecordedCall[] {
    return this.calls.filter((call) => call.path === '/wxa/msg_sec_check');
  }

  phoneCode(phoneNumber = '13800138000', countryCode?: string, appId?: string): string {
    return this.simulator.mintPhoneCode(appId ?? this.appId, phoneNumber, countryCode);
  }

  /** What wx.login would hand the mini-program for this WeChat account. */
  loginCode(openid?: string, unionid?: string, appId?: string): string {
    return this.simulator.mintLoginCode(appId ?? this.appId, openid, unionid);
  }

  /**
   * The next `times` calls that carry `key` get `fault` instead of the real answer
   * (a retry carries the same key: `times = 2` fails the retry too). The key is the
   * call's phone code, login code (`js_code`), `appid` (token fetches) or `openid`
   * (msg_sec_check); `path` narrows it to one endpoint. Prefer this to failNext:
   * a late call left over from an earlier test cannot take a keyed fault.
   */
  failFor(key: string, fault: Fault, times = 1, path?: string): void {
    for (let i = 0; i < times; i++) {
      this.keyedFaults.push({ key, path, fault, armedAt: this.arrivals });
    }
  }

  /**
   * The next `times` calls to `path`, whoever makes them, get `fault`. Only for
   * calls that carry no key of their own in the test (a token fetch of the one app
   * every test shares). Like failFor it only matches calls that reach the fake after
   * it was armed, so a call of an earlier test still waiting out `latencyMs` cannot
   * take it; but a late call that arrives afterwards can, so arm it only when no
   * earlier test's request can still call `path`.
   */
  failNext(path: string, fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ path, fault, armedAt: this.arrivals });
  }

  /** Drops the faults no call has consumed yet (a retry that did not happen leaves one behind). */
  clearFaults(): void {
    this.faults.length = 0;
    this.keyedFaults.length = 0;
  }

  resetCalls(): void {
    this.calls.length = 0;
    Object.assign(this.counts, zeroCounts());
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private listen(): Promise<void> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    if (this.options.keepAliveTimeoutMs !== undefined) {
      this.server.keepAliveTimeout = this.options.keepAliveTimeoutMs;
      this.server.headersTimeout = this.options.keepAliveTimeoutMs + 1000;
    }
    return new Promise((resolve) => {
      this.server!.listen(this.options.port ?? 0, '127.0.0.1', () => {
        const { port } = this.server!.address() as AddressInfo;
        this.url = `http://127.0.0.1:${port}`;
        resolve();
      });
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrival = ++this.arrivals;
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    const route = this.options.routes?.[url.pathname];
    if (route) return route(url, res);
    let body: unknown = undefined;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    const query = Object.fromEntries(url.searchParams);
    const call: RecordedCall = { method: req.method ?? 'GET', path: url.pathname, query, body };
    if (this.options.recordCalls !== false) this.calls.push(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));

    const fault = this.takeFault(call, arrival);
    if (fault) {
      if ('errcode' in fault) call.errcode = fault.errcode;
      this.count(call);
      return this.answerFault(res, fault);
    }
    const answer = this.simulator.handle(call);
    call.errcode = answer.body.errcode as number;
    this.count(call);
    call.answer = answer.body;
    if (this.watermarkAppId && answer.body.phone_info) {
      const info = answer.body.phone_info as { watermark: { appid: string } };
      info.watermark.appid = this.watermarkAppId;
    }
    sendJson(res, answer.status, JSON.stringify(answer.body));
  }

  private takeFault(call: RecordedCall, arrival: number): Fault | undefined {
    const keys = keysOf(call);
    const keyed = this.keyedFaults.findIndex(
      (f) =>
        f.armedAt < arrival &&
        keys.includes(f.key) &&
        (f.path === undefined || f.path === call.path),
    );
    if (keyed >= 0) return this.keyedFaults.splice(keyed, 1)[0].fault;
    const index = this.faults.findIndex((f) => f.armedAt < arrival && f.path === call.path);
    if (index >= 0) return this.faults.splice(index, 1)[0].fault;
    return undefined;
  }

  private count(call: RecordedCall): void {
    const counts = this.counts;
    switch (call.path) {
      case '/cgi-bin/token':
        counts.tokenFetches++;
        counts.classicTokenFetches++;
        return;
      case '/cgi-bin/stable_token':
        counts.tokenFetches++;
        counts.stableTokenFetches++;
        return;
      case '/wxa/business/getuserphonenumber':
        counts.phoneCalls++;
        if (call.errcode !== 0) counts.phoneErrors++;
        return;
      default:
        counts.otherCalls++;
    }
  }

  private answerFault(res: ServerResponse, fault: Fault): void {
    if ('hang' in fault) {
      this.hanging.add(res);
      return;
    }
    if ('httpStatus' in fault) return sendJson(res, fault.httpStatus, '<html>error</html>');
    if ('body' in fault) return sendJson(res, 200, fault.body);
    sendJson(res, 200, JSON.stringify({ errcode: fault.errcode, errmsg: fault.errmsg ?? 'fault' }));
  }
}

function zeroCounts(): CallCounts {
  return {
    tokenFetches: 0,
    classicTokenFetches: 0,
    stableTokenFetches: 0,
    phoneCalls: 0,
    phoneErrors: 0,
    otherCalls: 0,
  };
}

/** What identifies a call's request for failFor: its code, login code, appid or openid. */
function keysOf(call: RecordedCall): string[] {
  const body = (typeof call.body === 'object' && call.body !== null ? call.body : {}) as Record<
    string,
    unknown
  >;
  return [body.code, call.query.js_code, call.query.appid, body.appid, body.openid].filter(
    (key): key is string => typeof key === 'string',
  );
}

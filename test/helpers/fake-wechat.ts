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
  latencyMs = 0;
  /** The most calls the fake was answering at once. */
  maxInFlight = 0;
  private inFlight = 0;
  /** Overrides watermark.appid in phone answers (a code minted for another app). */
  watermarkAppId: string | undefined;
  private readonly faults: { path: string; fault: Fault }[] = [];
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  url = '';

  /** The primary app's credentials. */
  readonly appId: string;
  readonly secret: string;

  /** `options.riskyWords`: what msg_sec_check calls risky (the simulator's default otherwise). */
  constructor(
    readonly apps = [{ appId: FAKE_APPID, secret: FAKE_SECRET }],
    options: FakeWechatOptions = {},
  ) {
    this.simulator = new WechatSimulator(this.clock, apps, options);
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

  /** The next `times` calls to `path` get `fault` instead of the real answer. */
  failNext(path: string, fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ path, fault });
  }

  /** Drops the faults no call has consumed yet (a retry that did not happen leaves one behind). */
  clearFaults(): void {
    this.faults.length = 0;
  }

  resetCalls(): void {
    this.calls.length = 0;
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
    return new Promise((resolve) => {
      this.server!.listen(0, '127.0.0.1', () => {
        const { port } = this.server!.address() as AddressInfo;
        this.url = `http://127.0.0.1:${port}`;
        resolve();
      });
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    let body: unknown = undefined;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    const query = Object.fromEntries(url.searchParams);
    const call: RecordedCall = { method: req.method ?? 'GET', path: url.pathname, query, body };
    this.calls.push(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));

    const index = this.faults.findIndex((f) => f.path === url.pathname);
    if (index >= 0) {
      const [{ fault }] = this.faults.splice(index, 1);
      if ('errcode' in fault) call.errcode = fault.errcode;
      return this.answerFault(res, fault);
    }
    const answer = this.simulator.handle(call);
    call.errcode = answer.body.errcode as number;
    call.answer = answer.body;
    if (this.watermarkAppId && answer.body.phone_info) {
      const info = answer.body.phone_info as { watermark: { appid: string } };
      info.watermark.appid = this.watermarkAppId;
    }
    sendJson(res, answer.status, JSON.stringify(answer.body));
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

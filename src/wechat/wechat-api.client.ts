import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AxiosError, AxiosRequestConfig } from 'axios';
import { wechatConfig } from '../config/wechat.config';
import { AppMetrics } from '../metrics/app-metrics';
import { WechatApp } from './wechat-app';
import {
  errcodeMetricLabel,
  WECHAT_ENDPOINTS,
  WechatEndpoint,
  wechatErrorFor,
} from './wechat-errcodes';
import {
  WechatBadResponseError,
  WechatMisconfiguredError,
  WechatUnreachableError,
} from './wechat.errors';

export interface FetchedAccessToken {
  accessToken: string;
  expiresInSec: number;
}

/** The raw, already errcode-checked answer of getuserphonenumber; PhoneService validates its shape. */
export type PhoneNumberAnswer = Record<string, unknown>;

export interface CallOptions {
  /** Milliseconds this call may take; defaults to WECHAT_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * The WeChat HTTP API, and nothing else: every call reads `response.data`,
 * checks `errcode` before anything, and turns failures into typed errors.
 * Secrets travel only in the request; no URL or params are ever logged.
 */
@Injectable()
export class WechatApiClient {
  private readonly logger = new Logger('WechatApi');

  constructor(
    private readonly http: HttpService,
    @Inject(wechatConfig.KEY)
    private readonly config: ConfigType<typeof wechatConfig>,
    private readonly metrics: AppMetrics,
  ) {}

  /**
   * stable mode: `POST /cgi-bin/stable_token` in normal mode, which hands back
   * the live token instead of rotating it; `forceRefresh` (rationed by
   * WeChat: 20/day, 30 s apart) only when the caller says so.
   * classic mode: `GET /cgi-bin/token`, which rotates on every call.
   */
  async fetchAccessToken(
    app: WechatApp,
    options: { forceRefresh?: boolean } = {},
  ): Promise<FetchedAccessToken> {
    const credentials = { grant_type: 'client_credential', appid: app.id, secret: app.secret };
    const data =
      app.tokenMode === 'stable'
        ? await this.call('stable_token', app, {
            method: 'POST',
            data: { ...credentials, force_refresh: options.forceRefresh === true },
          })
        : await this.call('token', app, { method: 'GET', params: credentials });
    const accessToken = data.access_token;
    const expiresIn = data.expires_in;
    if (
      typeof accessToken !== 'string' ||
      accessToken === '' ||
      typeof expiresIn !== 'number' ||
      !Number.isFinite(expiresIn) ||
      expiresIn <= 0
    ) {
      throw new WechatBadResponseError('token answer without access_token/expires_in');
    }
    return { accessToken, expiresInSec: expiresIn };
  }

  /** The access token goes in the query string, the code in the JSON body. */
  getUserPhoneNumber(
    app: WechatApp,
    accessToken: string,
    code: string,
    options: CallOptions = {},
  ): Promise<PhoneNumberAnswer> {
    return this.call(
      'getuserphonenumber',
      app,
      {
        method: 'POST',
        params: { access_token: accessToken },
        data: { code },
      },
      options,
    );
  }

  /**
   * Content security (version 2): the access token in the query string; the
   * text, the scene (1 = profile) and the openid of the user who wrote it in
   * the JSON body.
   */
  msgSecCheck(
    app: WechatApp,
    accessToken: string,
    check: { content: string; openid: string },
    options: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    return this.call(
      'msg_sec_check',
      app,
      {
        method: 'POST',
        params: { access_token: accessToken },
        data: { content: check.content, version: 2, scene: 1, openid: check.openid },
      },
      options,
    );
  }

  /** wx.login's code → openid (+ unionid). Needs no access token. */
  code2Session(
    app: WechatApp,
    jsCode: string,
    options: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    return this.call(
      'jscode2session',
      app,
      {
        method: 'GET',
        params: {
          appid: app.id,
          secret: app.secret,
          js_code: jsCode,
          grant_type: 'authorization_code',
        },
      },
      options,
    );
  }

  /** Every call counted by endpoint and errcode (wxlogin_wechat_calls_total) and timed. */
  private async call(
    endpoint: WechatEndpoint,
    app: WechatApp,
    request: AxiosRequestConfig,
    options: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    const startedAt = process.hrtime.bigint();
    let errcode = '0';
    try {
      return await this.callOnce(endpoint, app, request, options);
    } catch (error) {
      errcode = errcodeMetricLabel(endpoint, error);
      throw error;
    } finally {
      this.metrics.wechatCalls.inc({ endpoint, errcode });
      this.metrics.wechatCallDuration.observe(
        { endpoint },
        Number(process.hrtime.bigint() - startedAt) / 1e9,
      );
    }
  }

  private async callOnce(
    endpoint: WechatEndpoint,
    app: WechatApp,
    request: AxiosRequestConfig,
    options: CallOptions,
  ): Promise<Record<string, unknown>> {
    let data: unknown;
    try {
      // axiosRef, not the rxjs wrapper: the wrapper creates a CancelToken per
      // call and cancels it after the answer, allocating an Error each time.
      const response = await this.http.axiosRef.request<unknown>({
        ...request,
        url: WECHAT_ENDPOINTS[endpoint],
        baseURL: this.config.apiBaseUrl,
        timeout: options.timeoutMs ?? this.config.timeoutMs,
        // The socket timeout above starts only once a socket is free; this
        // bounds the whole call, including the wait for one of the capped
        // connections, so a slow WeChat cannot queue calls without limit.
        signal: AbortSignal.timeout(options.timeoutMs ?? this.config.timeoutMs),
        // Any status is read here; non-2xx is a WeChat outage, not a crash.
        validateStatus: () => true,
        responseType: 'json',
        // WeChat never redirects: plain node:http instead of follow-redirects.
        maxRedirects: 0,
      });
      if (response.status < 200 || response.status >= 300) {
        throw new WechatUnreachableError(`HTTP ${response.status}`);
      }
      data = response.data;
    } catch (error) {
      if (error instanceof WechatUnreachableError) throw error;
      throw new WechatUnreachableError(describeTransportError(error));
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new WechatBadResponseError('answer is not a JSON object');
    }
    const answer = data as Record<string, unknown>;
    const errcode = answer.errcode;
    if (errcode !== undefined && errcode !== 0) {
      if (typeof errcode !== 'number') {
        throw new WechatBadResponseError('errcode is not a number');
      }
      const error = wechatErrorFor(endpoint, errcode);
      this.logErrcode(endpoint, app.id, errcode, answer.errmsg, error);
      throw error;
    }
    return answer;
  }

  /**
   * The one log line for a non-zero errcode: WeChat's errmsg carries the `rid`
   * its support asks for (and the egress IP on 40164), so the operator gets it
   * here, once; it never travels further, so no client sees it.
   */
  private logErrcode(
    endpoint: WechatEndpoint,
    appId: string,
    errcode: number,
    errmsg: unknown,
    error: Error,
  ): void {
    const text = typeof errmsg === 'string' ? errmsg.replace(/\s+/g, ' ').slice(0, 300) : '';
    const line =
      `WeChat ${WECHAT_ENDPOINTS[endpoint]} (app ${appId}) answered errcode ${errcode}` +
      ` (errmsg: ${JSON.stringify(text)})`;
    if (error instanceof WechatMisconfiguredError) {
      this.logger.error(`${line}: ${error.hint}`);
    } else {
      this.logger.warn(line);
    }
  }
}

/** A short reason with no URL in it (the URL carries the access token). */
function describeTransportError(error: unknown): string {
  if (error instanceof AxiosError) {
    if (['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED'].includes(error.code ?? '')) {
      return 'timeout';
    }
    return error.code ?? 'network error';
  }
  return 'network error';
}

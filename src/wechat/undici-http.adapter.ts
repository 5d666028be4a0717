import { AxiosAdapter, AxiosError, AxiosHeaders, AxiosResponse } from 'axios';
import { Agent, Dispatcher, errors, request } from 'undici';

/**
 * The axios adapter for the real WeChat API: the request goes out through
 * undici (its own HTTP/1.1 client and connection pool) instead of axios's
 * node:http adapter, which costs several times as much CPU per call (stream
 * plumbing, proxy and redirect handling, a ClientRequest per call; see
 * bench/RESULTS.md). Axios stays in front: the client builds its requests,
 * axios serialises the JSON body and parses the JSON answer as before, and
 * failures reach the client as AxiosErrors with the same codes.
 */
export function undiciAdapter(dispatcher: Dispatcher): AxiosAdapter {
  return async (config) => {
    const url = urlOf(config.baseURL, config.url, config.params as QueryParams | undefined);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(AxiosHeaders.from(config.headers).toJSON())) {
      if (value !== undefined && value !== null) headers[name] = String(value);
    }
    const timeout = config.timeout || undefined;
    let response: AxiosResponse;
    try {
      const answer = await request(url, {
        method: (config.method ?? 'get').toUpperCase(),
        headers,
        body: config.data as string | undefined,
        signal: config.signal,
        dispatcher,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      response = {
        data: await answer.body.text(),
        status: answer.statusCode,
        statusText: '',
        headers: new AxiosHeaders(answer.headers as Record<string, string>),
        config,
      };
    } catch (error) {
      throw toAxiosError(error, config);
    }
    if (config.validateStatus && !config.validateStatus(response.status)) {
      throw new AxiosError(
        `Request failed with status code ${response.status}`,
        AxiosError.ERR_BAD_RESPONSE,
        config,
        undefined,
        response,
      );
    }
    return response;
  };
}

/** A keep-alive pool per origin, at most `connections` sockets each; further calls queue. */
export function wechatDispatcher(connections: number): Agent {
  return new Agent({ connections, pipelining: 1 });
}

/** The client's query parameters are plain values (tokens, ids, codes). */
type QueryParams = Record<string, string | number | boolean | undefined | null>;

/** baseURL + url + the query string, encoded as axios encodes it for these plain values. */
function urlOf(
  baseURL: string | undefined,
  path: string | undefined,
  params: QueryParams | undefined,
): string {
  const url = path ?? '';
  // As axios does: an absolute URL stands alone, a relative one joins baseURL.
  const base =
    baseURL && !/^[a-z][a-z\d+\-.]*:\/\//i.test(url)
      ? `${baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`
      : url;
  if (!params) return base;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) query.append(key, String(value));
  }
  const text = query.toString();
  return text === '' ? base : `${base}${base.includes('?') ? '&' : '?'}${text}`;
}

function toAxiosError(error: unknown, config: Parameters<AxiosAdapter>[0]): AxiosError {
  if (error instanceof AxiosError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code =
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError ||
    error instanceof errors.ConnectTimeoutError ||
    (error instanceof Error && error.name === 'TimeoutError')
      ? AxiosError.ETIMEDOUT
      : error instanceof errors.RequestAbortedError ||
          (error instanceof Error && error.name === 'AbortError')
        ? AxiosError.ERR_CANCELED
        : ((error as { code?: string }).code ?? AxiosError.ERR_NETWORK);
  return new AxiosError(message, code, config);
}

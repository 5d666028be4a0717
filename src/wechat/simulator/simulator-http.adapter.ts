import { AxiosAdapter, AxiosHeaders, AxiosResponse } from 'axios';
import { WechatSimulator } from './wechat-simulator';

/**
 * An axios adapter that answers WeChat API calls from the in-process
 * simulator instead of the network. Only the transport changes: the client
 * still builds the same URL, query string and JSON body, and still parses
 * `response.data`, exactly as it does against api.weixin.qq.com.
 */
export function simulatorAdapter(simulator: WechatSimulator): AxiosAdapter {
  return (config) => {
    const url = new URL(config.url ?? '', `${config.baseURL ?? 'http://sim'}/`);
    const query: Record<string, string> = {};
    url.searchParams.forEach((value, key) => (query[key] = value));
    for (const [key, value] of Object.entries((config.params ?? {}) as Record<string, unknown>)) {
      query[key] = String(value);
    }
    const body: unknown =
      typeof config.data === 'string' && config.data !== '' ? JSON.parse(config.data) : config.data;
    const answer = simulator.handle({
      method: config.method ?? 'get',
      path: url.pathname,
      query,
      body,
    });
    const response: AxiosResponse = {
      data: JSON.stringify(answer.body),
      status: answer.status,
      statusText: answer.status === 200 ? 'OK' : 'Error',
      headers: new AxiosHeaders({ 'content-type': 'application/json' }),
      config,
    };
    return Promise.resolve(response);
  };
}

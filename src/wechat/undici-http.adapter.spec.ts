import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import axios, { AxiosError, AxiosInstance } from 'axios';
import { Agent } from 'undici';
import { undiciAdapter, wechatDispatcher } from './undici-http.adapter';

interface Seen {
  method?: string;
  url?: string;
  contentType?: string;
  body: string;
}

describe('undiciAdapter (the axios adapter WeChat calls go through)', () => {
  let server: Server;
  let base: string;
  let seen: Seen[];
  let dispatcher: Agent;
  let client: AxiosInstance;
  let answer: (req: IncomingMessage) => { status: number; body: string } | 'hang';

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          contentType: req.headers['content-type'],
          body,
        });
        const reply = answer(req);
        if (reply === 'hang') return;
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
      });
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    seen = [];
    answer = () => ({ status: 200, body: '{"errcode":0,"phone_info":{"phoneNumber":"x"}}' });
    dispatcher = wechatDispatcher(4);
    client = axios.create({ adapter: undiciAdapter(dispatcher) });
  });

  afterEach(() => dispatcher.destroy());

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((closed) => server.close(closed));
  });

  it('sends the method, path, query string and JSON body, and parses the JSON answer', async () => {
    const response = await client.request<Record<string, unknown>>({
      method: 'POST',
      baseURL: base,
      url: '/wxa/business/getuserphonenumber',
      params: { access_token: 'tok en/+=', skipped: undefined },
      data: { code: 'the-code' },
      responseType: 'json',
    });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ errcode: 0, phone_info: { phoneNumber: 'x' } });
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/wxa/business/getuserphonenumber?access_token=tok+en%2F%2B%3D',
        contentType: 'application/json',
        body: '{"code":"the-code"}',
      },
    ]);
  });

  it('sends a GET without a body', async () => {
    await client.get(`${base}/cgi-bin/token`, { params: { grant_type: 'client_credential' } });
    expect(seen).toEqual([
      {
        method: 'GET',
        url: '/cgi-bin/token?grant_type=client_credential',
        contentType: undefined,
        body: '',
      },
    ]);
  });

  it('hands any status to validateStatus, and rejects what it refuses with the response', async () => {
    answer = () => ({ status: 502, body: '{}' });
    const accepted = await client.get(`${base}/x`, { validateStatus: () => true });
    expect(accepted.status).toBe(502);
    const refused = await client.get(`${base}/x`).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AxiosError);
    expect((refused as AxiosError).response?.status).toBe(502);
  });

  it('fails with an AxiosError carrying the socket error code when nothing listens', async () => {
    const error = await client.get('http://127.0.0.1:9/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).code).toBe('ECONNREFUSED');
  });

  it('reports a call that outlives its timeout or its abort signal as ETIMEDOUT / ERR_CANCELED', async () => {
    answer = () => 'hang';
    const timedOut = await client.get(`${base}/slow`, { timeout: 100 }).catch((e: unknown) => e);
    expect((timedOut as AxiosError).code).toBe(AxiosError.ETIMEDOUT);
    const aborted = await client
      .get(`${base}/slow`, { signal: AbortSignal.timeout(100) })
      .catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(AxiosError);
    expect([AxiosError.ETIMEDOUT, AxiosError.ERR_CANCELED]).toContain((aborted as AxiosError).code);
  });
});

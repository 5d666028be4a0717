/**
 * CPU per WeChat call of the HTTP client alone: axios with its node:http
 * adapter (a keep-alive agent, as the app had it) against axios with the
 * undici adapter the app uses, the same request the login sends
 * (POST getuserphonenumber, token in the query, JSON body and answer), 100 in
 * flight, against a bare server in another process answering after 25 ms.
 * Rounds alternate the two; the figure is process CPU per call, median.
 *
 *   npm run build && npx ts-node --transpile-only bench/wechat-client.ts
 */
import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import axios, { AxiosInstance } from 'axios';
import { undiciAdapter, wechatDispatcher } from '../src/wechat/undici-http.adapter';

const PORT = 39_200 + Math.floor(Math.random() * 500);
const SERVER = `
const body = JSON.stringify({ errcode: 0, errmsg: 'ok', phone_info: { phoneNumber: '13900000001',
  purePhoneNumber: '13900000001', countryCode: '86', watermark: { timestamp: 1, appid: 'wxbench' } } });
require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => setTimeout(() => { res.setHeader('content-type', 'application/json'); res.end(body); }, 25));
}).listen(${PORT}, '127.0.0.1', () => console.log('up'));`;

const clients: Record<string, AxiosInstance> = {
  'axios http adapter': axios.create({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }),
  'axios undici adapter': axios.create({ adapter: undiciAdapter(wechatDispatcher(64)) }),
};

async function round(client: AxiosInstance, calls: number, inFlight: number): Promise<number> {
  let started = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started++ < calls) {
        const answer = await client.request<{ phone_info?: unknown }>({
          method: 'POST',
          baseURL: `http://127.0.0.1:${PORT}`,
          url: '/wxa/business/getuserphonenumber',
          params: { access_token: 'x'.repeat(136) },
          data: { code: 'abcdef0123456789abcdef0123456789' },
          timeout: 5000,
          signal: AbortSignal.timeout(5000),
          validateStatus: () => true,
          responseType: 'json',
          maxRedirects: 0,
        });
        if (!answer.data.phone_info) throw new Error('unexpected answer');
      }
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

async function main(): Promise<void> {
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((up) => server.stdout.once('data', up));
  const names = Object.keys(clients);
  for (const name of names) await round(clients[name], 500, 50); // warm-up
  const results: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < 6; r++) {
    for (const name of r % 2 ? [...names].reverse() : names) {
      results[name].push(await round(clients[name], 3000, 100));
    }
  }
  for (const name of names) {
    const sorted = [...results[name]].sort((a, b) => a - b);
    const median = (sorted[2] + sorted[3]) / 2;
    process.stdout.write(
      `${name}: ${median.toFixed(0)} µs CPU per call (median; rounds ${results[name].map((x) => x.toFixed(0)).join(' ')})\n`,
    );
  }
  server.kill();
  process.exit(0);
}

void main();

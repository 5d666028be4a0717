/**
 * Memory and responsiveness under concurrent avatar uploads (README, bench scripts).
 *
 *   npm run bench:avatar-memory [-- --uploads 20 --rounds 3 --format jpeg|png --malloc-arenas 2 --main <dist/main.js>]
 *
 * Starts the built app (dist/main.js, `npm run build` first) as its own process with
 * the node flags of `npm run start:prod`, the built-in WeChat simulator on. Registers
 * `--uploads` users, then makes one image just under AVATAR_MAX_BYTES (2 MiB) with as
 * many pixels as fit in it (the decode is what costs memory), and for `--rounds`
 * rounds sends all uploads at once (PUT /users/me/avatar, each on its own connection).
 * Meanwhile another process asks GET /health/live every 20 ms: its worst latency, against the
 * time one upload takes alone, shows whether image work blocks the event loop (sharp
 * runs in libuv's thread pool); the same rounds with random bytes of the same size
 * (refused with 422 at the header, no image work) come first as the control: what
 * receiving 20 × 2 MiB costs the probes on this machine anyway. RSS is sampled from
 * /proc/<pid>/status every 50 ms.
 * Prints the numbers; exits 1 when an upload fails or the peak RSS reaches 250 MB.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import sharp from 'sharp';
import { launchApp, PROD_NODE_FLAGS } from '../test/helpers/app-process';
import { httpCall } from '../test/helpers/http-client';
import { argValue, statusMb } from './support';

const UPLOADS = Number(argValue('--uploads') ?? 20);
const ROUNDS = Number(argValue('--rounds') ?? 3);
const FORMAT = (argValue('--format') ?? 'jpeg') as 'jpeg' | 'png';
const MAIN = argValue('--main');
/** glibc's MALLOC_ARENA_MAX for the app: libvips threads otherwise keep arenas of their own. */
const ARENAS = argValue('--malloc-arenas');
const MAX_BYTES = 2 * 1024 * 1024;
const RSS_LIMIT_MB = 250;

/** A noisy photo-like image as large in pixels as fits under the byte limit. */
async function bigImage(): Promise<{ bytes: Buffer; width: number; height: number }> {
  let side = 2000;
  for (;;) {
    const width = Math.round(side * 1.25);
    const height = side;
    const pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < pixels.length; i += 1) {
      // Smooth gradients plus a little noise: compressible, like a photo.
      const p = i / 3;
      pixels[i] = ((p % width) / 8 + Math.floor(p / width) / 16 + ((i * 2654435761) >>> 29)) & 255;
    }
    const encoded = sharp(pixels, { raw: { width, height, channels: 3 } });
    const bytes = await (
      FORMAT === 'png' ? encoded.png() : encoded.jpeg({ quality: 92 })
    ).toBuffer();
    if (bytes.length > MAX_BYTES) {
      side = Math.floor(side * 0.9);
      continue;
    }
    if (bytes.length < MAX_BYTES * 0.85 && side < 7000) {
      side = Math.floor(side * 1.05);
      continue;
    }
    return { bytes, width, height };
  }
}

function multipart(image: Buffer): { body: Buffer; type: string } {
  const boundary = '----avatarbench';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.${FORMAT}"\r\n` +
        `Content-Type: image/${FORMAT}\r\n\r\n`,
    ),
    image,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

function upload(port: number, token: string, form: { body: Buffer; type: string }) {
  const startedAt = performance.now();
  return new Promise<{ status: number; ms: number }>((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: '/users/me/avatar',
        agent: false,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': form.type,
          'Content-Length': String(form.body.length),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - startedAt }),
        );
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - startedAt }));
    req.end(form.body);
  });
}

async function registerUsers(base: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const phoneNumber = String(13900000000 + i);
    const minted = await httpCall('POST', `${base}/__wechat-sim/phone-codes`, {
      json: { phoneNumber },
    });
    const login = await httpCall('POST', `${base}/auth/wechat/phone-login`, {
      json: { code: (minted.body as { code: string }).code },
    });
    const registered = await httpCall('POST', `${base}/auth/wechat/register`, {
      json: {
        registrationTicket: (login.body as { registrationTicket: string }).registrationTicket,
      },
    });
    tokens.push((registered.body as { accessToken: string }).accessToken);
  }
  return tokens;
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[
    Math.min(values.length - 1, Math.floor((values.length * p) / 100))
  ];

/**
 * GET /health/live every 20 ms from a process of its own: probed from this one,
 * the latency would include this process's own work of sending the uploads.
 */
const PROBE = `
const http = require('node:http');
const latencies = [];
let running = true;
process.stdin.on('end', () => { running = false; });
process.stdin.resume();
(async () => {
  while (running) {
    const startedAt = performance.now();
    await new Promise((resolve) => {
      const req = http.get(process.argv[1] + '/health/live', { agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', resolve);
    });
    latencies.push(performance.now() - startedAt);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  process.stdout.write(JSON.stringify(latencies));
})();
`;

function startProbe(base: string): { stop(): Promise<number[]> } {
  const child = spawn(process.execPath, ['-e', PROBE, base], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    stop: async () => {
      child.stdin.end();
      await exited;
      return JSON.parse(out) as number[];
    },
  };
}

/** ROUNDS rounds of all uploads at once, GET /health/live probed every 20 ms meanwhile. */
async function concurrentRounds(
  base: string,
  port: number,
  tokens: string[],
  form: { body: Buffer; type: string },
) {
  const probe = startProbe(base);
  const results: { status: number; ms: number }[] = [];
  const roundMs: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const startedAt = performance.now();
    results.push(...(await Promise.all(tokens.map((token) => upload(port, token, form)))));
    roundMs.push(performance.now() - startedAt);
  }
  const probes = await probe.stop();
  return { results, probes, roundMs };
}

const describeProbes = (probes: number[]) =>
  `${probes.length} probes, p50 ${percentile(probes, 50).toFixed(1)} ms, ` +
  `p99 ${percentile(probes, 99).toFixed(1)} ms, max ${Math.max(...probes).toFixed(1)} ms`;

async function main(): Promise<void> {
  const image = await bigImage();
  const form = multipart(image.bytes);
  const app = await launchApp({
    mainJs: MAIN,
    nodeArgs: PROD_NODE_FLAGS,
    env: {
      ...(ARENAS ? { MALLOC_ARENA_MAX: ARENAS } : {}),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MIN: '1000000',
      RATE_LIMIT_AUTH_PER_MIN: '1000000',
    },
  });
  try {
    const tokens = await registerUsers(app.url, UPLOADS);
    const idleMb = statusMb(app.pid, 'VmRSS');
    // One upload alone, three times: the image work a request cannot avoid.
    const alone: number[] = [];
    for (let i = 0; i < 3; i += 1) alone.push((await upload(app.port, tokens[0], form)).ms);

    let peakMb = idleMb;
    const sampler = setInterval(() => {
      if (!app.hasExited()) peakMb = Math.max(peakMb, statusMb(app.pid, 'VmRSS'));
    }, 50);
    // The same bodies without image work (random bytes: 422 once the header is read),
    // to tell what the HTTP and multipart handling costs the probes from what images cost.
    const control = await concurrentRounds(
      app.url,
      app.port,
      tokens,
      multipart(randomBytes(image.bytes.length)),
    );
    const measured = await concurrentRounds(app.url, app.port, tokens, form);
    clearInterval(sampler);
    const results = measured.results;
    const probes = measured.probes;
    const roundMs = measured.roundMs;
    const hwmMb = statusMb(app.pid, 'VmHWM');
    const failed = results.filter((r) => r.status !== 200).length;
    const upMs = results.map((r) => r.ms);
    const peak = Math.max(peakMb, hwmMb);
    const lines = [
      `app: node ${PROD_NODE_FLAGS.join(' ')} ${MAIN ?? 'dist/main.js'} (NODE_ENV=test, simulator on, SQLite${ARENAS ? `, MALLOC_ARENA_MAX=${ARENAS}` : ''})`,
      `image: ${FORMAT} ${image.width}×${image.height} (${((image.width * image.height) / 1e6).toFixed(1)} MP), ` +
        `${image.bytes.length} bytes (limit ${MAX_BYTES})`,
      `one upload alone: ${alone.map((ms) => ms.toFixed(0)).join(', ')} ms`,
      `${ROUNDS} rounds of ${UPLOADS} concurrent uploads: ${results.length - failed} × 200, ${failed} failed; ` +
        `round ${roundMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s; ` +
        `upload p50 ${percentile(upMs, 50).toFixed(0)} ms, max ${Math.max(...upMs).toFixed(0)} ms`,
      `GET /health/live meanwhile: ${describeProbes(probes)} (one upload alone: ${Math.min(...alone).toFixed(0)} ms)`,
      `control, the same ${UPLOADS} × ${ROUNDS} bodies as random bytes (422, no image work): ` +
        `${control.results.filter((r) => r.status === 422).length} × 422; GET /health/live meanwhile: ${describeProbes(control.probes)}`,
      `RSS: idle ${idleMb.toFixed(1)} MB, peak ${peak.toFixed(1)} MB (limit ${RSS_LIMIT_MB} MB)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    process.exitCode = failed === 0 && peak < RSS_LIMIT_MB ? 0 : 1;
  } finally {
    await app.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});

/**
 * The naive baseline for bench/login.ts: a bare node:http server doing what
 * the original mini-program sample's backend does for every login:
 *
 *   1. GET /cgi-bin/token (classic) — a fresh access token per login, no cache;
 *   2. POST /wxa/business/getuserphonenumber?access_token=… { code };
 *   3. look the phone up in SQLite (better-sqlite3, synchronous, WAL);
 *   4. the same session work as the app: stamp last_login_at, insert a
 *      refresh-token row (SHA-256 of 256 random bits), sign an HS256 JWT.
 *
 * So the only difference from the app's work is token caching (and the
 * framework). Unknown phones get 404 with a signed registration ticket.
 *
 * With `--cache-token` it is the bench's *reference* instead: the same bare
 * server keeping one classic token in memory (fetched when missing or
 * expired, refetched once when WeChat rejects it), i.e. the app's WeChat
 * traffic without the framework. It shows what the machine itself allows.
 *
 *   node -r ts-node/register/transpile-only bench/naive-server.ts \
 *     --wechat http://127.0.0.1:PORT --appid … --secret … \
 *     --db /tmp/naive.sqlite --users 2000 --jwt-secret … [--port 0] [--cache-token]
 *
 * Prints `LISTENING <port>` on stdout once it accepts connections.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Agent, createServer, request, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { readBody } from '../test/helpers/http-io';
import { argValue, benchPhone, hasFlag } from './support';

// Untyped CommonJS modules (no @types in the repo): the few members used here.
interface SqliteStatement {
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): unknown;
}
interface SqliteDatabase {
  pragma(pragma: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  transaction(fn: () => void): () => void;
}
/* eslint-disable @typescript-eslint/no-require-imports */
const Database = require('better-sqlite3') as new (path: string) => SqliteDatabase;
const jwt = require('jsonwebtoken') as {
  sign(payload: object, secret: string, options: object): string;
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface UserRow {
  id: string;
  phone_number: string;
  nickname: string | null;
}

function main(): void {
  const wechat = required('--wechat');
  const appid = required('--appid');
  const secret = required('--secret');
  const jwtSecret = required('--jwt-secret');
  const users = Number(argValue('--users') ?? 2000);
  const cacheToken = hasFlag('--cache-token');
  let cached: { token: string; expiresAt: number } | undefined;
  const db = openDatabase(required('--db'), users);
  const agent = new Agent({ keepAlive: true });

  const findUser = db.prepare(
    'SELECT id, phone_number, nickname FROM users WHERE phone_number = ?',
  );
  const touchUser = db.prepare('UPDATE users SET last_login_at = ? WHERE id = ?');
  const insertRefresh = db.prepare(
    'INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
  );

  const tokenUrl = `${wechat}/cgi-bin/token?grant_type=client_credential&appid=${encodeURIComponent(appid)}&secret=${encodeURIComponent(secret)}`;
  async function fetchToken(): Promise<Record<string, unknown>> {
    const token = await call(agent, 'GET', tokenUrl);
    if (typeof token.access_token === 'string') {
      cached = {
        token: token.access_token,
        expiresAt: Date.now() + (Number(token.expires_in) - 300) * 1000,
      };
    }
    return token;
  }

  /** The phone call, with a fresh token unless one is cached (--cache-token) and `fresh` is not asked. */
  async function askPhone(code: string, fresh: boolean): Promise<Record<string, unknown>> {
    let accessToken =
      cacheToken && !fresh && cached && cached.expiresAt > Date.now() ? cached.token : undefined;
    if (accessToken === undefined) {
      const token = await fetchToken();
      if (token.errcode !== undefined && token.errcode !== 0) return token;
      accessToken = String(token.access_token);
    }
    const phoneUrl = `${wechat}/wxa/business/getuserphonenumber?access_token=${encodeURIComponent(accessToken)}`;
    return call(agent, 'POST', phoneUrl, JSON.stringify({ code }));
  }

  async function phoneLogin(code: string): Promise<{ status: number; body: object }> {
    let answer = await askPhone(code, false);
    if (cacheToken && (answer.errcode === 40001 || answer.errcode === 42001)) {
      answer = await askPhone(code, true);
    }
    if (answer.errcode !== 0) {
      // A failed token fetch lands here too (its errcode, never 40029/40163).
      const status = answer.errcode === 40029 || answer.errcode === 40163 ? 401 : 503;
      return { status, body: { code: 'WECHAT_ERROR', errcode: answer.errcode } };
    }
    const info = answer.phone_info as { purePhoneNumber: string; countryCode: string };
    const phoneNumber = `+${info.countryCode}${info.purePhoneNumber}`;
    const now = Date.now();
    const user = findUser.get(phoneNumber) as UserRow | undefined;
    if (!user) {
      const registrationTicket = jwt.sign(
        { sub: phoneNumber, typ: 'register', jti: randomUUID() },
        jwtSecret,
        { algorithm: 'HS256', expiresIn: 600, issuer: 'naive' },
      );
      return {
        status: 404,
        body: { code: 'PHONE_NOT_REGISTERED', phoneNumber, registrationTicket },
      };
    }
    touchUser.run(new Date(now).toISOString(), user.id);
    const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
    const familyId = randomUUID();
    insertRefresh.run(
      randomUUID(),
      user.id,
      familyId,
      createHash('sha256').update(refreshToken).digest('hex'),
      new Date(now).toISOString(),
      new Date(now + 30 * 86_400_000).toISOString(),
    );
    const accessToken = jwt.sign({ sub: user.id, typ: 'access', fam: familyId }, jwtSecret, {
      algorithm: 'HS256',
      expiresIn: 900,
      issuer: 'naive',
    });
    return {
      status: 200,
      body: {
        accessToken,
        refreshToken,
        tokenType: 'Bearer',
        expiresIn: 900,
        user: { id: user.id, phoneNumber: user.phone_number, nickname: user.nickname },
      },
    };
  }

  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/auth/wechat/phone-login') {
      req.resume();
      return send(res, 404, { code: 'NOT_FOUND' });
    }
    readBody(req)
      .then((raw) => {
        const code = (JSON.parse(raw) as { code?: unknown }).code;
        if (typeof code !== 'string' || code === '') {
          return { status: 400, body: { code: 'VALIDATION_FAILED' } };
        }
        return phoneLogin(code);
      })
      .then(
        ({ status, body }) => send(res, status, body),
        (error: unknown) => send(res, 500, { code: 'INTERNAL_ERROR', message: String(error) }),
      );
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.listen(Number(argValue('--port') ?? 0), '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** The same users the benchmark registers in the app: +86 13900000000 onwards. */
function openDatabase(path: string, users: number): SqliteDatabase {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS users (
      id TEXT PRIMARY KEY, phone_number TEXT NOT NULL UNIQUE, nickname TEXT,
      created_at TEXT NOT NULL, last_login_at TEXT);
    CREATE TABLE IF NOT EXISTS refresh_tokens (
      id TEXT PRIMARY KEY, user_id TEXT NOT NULL, family_id TEXT NOT NULL,
      token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS idx_refresh_tokens_user ON refresh_tokens (user_id);
  `);
  const insert = db.prepare(
    'INSERT OR IGNORE INTO users (id, phone_number, nickname, created_at) VALUES (?, ?, ?, ?)',
  );
  db.transaction(() => {
    const now = new Date().toISOString();
    for (let i = 0; i < users; i++) insert.run(randomUUID(), `+86${benchPhone(i)}`, `u${i}`, now);
  })();
  return db;
}

function call(
  agent: Agent,
  method: 'GET' | 'POST',
  url: string,
  body?: string,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        timeout: 5000,
      },
      (res) => {
        readBody(res).then((raw) => {
          try {
            resolve(JSON.parse(raw) as Record<string, unknown>);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        }, reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function send(res: ServerResponse, status: number, body: object): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

function required(name: string): string {
  const value = argValue(name);
  if (value === undefined) {
    process.stderr.write(`naive-server: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

if (require.main === module) main();

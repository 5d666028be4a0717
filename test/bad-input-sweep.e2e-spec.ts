import { createHash, createHmac } from 'node:crypto';
import * as http from 'node:http';
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import request from 'supertest';
import { FakeWechat } from './helpers/fake-wechat';
import { LoginBody, LoginFlow, NotRegisteredBody } from './helpers/login-flow';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { E2E_JWT_SECRET, startApp, TestApp } from './helpers/test-app';

/**
 * Property-based sweep of malformed requests over every route of the app
 * (the simulator's routes are off: the app runs against the FakeWechat).
 *
 * Every answer must be < 500; a 4xx must carry the contract's error body
 * (the compatibility route /getPhoneNumber: its `{ data: { code, msg, errorCode } }`
 * envelope); nothing may leak a stack trace; and afterwards the users table
 * is untouched, the app is ready and a normal login still works.
 *
 * Each family below is one fc.assert with its own seed (SWEEP_SEED + index).
 * On a failure fast-check shrinks to the smallest failing request and the
 * message names the seed; rerun with `SWEEP_SEED=<base> npx jest --config
 * ./test/jest-e2e.json test/bad-input-sweep` to replay.
 */

const BASE_SEED = Number(process.env.SWEEP_SEED ?? 20251126);
/** Per family, so a failure shrinks quickly enough to stay inside the jest timeout. */
const FAMILY_TIME_LIMIT_MS = 25_000;
const FAMILY_TEST_TIMEOUT_MS = 60_000;
const MIN_REQUESTS = 1000;

const REGISTERED_PHONE = '13911112222';
const UNREGISTERED_PHONE = '13933334444';

// ---------------------------------------------------------------------------
// The wire: a raw HTTP client, so bodies and headers go out exactly as built.
// ---------------------------------------------------------------------------

interface Req {
  method: string;
  /** Path and query string, already encoded as sent. */
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
  /** What the generator meant to send, for the failure report. */
  label: string;
}

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json?: unknown;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
let sent = 0;

function sendOnce(base: URL, r: Req, viaAgent: http.Agent | false): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers = { ...r.headers };
    if (r.body !== undefined && !r.chunked) headers['content-length'] = String(r.body.length);
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: r.method,
        path: r.path,
        headers,
        agent: viaAgent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed meanwhile: Node's documented retry case.
      if (req.reusedSocket && error.code === 'ECONNRESET' && viaAgent) {
        sendOnce(base, r, false).then(resolve, reject);
      } else {
        reject(error);
      }
    });
    if (r.body !== undefined) req.end(r.body);
    else req.end();
  });
}

async function send(base: URL, r: Req): Promise<Res> {
  sent++;
  return sendOnce(base, r, agent);
}

// ---------------------------------------------------------------------------
// What every answer must look like.
// ---------------------------------------------------------------------------

const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
/** Stack frames ("\n    at fn (file:1:2)"), library paths, TypeScript sources. */
const LEAK = /(?:^|\n|\\n)\s*at \S|\bat [\w.$<>[\] ]+ \(.*:\d+:\d+\)|node_modules|\.ts:\d/;

const LEGACY_PATH = /^\/getphonenumber\/?(?:\?|$)/i;
/** Every error on the compatibility path keeps the original sample's envelope, whatever the method. */
const isLegacy = (r: Req) => LEGACY_PATH.test(r.path);
const isHealth = (r: Req) => /^\/health\//.test(r.path);

function problemsWith(r: Req, res: Res, expect?: { status?: number; code?: string }): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status} (must be < 500)`);
  if (LEAK.test(res.text))
    problems.push('the body looks like it carries a stack trace or source path');
  if (res.status < 400 && !isHealth(r)) {
    problems.push(`status ${res.status}: a malformed request was accepted`);
  }
  if (res.status >= 400 && res.status < 600) {
    const body = res.json as Record<string, unknown> | undefined;
    if (!String(res.headers['content-type'] ?? '').startsWith('application/json') || !body) {
      problems.push(
        `a ${res.status} without a JSON body (content-type ${String(res.headers['content-type'])})`,
      );
    } else if (isLegacy(r)) {
      const data = body.data as Record<string, unknown> | undefined;
      if (typeof data !== 'object' || data === null) {
        problems.push(
          'compatibility route error without the { data: { code, msg, errorCode } } envelope',
        );
      } else {
        if (data.code !== res.status)
          problems.push(`data.code ${String(data.code)} != HTTP ${res.status}`);
        if (typeof data.msg !== 'string') problems.push('data.msg is not a string');
        if (typeof data.errorCode !== 'string' || !UPPER_SNAKE.test(data.errorCode)) {
          problems.push(`data.errorCode ${JSON.stringify(data.errorCode)} is not UPPER_SNAKE`);
        }
      }
    } else {
      if (body.statusCode !== res.status) {
        problems.push(`statusCode ${String(body.statusCode)} != HTTP ${res.status}`);
      }
      if (typeof body.error !== 'string') problems.push('error is not a string');
      if (typeof body.code !== 'string' || !UPPER_SNAKE.test(body.code)) {
        problems.push(`code ${JSON.stringify(body.code)} is not UPPER_SNAKE`);
      }
      if (typeof body.message !== 'string') problems.push('message is not a string');
      if (typeof body.requestId !== 'string') problems.push('requestId is not a string');
    }
  }
  if (expect?.status !== undefined && res.status !== expect.status) {
    problems.push(`status ${res.status}, expected ${expect.status}`);
  }
  if (expect?.code !== undefined) {
    const body = res.json as { code?: unknown; data?: { errorCode?: unknown } } | undefined;
    const code = isLegacy(r) ? body?.data?.errorCode : body?.code;
    if (code !== expect.code) problems.push(`code ${String(code)}, expected ${expect.code}`);
  }
  return problems;
}

function preview(buffer: Buffer): string {
  const text = buffer.toString('utf8');
  if (buffer.length <= 400) return JSON.stringify(text);
  const digest = createHash('sha256').update(buffer).digest('hex').slice(0, 12);
  return `${JSON.stringify(text.slice(0, 240))} … ${JSON.stringify(text.slice(-60))} (${buffer.length} bytes, sha256 ${digest}…)`;
}

function describeReq(r: Req): string {
  const lines = [
    `${r.method} ${r.path.length > 300 ? r.path.slice(0, 300) + '…' : r.path}  [${r.label}]`,
  ];
  for (const [name, value] of Object.entries(r.headers)) {
    const shown = String(value);
    lines.push(
      `  ${name}: ${shown.length > 200 ? shown.slice(0, 200) + `… (${shown.length} chars)` : shown}`,
    );
  }
  if (r.body !== undefined)
    lines.push(`  body${r.chunked ? ' (chunked)' : ''}: ${preview(r.body)}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------

const FIELDS = [
  'code',
  'loginCode',
  'registrationTicket',
  'nickname',
  'avatarUrl',
  'refreshToken',
  'allDevices',
];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

const SPECIAL_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202e', // RTL override
  '\u200f', // RTL mark
  'مرحبا بالعالم',
  'שלום',
  '😀',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '\ud800', // lone high surrogate (JSON.stringify escapes it: "\ud800")
  '\udfff', // lone low surrogate
  '\ufeff',
  '\uffff',
  '中文昵称',
  '%00',
  '\\',
  '"',
  '\r\n',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${jndi:ldap://x}',
  '../../etc/passwd',
  'null',
  'undefined',
  'true',
  '-1',
  'NaN',
  '1e400',
  '__proto__',
  'http://example.com/a.png',
  'javascript:alert(1)',
  'https://',
  'data:image/png;base64,AAAA',
];

const special = fc.constantFrom(...SPECIAL_STRINGS);
const unicodeString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  special,
  fc.array(special, { minLength: 2, maxLength: 6 }).map((parts) => parts.join('')),
);
/** Lengths on both sides of every limit the DTOs set (32, 64, 128, 512, 2048). */
const boundaryString = fc
  .tuple(
    fc.constantFrom(31, 32, 33, 64, 65, 127, 128, 129, 511, 512, 513, 2047, 2048, 2049),
    fc.constantFrom('x', '中', '😀', 'https://a.b/'),
  )
  .map(([n, unit]) => unit.repeat(n).slice(0, unit === '😀' ? n * 2 : n));
/** Strings from a few KiB up to well past the 16 KiB body limit. */
const hugeString = fc
  .tuple(fc.integer({ min: 4 * 1024, max: 40 * 1024 }), fc.constantFrom('x', '中', '\\u0000'))
  .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));

const oddScalar = fc.constantFrom<unknown>(
  0,
  -1,
  1.5,
  1e308,
  Number.MAX_SAFE_INTEGER,
  true,
  false,
  null,
  [],
  {},
  [''],
  ['a', 'b'],
  { $gt: '' },
  { $ne: null },
  { length: 1 },
);

/** A JSON text (not a JS value), so keys like __proto__ reach the wire verbatim. */
type Json = string;
const json = (value: unknown): Json => JSON.stringify(value) ?? 'null';
const rawObject = (entries: [string, Json][]): Json =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;

const anyKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FIELDS) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom('polluted', 'isAdmin', 'length', 'toString', '0', '') },
  { weight: 1, arbitrary: unicodeString },
);

/** Any JSON value as text: wrong types, unicode, boundary lengths, nested proto keys. */
const jsonText: fc.Arbitrary<Json> = fc.letrec<{ value: Json; object: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 2 }).map(json),
    unicodeString.map(json),
    boundaryString.map(json),
    oddScalar.map(json),
    tie('object'),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
  ),
  object: fc
    .array(fc.tuple(anyKey, tie('value')), { maxLength: 4 })
    .map((entries) => rawObject(entries)),
})).value;

/** Raw JSON texts aimed at prototype pollution. */
const protoPayload: fc.Arbitrary<Json> = fc
  .tuple(
    fc.constantFrom(...PROTO_KEYS),
    fc.constantFrom(...FIELDS, 'polluted', 'isAdmin'),
    jsonText,
    fc.constantFrom(...FIELDS),
    fc.oneof(unicodeString.map(json), jsonText),
    fc.nat(3),
  )
  .map(([protoKey, innerKey, innerValue, field, fieldValue, form]) => {
    const inner = rawObject([[innerKey, innerValue]]);
    switch (form) {
      case 0:
        return rawObject([
          [field, fieldValue],
          [protoKey, inner],
        ]);
      case 1:
        return rawObject([['constructor', rawObject([['prototype', inner]])]]);
      case 2:
        return `[${rawObject([[protoKey, inner]])}]`;
      default:
        return rawObject([[field, rawObject([[protoKey, inner]])]]);
    }
  });

/** Text that is not JSON at all, or almost JSON. */
const invalidJsonText: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .constantFrom(
      '',
      '{',
      '}',
      '{"code": ',
      '{"code":"abc"',
      "{'code':'abc'}",
      '{"code":"abc",}',
      '{code:"abc"}',
      '{"code":undefined}',
      '{"code":NaN}',
      '{"code":Infinity}',
      '{"code":0x10}',
      '{"code":"a\tb"}',
      '{"code":"\\x41"}',
      '{"code":"\\u12"}',
      '{"code":"abc"}}',
      '{"code":"abc"} {"code":"def"}',
      'null',
      'true',
      '"abc"',
      '123',
      '\ufeff{"code":"abc"}',
      '{"code":"abc"}\u0000',
      '\u0000',
      'code=abc',
      '<xml/>',
      '[',
      ']]]',
      '{"a":{"b":{"c":',
    )
    .map((text) => Buffer.from(text, 'utf8')),
  fc.string({ unit: 'binary', maxLength: 60 }).map((text) => Buffer.from(text, 'utf8')),
  // Truncated or corrupted valid JSON.
  fc
    .tuple(jsonText, fc.nat(), fc.constantFrom('', '}', ',', '"', '\\'))
    .map(([text, cut, tail]) => Buffer.from(text.slice(0, cut % (text.length + 1)) + tail, 'utf8')),
  // Invalid UTF-8 inside a JSON string.
  fc
    .uint8Array({ minLength: 1, maxLength: 16 })
    .map((bytes) =>
      Buffer.concat([Buffer.from('{"code":"'), Buffer.from(bytes), Buffer.from('"}')]),
    ),
);

/** Bodies over, at and under the 16 KiB limit. */
const bigBody: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...FIELDS), hugeString)
    .map(([field, value]) => Buffer.from(rawObject([[field, json(value)]]), 'utf8')),
  fc.integer({ min: 16 * 1024 - 64, max: 16 * 1024 + 64 }).map((size) => {
    const head = '{"code":"';
    return Buffer.from(head + 'y'.repeat(Math.max(0, size - head.length - 2)) + '"}', 'utf8');
  }),
  // Many keys: every one is "unknown" and named in the error message.
  fc
    .integer({ min: 100, max: 3000 })
    .map((n) =>
      Buffer.from(
        rawObject(Array.from({ length: n }, (_, i) => [`k${i}`, '1'] as [string, Json])),
        'utf8',
      ),
    ),
  fc.integer({ min: 17 * 1024, max: 64 * 1024 }).map((n) => Buffer.alloc(n, 'a')),
);

const jsonBody: fc.Arbitrary<{ body: Buffer; label: string }> = fc.oneof(
  {
    weight: 5,
    arbitrary: jsonText.map((text) => ({ body: Buffer.from(text), label: 'JSON of wrong types' })),
  },
  {
    weight: 3,
    arbitrary: protoPayload.map((text) => ({
      body: Buffer.from(text),
      label: 'prototype-pollution keys',
    })),
  },
  { weight: 3, arbitrary: invalidJsonText.map((body) => ({ body, label: 'invalid JSON text' })) },
  { weight: 2, arbitrary: bigBody.map((body) => ({ body, label: 'huge body' })) },
);

const JSON_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-8',
];
const jsonContentType = fc.constantFrom(...JSON_CONTENT_TYPES);

const printableAscii = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const latin1 = fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c));
/** Header-safe garbage (Node's client refuses anything else). */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof({ weight: 9, arbitrary: printableAscii }, { weight: 1, arbitrary: latin1 }),
    maxLength,
  });

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

function signJwt(header: object, payload: object, secret: string, alg = 'sha256'): string {
  const head = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${head}.${createHmac(alg, secret).update(head).digest('base64url')}`;
}

/** Change one character of the signature to another valid base64url character. */
function tamper(token: string): string {
  const [head, payload, sig] = token.split('.');
  const i = Math.min(5, sig.length - 1);
  const swapped = sig[i] === 'A' ? 'B' : 'A';
  return `${head}.${payload}.${sig.slice(0, i)}${swapped}${sig.slice(i + 1)}`;
}

interface Fixtures {
  session: LoginBody;
  ticket: string;
}

/** Authorization headers that must never open a protected route. */
interface AuthHeader {
  value?: string | string[];
  label: string;
}

function garbageAuth(fx: Fixtures): fc.Arbitrary<AuthHeader> {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub: fx.session.user.id,
    typ: 'access',
    fam: 'family',
    iss: 'wx-phone-login',
    iat: now,
    exp: now + 900,
  };
  const hs = (payload: object, secret = E2E_JWT_SECRET, alg = 'HS256', hash = 'sha256') =>
    signJwt({ alg, typ: 'JWT' }, payload, secret, hash);
  const fixed: [string, string][] = [
    ['Bearer', 'bare scheme'],
    ['Bearer ', 'scheme and a space'],
    ['Bearer  x', 'two spaces'],
    ['Bearer x y', 'two tokens'],
    ['Bearer\tx', 'tab'],
    ['Basic dXNlcjpwYXNz', 'basic auth'],
    ['Token abc', 'other scheme'],
    [fx.session.accessToken, 'valid token without scheme'],
    [`Bearer ${fx.session.refreshToken}`, 'refresh token as bearer'],
    [`Bearer ${fx.ticket}`, 'registration ticket as bearer'],
    [`Bearer ${tamper(fx.session.accessToken)}`, 'tampered signature'],
    [`Bearer ${fx.session.accessToken}.x`, 'extra segment'],
    [`Bearer ${fx.session.accessToken.split('.').slice(0, 2).join('.')}.`, 'signature stripped'],
    [
      `Bearer ${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify(claims))}.`,
      'alg none',
    ],
    [
      `Bearer ${b64url('{"alg":"none"}')}.${b64url(JSON.stringify(claims))}`,
      'alg none, two segments',
    ],
    [`Bearer ${b64url('{"alg":"NONE"}')}.${b64url(JSON.stringify(claims))}.`, 'alg NONE'],
    [`Bearer ${hs(claims, E2E_JWT_SECRET, 'HS512', 'sha512')}`, 'HS512 with the right secret'],
    [`Bearer ${hs(claims, E2E_JWT_SECRET, 'HS384', 'sha384')}`, 'HS384 with the right secret'],
    [`Bearer ${hs(claims, 'not-the-secret-not-the-secret-000')}`, 'HS256 with a wrong secret'],
    [`Bearer ${hs({ ...claims, exp: now - 60 })}`, 'expired'],
    [`Bearer ${hs({ ...claims, iss: 'someone-else' })}`, 'wrong issuer'],
    [`Bearer ${hs({ ...claims, typ: 'refresh' })}`, 'typ refresh'],
    [`Bearer ${hs({ ...claims, typ: 'register' })}`, 'typ register'],
    [
      `Bearer ${hs({ sub: claims.sub, typ: 'access', iss: claims.iss, exp: claims.exp })}`,
      'no family',
    ],
    [`Bearer ${hs({ ...claims, sub: 42 })}`, 'numeric sub'],
    [`Bearer ${hs({ ...claims, nbf: now + 3600 })}`, 'not before in the future'],
    [`Bearer ${hs([1, 2, 3])}`, 'array payload'],
    ['Bearer e30.e30.', 'empty header and claims'],
    ['Bearer ...', 'dots only'],
    ['Bearer ' + 'a'.repeat(4096), '4 KiB token'],
  ];
  const weighted = (weight: number, arbitrary: fc.Arbitrary<AuthHeader>) => ({ weight, arbitrary });
  return fc.oneof(
    weighted(2, fc.constant({ label: 'no Authorization' })),
    weighted(
      6,
      fc.constantFrom(...fixed).map(([value, label]) => ({ value, label })),
    ),
    weighted(
      2,
      headerText(80).map((text) => ({ value: `Bearer ${text}`, label: 'Bearer + random' })),
    ),
    weighted(
      1,
      headerText(80).map((text) => ({ value: text, label: 'random header' })),
    ),
    weighted(
      2,
      fc
        .tuple(
          fc.jsonValue({ maxDepth: 1 }),
          fc.jsonValue({ maxDepth: 1 }),
          fc.uint8Array({ maxLength: 40 }),
        )
        .map(([h, p, s]) => ({
          value: `Bearer ${b64url(json(h))}.${b64url(json(p))}.${b64url(Buffer.from(s))}`,
          label: 'JWT-looking garbage',
        })),
    ),
    weighted(
      1,
      fc.constant({ value: ['Bearer x', 'Bearer y'], label: 'two Authorization headers' }),
    ),
  );
}

/** Percent-encodes UTF-8 bytes (lone surrogates become U+FFFD, as any client would send). */
function encodeQueryPart(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** An odd query string for GET /getPhoneNumber (and whoever else receives it). */
const oddQuery: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(
              'code',
              'code',
              'code[]',
              'code[0]',
              'code[$gt]',
              'code[__proto__]',
              '__proto__',
              '__proto__[polluted]',
              'constructor',
              'constructor[prototype][polluted]',
              'prototype',
              'loginCode',
              'CODE',
              '',
            ),
            unicodeString,
          ),
          fc.oneof(
            unicodeString.map(encodeQueryPart),
            boundaryString.map(encodeQueryPart),
            fc.constantFrom(
              '%',
              '%Z',
              '%ZZ',
              '%E0%A4%A',
              '%C3%28',
              '%00',
              '%FF%FE',
              '%ED%A0%80',
              '+',
              '%2B',
              '=',
              '==',
              '&',
              '',
            ),
            // Well-formed but unknown codes: they reach the fake WeChat, which refuses them.
            fc.stringMatching(/^[0-9a-f]{8,64}$/),
          ),
          fc.boolean(),
        ),
        { maxLength: 6 },
      )
      .map((pairs) =>
        pairs
          .map(([key, value, withEquals]) => {
            const k = /[[\]$]/.test(key)
              ? key.replace(/[^\w[\]$]/g, encodeQueryPart)
              : encodeQueryPart(key);
            return withEquals ? `${k}=${value}` : k;
          })
          .join('&')
          // Node answers a request line over its 16 KiB header limit itself (431, no body): out of the app's hands.
          .slice(0, 6000),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '?',
      '&&&',
      '=',
      'code',
      'code=',
      'code=&code=',
      'code=%',
      'code=a%00b',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 129, max: 6000 }).map((n) => `code=${'c'.repeat(n)}`) },
);

// ---------------------------------------------------------------------------
// The suite.
// ---------------------------------------------------------------------------

describe('bad-input sweep: malformed requests on every route (e2e, property-based)', () => {
  let db: TestDatabase;
  let wechat: FakeWechat;
  let t: TestApp;
  let flow: LoginFlow;
  let base: URL;
  let fx: Fixtures;
  let usersBefore: { count: number; hash: string };
  let prototypeBefore: string[];
  const familiesRun: Record<string, number> = {};

  async function usersSnapshot(): Promise<{ count: number; hash: string }> {
    const rows: unknown[] = await t.dataSource.query('SELECT * FROM users ORDER BY id');
    return {
      count: rows.length,
      hash: createHash('sha256').update(JSON.stringify(rows)).digest('hex'),
    };
  }

  /** The stack the app logged for a 5xx, so the failure names the cause. */
  function loggedCause(res: Res): string {
    const id = res.json as { requestId?: string; data?: { requestId?: string } } | undefined;
    const requestId = id?.requestId ?? id?.data?.requestId ?? String(res.headers['x-request-id']);
    const line = t.logs.lines.find((l) => l.includes(requestId) && l.includes('"stack"'));
    if (!line) return '';
    const stack = /"stack":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? '';
    return stack.split('\\n').slice(0, 3).join(' | ');
  }

  /**
   * One family: fc.assert over `arb`, each generated case expanding to one or
   * more requests; every answer is checked, all problems of a case reported together.
   */
  async function sweep<T>(
    name: string,
    index: number,
    arb: fc.Arbitrary<T>,
    numRuns: number,
    toRequests: (value: T) => { req: Req; expect?: { status?: number; code?: string } }[],
  ): Promise<void> {
    const seed = BASE_SEED + index;
    const before = sent;
    // Counterexamples print as the requests they stand for, not as byte arrays.
    const printable = arb.map(
      (value) =>
        Object.assign(Object.create(null) as object, value, {
          [fc.toStringMethod]: () =>
            toRequests(value)
              .map(({ req }) => describeReq(req))
              .join('\n'),
        }) as T,
    );
    const property = fc.asyncProperty(printable, async (value) => {
      const batch = toRequests(value);
      const answers = await Promise.all(
        batch.map(({ req }) => send(base, req).catch((error: Error) => error)),
      );
      const failures: string[] = [];
      batch.forEach(({ req, expect: expected }, i) => {
        const res = answers[i];
        if (res instanceof Error) {
          failures.push(`${describeReq(req)}\n  → no answer: ${res.message}`);
          return;
        }
        const problems = problemsWith(req, res, expected);
        if (problems.length > 0) {
          const cause = res.status >= 500 ? loggedCause(res) : '';
          failures.push(
            `${describeReq(req)}\n  → HTTP ${res.status} ${res.text.slice(0, 300)}\n  ✗ ${problems.join('; ')}` +
              (cause ? `\n  logged: ${cause}` : ''),
          );
        }
      });
      if (failures.length > 0) throw new Error(failures.join('\n\n'));
    });
    try {
      await fc.assert(property, {
        seed,
        numRuns,
        plugins: [fc.interruptAfterTimeLimit(FAMILY_TIME_LIMIT_MS)],
      });
    } catch (error) {
      // fast-check 4 keeps the property's own error as `cause`: it names the requests.
      const cause = (error as Error).cause;
      throw new Error(
        `[bad-input sweep / ${name}] failed with seed ${seed} (replay: SWEEP_SEED=${BASE_SEED})\n` +
          (error as Error).message +
          (cause instanceof Error
            ? `\n\nFailing requests of the counterexample:\n${cause.message}`
            : ''),
      );
    } finally {
      familiesRun[name] = sent - before;
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    wechat = await FakeWechat.start();
    t = await startApp({ databaseUrl: db.url, wechat, env: { LOG_LEVEL: 'info' } });
    base = new URL(t.url);
    flow = new LoginFlow(t.url, wechat);
    const session = await flow.registerNewUser(REGISTERED_PHONE, 'sweeper');
    // A genuine, unspent ticket: register must refuse it with malformed companions.
    const pending = await flow.phoneLogin(wechat.phoneCode(UNREGISTERED_PHONE)).expect(404);
    fx = { session, ticket: (pending.body as NotRegisteredBody).registrationTicket };
    usersBefore = await usersSnapshot();
    prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  });

  afterAll(async () => {
    agent.destroy();
    await t?.close();
    await wechat?.stop();
    await db?.drop();
  });

  /** Every route that takes a JSON body, except the compatibility route (its own family). */
  const BODY_ROUTES: [string, string][] = [
    ['POST', '/auth/wechat/phone-login'],
    ['POST', '/auth/wechat/register'],
    ['POST', '/auth/wechat/session'],
    ['POST', '/auth/refresh'],
    ['POST', '/auth/logout'],
    ['PATCH', '/users/me'],
  ];
  const LEGACY_BODY_ROUTES: [string, string][] = [
    ['POST', '/getPhoneNumber'],
    ['POST', '/getPhoneNumber/'],
  ];

  function bodyRequests(
    routes: [string, string][],
    c: {
      body: Buffer;
      label: string;
      headers: Record<string, string | string[]>;
      chunked?: boolean;
    },
  ) {
    return routes.map(([method, path]) => ({
      req: { method, path, headers: c.headers, body: c.body, chunked: c.chunked, label: c.label },
    }));
  }

  it(
    'JSON bodies of wrong types, unicode, prototype-pollution keys, invalid JSON and huge sizes → 4xx in the contract shape',
    async () => {
      const arb = fc
        .record({
          body: jsonBody,
          contentType: jsonContentType,
          auth: garbageAuth(fx),
          chunked: fc.boolean(),
        })
        .map(({ body, contentType, auth, chunked }) => ({
          body: body.body,
          label: `${body.label}; ${auth.label}${chunked ? '; chunked' : ''}`,
          chunked,
          headers: {
            'content-type': contentType,
            ...(auth.value !== undefined ? { authorization: auth.value } : {}),
          },
        }));
      await sweep('json bodies', 1, arb, 75, (c) => bodyRequests(BODY_ROUTES, c));
    },
    FAMILY_TEST_TIMEOUT_MS,
  );

  it(
    'deeply nested arrays and objects (within and beyond the body limit) → 4xx, never a stack overflow',
    async () => {
      const arb = fc
        .record({
          depth: fc.integer({ min: 1, max: 8000 }),
          shape: fc.constantFrom('array', 'object', 'mixed'),
          at: fc.constantFrom('top', ...FIELDS, 'x'),
        })
        .map(({ depth, shape, at }) => {
          const open = shape === 'array' ? '[' : shape === 'object' ? '{"a":' : '[{"a":';
          const close = shape === 'array' ? ']' : shape === 'object' ? '}' : '}]';
          const nested = open.repeat(depth) + (shape === 'array' ? '' : '1') + close.repeat(depth);
          const text = at === 'top' ? nested : rawObject([[at, nested]]);
          return {
            body: Buffer.from(text),
            label: `${shape} nested ${depth} deep${at === 'top' ? '' : ` under "${at}"`}`,
            headers: { 'content-type': 'application/json' },
          };
        });
      await sweep('deep nesting', 2, arb, 15, (c) =>
        bodyRequests([...BODY_ROUTES, ...LEGACY_BODY_ROUTES], c),
      );
    },
    FAMILY_TEST_TIMEOUT_MS,
  );

  /** Content types and encodings other than plain application/json. */
  const WRONG_CONTENT_TYPES = [
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=----sweep',
    'multipart/form-data',
    'application/xml',
    'application/vnd.api+json',
    'application/json-patch+json',
    'application/jsonx',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json; charset=nope',
    '*/*',
    'json',
    '',
    ';;;',
  ];
  const wrongMedia = fc
    .record({
      contentType: fc.oneof(
        { weight: 2, arbitrary: fc.constant<string | undefined>(undefined) },
        // The right type, with a wrong or broken Content-Encoding.
        { weight: 5, arbitrary: fc.constant<string | undefined>('application/json') },
        { weight: 8, arbitrary: fc.constantFrom<string | undefined>(...WRONG_CONTENT_TYPES) },
      ),
      encoding: fc.oneof(
        { weight: 3, arbitrary: fc.constant<string | undefined>(undefined) },
        {
          weight: 4,
          arbitrary: fc.constantFrom<string | undefined>(
            'gzip',
            'deflate',
            'br',
            'identity',
            'x-unknown',
            'gzip, gzip',
          ),
        },
      ),
      compressed: fc.constantFrom('real', 'garbage', 'truncated'),
      payload: fc.constantFrom('json', 'form', 'multipart', 'garbage', 'bomb'),
      value: unicodeString,
      chunked: fc.boolean(),
    })
    .map(({ contentType, encoding, compressed, payload, value, chunked }) => {
      let raw: Buffer;
      switch (payload) {
        case 'json':
          raw = Buffer.from(json({ code: value }));
          break;
        case 'form':
          raw = Buffer.from(`code=${encodeQueryPart(value)}&__proto__[polluted]=1`);
          break;
        case 'multipart':
          raw = Buffer.from(
            `------sweep\r\nContent-Disposition: form-data; name="code"\r\n\r\n${value}\r\n------sweep--\r\n`,
          );
          break;
        case 'bomb':
          // 1 MB of JSON that compresses to ~1 KB: the limit must apply after inflating.
          raw = Buffer.from(json({ code: 'z'.repeat(1_000_000) }));
          break;
        default:
          raw = Buffer.from(value + '\u0000garbage');
      }
      let body = raw;
      let how = 'raw';
      if (encoding === 'gzip' || encoding === 'deflate') {
        // A real compressed body, the uncompressed bytes under a compression header, or a cut-off stream.
        if (compressed !== 'garbage') {
          body = encoding === 'gzip' ? gzipSync(raw) : deflateSync(raw);
          how = encoding;
        }
        if (compressed === 'truncated') {
          body = body.subarray(0, Math.max(1, Math.floor(body.length / 2)));
          how = `${encoding}, truncated`;
        }
      }
      const headers: Record<string, string> = {};
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (encoding !== undefined) headers['content-encoding'] = encoding;
      return {
        body,
        chunked,
        headers,
        label: `${payload} body (${how}) as ${contentType ?? 'no content-type'}${encoding ? `, content-encoding ${encoding}` : ''}${chunked ? ', chunked' : ''}`,
      };
    });

  it(
    'wrong content types and encodings (text/plain, form, multipart, none, charsets, gzip) → 4xx in the contract shape',
    async () => {
      await sweep('content types', 3, wrongMedia, 50, (c) => bodyRequests(BODY_ROUTES, c));
    },
    FAMILY_TEST_TIMEOUT_MS,
  );

  it(
    'the compatibility route POST /getPhoneNumber keeps its { data: { code, msg, errorCode } } envelope for every bad body',
    async () => {
      const arb = fc.oneof(
        fc
          .record({ body: jsonBody, contentType: jsonContentType })
          .map(({ body, contentType }) => ({
            body: body.body,
            label: body.label,
            headers: { 'content-type': contentType },
          })),
        wrongMedia,
      );
      await sweep('compatibility route bodies', 4, arb, 70, (c) =>
        bodyRequests(LEGACY_BODY_ROUTES, c),
      );
    },
    FAMILY_TEST_TIMEOUT_MS,
  );

  it(
    'missing and garbage bearer tokens (alg none, wrong algorithm or secret, wrong typ, tampered) → 401 UNAUTHORIZED',
    async () => {
      const arb = fc.record({ auth: garbageAuth(fx), requestId: fc.option(headerText(200)) });
      await sweep('bearer tokens', 5, arb, 70, ({ auth, requestId }) => {
        const headers: Record<string, string | string[]> = {
          ...(auth.value !== undefined ? { authorization: auth.value } : {}),
          ...(requestId !== null ? { 'x-request-id': requestId } : {}),
        };
        const unauthorized = { status: 401, code: 'UNAUTHORIZED' };
        // A body that would change the user if the token were accepted: the users hash would show it.
        const change = Buffer.from(
          json({ nickname: 'pwned', avatarUrl: 'https://evil.example/a.png' }),
        );
        const jsonHeaders = { ...headers, 'content-type': 'application/json' };
        return [
          {
            req: { method: 'GET', path: '/users/me', headers, label: auth.label },
            expect: unauthorized,
          },
          {
            req: {
              method: 'PATCH',
              path: '/users/me',
              headers: jsonHeaders,
              body: change,
              label: auth.label,
            },
            expect: unauthorized,
          },
          {
            req: {
              method: 'POST',
              path: '/auth/logout',
              headers: jsonHeaders,
              body: Buffer.from('{"allDevices":true}'),
              label: auth.label,
            },
            expect: unauthorized,
          },
          {
            req: { method: 'GET', path: '/health/live', headers, label: auth.label },
            expect: { status: 200 },
          },
        ];
      });
    },
    FAMILY_TEST_TIMEOUT_MS,
  );

  it(
    'odd query strings on GET /getPhoneNumber (arrays, proto keys, bad escapes, long codes) and the other GET routes',
    async () => {
      const arb = fc.record({ query: oddQuery, slash: fc.boolean(), auth: garbageAuth(fx) });
      await sweep('query strings', 6, arb, 45, ({ query, slash, auth }) => {
        const label = `query ${query.length > 80 ? query.slice(0, 80) + '…' : query}`;
        const headers: Record<string, string | string[]> =
          auth.value !== undefined ? { authorization: auth.value } : {};
        return [
          {
            req: {
              method: 'GET',
              path: `/getPhoneNumber${slash ? '/' : ''}?${query}`,
              headers: {},
              label,
            },
          },
          {
            req: {
              method: 'GET',
              path: `/users/me?${query}`,
              headers,
              label: `${label}; ${auth.label}`,
            },
          },
          {
            req: { method: 'GET', path: `/health/live?${query}`, headers: {}, label },
            expect: { status: 200 },
          },
          {
            req: { method: 'GET', path: `/health/ready?${query}`, headers: {}, label },
            expect: { status: 200 },
          },
        ];
      });
    },
    FAMILY_TEST_TIMEOUT_MS,
  );

  it(
    'with a genuine token, ticket or refresh token, malformed companions are still refused (nothing changes)',
    async () => {
      // Always carries an unknown plain key, so no generated body can be valid by chance.
      const arb = fc
        .record({
          unknownKey: fc.stringMatching(/^x_[a-z]{1,8}$/),
          unknownValue: jsonText,
          extra: fc.array(fc.tuple(anyKey, fc.oneof(jsonText, boundaryString.map(json))), {
            maxLength: 4,
          }),
          position: fc.nat(),
          form: fc.constantFrom('json', 'json', 'json', 'text/plain', 'invalid'),
        })
        .map(({ unknownKey, unknownValue, extra, position, form }) => {
          const entries: [string, Json][] = [...extra];
          entries.splice(position % (entries.length + 1), 0, [unknownKey, unknownValue]);
          return { entries, form };
        });
      await sweep('authenticated bad bodies', 7, arb, 45, ({ entries, form }) => {
        const make = (first: [string, Json][]): Buffer => {
          const text = rawObject([...first, ...entries]);
          return Buffer.from(form === 'invalid' ? text.slice(0, -1) : text);
        };
        const contentType = form === 'text/plain' ? 'text/plain' : 'application/json';
        const bearer = {
          authorization: `Bearer ${fx.session.accessToken}`,
          'content-type': contentType,
        };
        const plain = { 'content-type': contentType };
        const label = `${form}; always an unknown key`;
        return [
          { req: { method: 'PATCH', path: '/users/me', headers: bearer, body: make([]), label } },
          { req: { method: 'POST', path: '/auth/logout', headers: bearer, body: make([]), label } },
          {
            req: {
              method: 'POST',
              path: '/auth/wechat/register',
              headers: plain,
              body: make([['registrationTicket', json(fx.ticket)]]),
              label,
            },
          },
          {
            req: {
              method: 'POST',
              path: '/auth/refresh',
              headers: plain,
              body: make([['refreshToken', json(fx.session.refreshToken)]]),
              label,
            },
          },
        ];
      });
    },
    FAMILY_TEST_TIMEOUT_MS,
  );

  it(
    'wrong methods on every route path → 404 in the contract shape',
    async () => {
      const paths = [
        '/auth/wechat/phone-login',
        '/auth/wechat/register',
        '/auth/wechat/session',
        '/auth/refresh',
        '/auth/logout',
        '/users/me',
        '/getPhoneNumber',
        '/health/live',
        '/health/ready',
      ];
      const arb = fc.record({
        path: fc.constantFrom(...paths),
        method: fc.constantFrom('PUT', 'DELETE', 'GET', 'POST', 'PATCH'),
      });
      const allowed = new Set([
        'POST /auth/wechat/phone-login',
        'POST /auth/wechat/register',
        'POST /auth/wechat/session',
        'POST /auth/refresh',
        'POST /auth/logout',
        'GET /users/me',
        'PATCH /users/me',
        'GET /getPhoneNumber',
        'POST /getPhoneNumber',
        'GET /health/live',
        'GET /health/ready',
      ]);
      await sweep(
        'wrong methods',
        8,
        arb.filter(({ path, method }) => !allowed.has(`${method} ${path}`)),
        40,
        ({ path, method }) => [
          {
            req: { method, path, headers: {}, label: 'wrong method' },
            expect: { status: 404, code: 'NOT_FOUND' },
          },
        ],
      );
    },
    FAMILY_TEST_TIMEOUT_MS,
  );

  it('afterwards: ≥ 1000 requests sent, users untouched, nothing polluted, ready, and login still works', async () => {
    const total = Object.values(familiesRun).reduce((sum, n) => sum + n, 0);
    // A family cut short by a failure has already failed above; the total is checked as well.
    if (process.env.SWEEP_VERBOSE)
      process.stdout.write(`requests sent: ${total} ${JSON.stringify(familiesRun)}\n`);
    if (total < MIN_REQUESTS) {
      throw new Error(`only ${total} requests were sent: ${JSON.stringify(familiesRun)}`);
    }

    expect(await usersSnapshot()).toEqual(usersBefore);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();

    await request(t.url).get('/health/ready').expect(200);

    const login = await flow.phoneLogin(wechat.phoneCode(REGISTERED_PHONE)).expect(200);
    const body = login.body as LoginBody;
    expect(body.user.id).toBe(fx.session.user.id);
    expect(body.user.nickname).toBe('sweeper');
    const me = await request(t.url)
      .get('/users/me')
      .set('Authorization', `Bearer ${body.accessToken}`)
      .expect(200);
    expect(me.body).toMatchObject({ id: fx.session.user.id });
    // The ticket the sweep kept sending with bad companions was never spent.
    await flow.register({ registrationTicket: fx.ticket, nickname: 'after' }).expect(201);
  });
});

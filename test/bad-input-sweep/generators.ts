/** The bad-input sweep's generators: malformed bodies, content types, tokens and query strings. */
import { createHmac } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { LoginBody } from '../helpers/login-flow';
import { E2E_JWT_SECRET } from '../helpers/test-app';

// ---------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------

export const FIELDS = [
  'code',
  'loginCode',
  'registrationTicket',
  'nickname',
  'avatarUrl',
  'refreshToken',
  'allDevices',
];
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

export const SPECIAL_STRINGS = [
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

export const special = fc.constantFrom(...SPECIAL_STRINGS);
export const unicodeString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  special,
  fc.array(special, { minLength: 2, maxLength: 6 }).map((parts) => parts.join('')),
);
/** Lengths on both sides of every limit the DTOs set (32, 64, 128, 512, 2048). */
export const boundaryString = fc
  .tuple(
    fc.constantFrom(31, 32, 33, 64, 65, 127, 128, 129, 511, 512, 513, 2047, 2048, 2049),
    fc.constantFrom('x', '中', '😀', 'https://a.b/'),
  )
  .map(([n, unit]) => unit.repeat(n).slice(0, unit === '😀' ? n * 2 : n));
/** Strings from a few KiB up to well past the 16 KiB body limit. */
export const hugeString = fc
  .tuple(fc.integer({ min: 4 * 1024, max: 40 * 1024 }), fc.constantFrom('x', '中', '\\u0000'))
  .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));

export const oddScalar = fc.constantFrom<unknown>(
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
export type Json = string;
export const json = (value: unknown): Json => JSON.stringify(value) ?? 'null';
export const rawObject = (entries: [string, Json][]): Json =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;

export const anyKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FIELDS) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom('polluted', 'isAdmin', 'length', 'toString', '0', '') },
  { weight: 1, arbitrary: unicodeString },
);

/** Any JSON value as text: wrong types, unicode, boundary lengths, nested proto keys. */
export const jsonText: fc.Arbitrary<Json> = fc.letrec<{ value: Json; object: Json }>((tie) => ({
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
export const protoPayload: fc.Arbitrary<Json> = fc
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
export const invalidJsonText: fc.Arbitrary<Buffer> = fc.oneof(
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
export const bigBody: fc.Arbitrary<Buffer> = fc.oneof(
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

export const jsonBody: fc.Arbitrary<{ body: Buffer; label: string }> = fc.oneof(
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

export const JSON_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-8',
];
export const jsonContentType = fc.constantFrom(...JSON_CONTENT_TYPES);

export const printableAscii = fc
  .integer({ min: 0x20, max: 0x7e })
  .map((c) => String.fromCharCode(c));
export const latin1 = fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c));
/** Header-safe garbage (Node's client refuses anything else). */
export const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof({ weight: 9, arbitrary: printableAscii }, { weight: 1, arbitrary: latin1 }),
    maxLength,
  });

export const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export function signJwt(header: object, payload: object, secret: string, alg = 'sha256'): string {
  const head = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${head}.${createHmac(alg, secret).update(head).digest('base64url')}`;
}

/** Change one character of the signature to another valid base64url character. */
export function tamper(token: string): string {
  const [head, payload, sig] = token.split('.');
  const i = Math.min(5, sig.length - 1);
  const swapped = sig[i] === 'A' ? 'B' : 'A';
  return `${head}.${payload}.${sig.slice(0, i)}${swapped}${sig.slice(i + 1)}`;
}

export interface Fixtures {
  session: LoginBody;
  ticket: string;
}

/** Authorization headers that must never open a protected route. */
export interface AuthHeader {
  value?: string | string[];
  label: string;
}

export function garbageAuth(fx: Fixtures): fc.Arbitrary<AuthHeader> {
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
export function encodeQueryPart(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** An odd query string for GET /getPhoneNumber (and whoever else receives it). */
export const oddQuery: fc.Arbitrary<string> = fc.oneof(
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

/** Content types and encodings other than plain application/json. */
export const WRONG_CONTENT_TYPES = [
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
export const wrongMedia = fc
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

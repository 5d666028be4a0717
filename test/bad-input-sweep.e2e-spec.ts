import { createHash } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { harnessEnvironment } from '../src/config/harness-environment';
import { describeReq, problemsWith } from './bad-input-sweep/checks';
import {
  anyKey,
  boundaryString,
  FIELDS,
  Fixtures,
  garbageAuth,
  headerText,
  Json,
  json,
  jsonBody,
  jsonContentType,
  jsonText,
  oddQuery,
  rawObject,
  wrongMedia,
} from './bad-input-sweep/generators';
import { agent, Req, requestsSent, Res, send } from './bad-input-sweep/wire';
import { FakeWechat } from './helpers/fake-wechat';
import { LoginBody, LoginFlow, NotRegisteredBody } from './helpers/login-flow';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { startApp, TestApp } from './helpers/test-app';

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

const BASE_SEED = harnessEnvironment().sweepSeed ?? 20251126;
/** Per family, so a failure shrinks quickly enough to stay inside the jest timeout. */
const FAMILY_TIME_LIMIT_MS = 25_000;
const FAMILY_TEST_TIMEOUT_MS = 60_000;
const MIN_REQUESTS = 1000;

const REGISTERED_PHONE = '13911112222';
const UNREGISTERED_PHONE = '13933334444';

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
    const before = requestsSent();
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
      familiesRun[name] = requestsSent() - before;
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
    if (harnessEnvironment().sweepVerbose)
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

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { RegistrationTicketUse } from '../src/auth/registration-ticket-use.entity';
import { RefreshToken } from '../src/auth/tokens/refresh-token.entity';
import { REFRESH_REUSE_GRACE_MS } from '../src/auth/tokens/refresh-token.service';
import { PURGE_BATCH_SIZE } from '../src/housekeeping/batch-purge';
import { Housekeeping, HOUSEKEEPING_JOB } from '../src/housekeeping/housekeeping.job';
import { JobLeaseRow } from '../src/housekeeping/job-lease.entity';
import { LoginBody } from './helpers/login-flow';
import { Suite, useAppWithFakeWechat } from './helpers/suite';

const DAY = 86_400_000;

/**
 * The scheduled job that keeps refresh_tokens and registration_ticket_uses
 * bounded: after it, only rows that can still change an answer are left.
 */
describe('housekeeping (e2e)', () => {
  const s: Suite = useAppWithFakeWechat();
  let phoneSeq = 0;
  const nextPhone = () => `1330000${String(++phoneSeq).padStart(4, '0')}`;
  const tokens = () => s.t.dataSource.getRepository(RefreshToken);
  const refresh = (refreshToken: string) =>
    request(s.t.url).post('/auth/refresh').send({ refreshToken });
  const run = () => s.t.app.get(Housekeeping).run();
  /** A refresh token row that expired a day ago, as an abandoned login leaves it. */
  const expiredRow = (tokenHash = randomUUID().replace(/-/g, '').padEnd(64, '0')) => {
    const expired = new Date(s.t.clock.now() - DAY);
    return {
      id: randomUUID(),
      userId: randomUUID(),
      familyId: randomUUID(),
      tokenHash,
      createdAt: expired,
      expiresAt: expired,
      familyStartedAt: expired,
      usedAt: null,
      replacedBy: null,
      revokedAt: null,
      device: null,
    };
  };
  const login = async (phone: string) =>
    (await s.flow.phoneLogin(s.wechat.phoneCode(phone)).expect(200)).body as LoginBody;

  it('leaves only live rows after many logins, and reuse detection still works', async () => {
    await run(); // start from a clean table
    // Day 0: A logs in 20 times and refreshes; B logs out; D just registers.
    const phoneA = nextPhone();
    const a = await s.flow.registerNewUser(phoneA);
    for (let i = 0; i < 20; i++) await login(phoneA);
    const a1 = (await refresh(a.refreshToken).expect(200)).body as LoginBody;
    await refresh(a1.refreshToken).expect(200);
    const b = await s.flow.registerNewUser(nextPhone());
    await request(s.t.url)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${b.accessToken}`)
      .send({})
      .expect(204);
    const c = await s.flow.registerNewUser(nextPhone());
    await s.flow.registerNewUser(nextPhone());

    // Day 20: C refreshes (its new token lives to day 50).
    s.t.clock.advance(20 * DAY);
    const c1 = (await refresh(c.refreshToken).expect(200)).body as LoginBody;
    // Day 35: everything from day 0 has expired; E registers and refreshes.
    s.t.clock.advance(15 * DAY);
    const e = await s.flow.registerNewUser(nextPhone());
    const e1 = (await refresh(e.refreshToken).expect(200)).body as LoginBody;
    expect(await tokens().count()).toBeGreaterThan(25);

    const result = await run();
    // A: 21 logins and 2 rotations; C: its first token; D: its only one. B's was revoked.
    expect(result).toMatchObject({
      ran: true,
      revokedRefreshTokens: 1,
      expiredRefreshTokens: 21 + 2 + 1 + 1,
      usedRegistrationTickets: 4,
    });

    // Left: C's current token, E's spent one (reuse detection) and E's current one.
    const now = new Date(s.t.clock.now());
    const left = await tokens().find();
    expect(left).toHaveLength(3);
    expect(left.every((row) => row.revokedAt === null && row.expiresAt > now)).toBe(true);
    expect(left.filter((row) => row.usedAt !== null).map((row) => row.userId)).toEqual([e.user.id]);
    const tickets = await s.t.dataSource.getRepository(RegistrationTicketUse).find();
    expect(tickets).toHaveLength(1);
    expect(tickets[0].expiresAt > now).toBe(true);
    expect(s.t.logs.text).toMatch(/Housekeeping removed \d+ expired and 1 revoked refresh tokens/);

    await refresh(c1.refreshToken).expect(200);
    s.t.clock.advance(REFRESH_REUSE_GRACE_MS + 1000);
    const reused = await refresh(e.refreshToken).expect(401);
    expect(reused.body).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
    await refresh(e1.refreshToken).expect(401);
    await refresh(a.refreshToken).expect(401);
  });

  it('deletes a backlog in bounded batches within one run', async () => {
    await run();
    const backlog = 2 * PURGE_BATCH_SIZE + 500;
    const rows = Array.from({ length: backlog }, () => expiredRow());
    for (let i = 0; i < rows.length; i += 500) await tokens().insert(rows.slice(i, i + 500));
    const before = await tokens().count();
    const result = await run();
    expect(result.expiredRefreshTokens).toBe(backlog);
    expect(await tokens().count()).toBe(before - backlog);
  });

  it('runs on one instance at a time: a held lease makes the others skip', async () => {
    const leases = s.t.dataSource.getRepository(JobLeaseRow);
    await leases.update(
      { name: HOUSEKEEPING_JOB },
      { holder: 'another-instance', leaseUntil: s.t.clock.now() + 60_000 },
    );
    await tokens().insert(expiredRow('f'.repeat(64)));
    expect(await run()).toMatchObject({ ran: false, expiredRefreshTokens: 0 });
    expect(await tokens().existsBy({ tokenHash: 'f'.repeat(64) })).toBe(true);

    // A holder that died leaves its lease behind only until lease_until.
    s.t.clock.advance(61_000);
    expect(await run()).toMatchObject({ ran: true, expiredRefreshTokens: 1 });
    expect(await leases.findOneByOrFail({ name: HOUSEKEEPING_JOB })).toMatchObject({
      holder: null,
      leaseUntil: null,
    });
  });
});

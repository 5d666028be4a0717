import { Logger } from '@nestjs/common';
import { openMemoryDatabase } from '../../../test/helpers/memory-database';
import { DataSource, Repository } from 'typeorm';
import { FixedClock } from '../../../test/helpers/fixed-clock';
import { AppError } from '../../common/app-error';
import { JwtConfig } from '../../config/jwt.config';
import { User } from '../../users/user.entity';
import { RefreshToken } from './refresh-token.entity';
import { RefreshTokenRepository } from './refresh-token.repository';
import { REFRESH_REUSE_GRACE_MS, RefreshTokenService } from './refresh-token.service';

const DAY = 86_400_000;
const CONFIG: JwtConfig = {
  secret: 'unit-refresh-rotation-key-0123456789abcdef',
  accessTtlSec: 900,
  refreshTtlSec: 30 * 86_400,
  sessionMaxAgeSec: 180 * 86_400,
  registrationTicketTtlSec: 600,
};
const USER_ID = '6f0c2a7e-1111-4b8e-9d1a-000000000001';

/**
 * Rotation decisions on a real SQLite database built by the migrations (the
 * e2e suites run the same service on MariaDB, races included).
 */
describe('RefreshTokenService', () => {
  let dataSource: DataSource;
  let rows: Repository<RefreshToken>;
  let clock: FixedClock;
  let service: RefreshTokenService;
  let warn: jest.SpyInstance<void, [message: unknown, ...rest: unknown[]]>;

  beforeEach(async () => {
    dataSource = await openMemoryDatabase();
    rows = dataSource.getRepository(RefreshToken);
    clock = new FixedClock(Date.parse('2026-01-01T00:00:00.000Z'));
    service = new RefreshTokenService(new RefreshTokenRepository(rows, dataSource), clock, CONFIG);
    await dataSource.getRepository(User).insert({
      id: USER_ID,
      phoneNumber: '+8613800138000',
      countryCode: '86',
      purePhoneNumber: '13800138000',
      nickname: null,
      avatarUrl: null,
      unionid: null,
      createdAt: new Date(clock.now()),
      updatedAt: new Date(clock.now()),
      lastLoginAt: null,
      blockedAt: null,
      blockedReason: null,
    });
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    warn.mockRestore();
    await dataSource.destroy();
  });

  const advance = (ms: number) => clock.set(clock.now() + ms);
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: unknown) => (error instanceof AppError ? error.code : String(error)),
    );
  const liveCount = async (familyId: string) =>
    (await rows.findBy({ familyId })).filter((row) => row.revokedAt === null).length;

  it('rotates: a new token for the same family, the old one spent', async () => {
    const login = await service.issue(USER_ID);
    advance(60_000);

    const next = await service.rotate(login.refreshToken);

    expect(next).toEqual({
      refreshToken: expect.stringMatching(/^rt_[\w-]{43}$/) as unknown,
      userId: USER_ID,
      familyId: login.familyId,
    });
    expect(next.refreshToken).not.toBe(login.refreshToken);
    expect(await liveCount(login.familyId)).toBe(2);
    await expect(service.rotate(next.refreshToken)).resolves.toMatchObject({
      familyId: login.familyId,
    });
  });

  it('answers a replay inside the grace window with the same successor, and logs it', async () => {
    const login = await service.issue(USER_ID);
    const first = await service.rotate(login.refreshToken);
    advance(REFRESH_REUSE_GRACE_MS - 300);

    const replay = await service.rotate(login.refreshToken);

    expect(replay).toEqual(first);
    expect(warn).toHaveBeenCalledTimes(1);
    const line = String(warn.mock.calls[0][0]);
    expect(line).toContain(login.familyId);
    expect(line).toContain(USER_ID);
    expect(line).toContain(`${REFRESH_REUSE_GRACE_MS - 300} ms after its first use`);
    expect(line).not.toContain(login.refreshToken.slice(3));
    expect(line).not.toContain(first.refreshToken.slice(3));
    expect(await liveCount(login.familyId)).toBe(2);
  });

  it('keeps the grace window at 2 s or less', () => {
    expect(REFRESH_REUSE_GRACE_MS).toBeLessThanOrEqual(2_000);
  });

  it('revokes the whole family when a spent token comes back after the window', async () => {
    const login = await service.issue(USER_ID);
    const first = await service.rotate(login.refreshToken);
    advance(REFRESH_REUSE_GRACE_MS + 1);

    expect(await codeOf(service.rotate(login.refreshToken))).toBe('REFRESH_TOKEN_REUSED');

    expect(await liveCount(login.familyId)).toBe(0);
    expect(await codeOf(service.rotate(first.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
  });

  it('refuses a token past JWT_REFRESH_TTL', async () => {
    const login = await service.issue(USER_ID);
    advance(30 * DAY);

    expect(await codeOf(service.rotate(login.refreshToken))).toBe('REFRESH_TOKEN_EXPIRED');
  });

  it('ends the family at SESSION_MAX_AGE however often it rotates', async () => {
    const login = await service.issue(USER_ID);
    const end = clock.now() + 180 * DAY;
    let token = login.refreshToken;
    for (let day = 29; day < 180; day += 29) {
      advance(29 * DAY);
      token = (await service.rotate(token)).refreshToken;
    }
    // Day 174: the last successor lives until day 180, not day 204.
    const expiries = (await rows.findBy({ familyId: login.familyId })).map((row) =>
      row.expiresAt.getTime(),
    );
    expect(Math.max(...expiries)).toBe(end);

    advance(6 * DAY);
    expect(await codeOf(service.rotate(token))).toBe('REFRESH_TOKEN_EXPIRED');
  });

  it('applies a shortened SESSION_MAX_AGE to families that already exist', async () => {
    const login = await service.issue(USER_ID);
    advance(8 * DAY);
    const shorter = new RefreshTokenService(new RefreshTokenRepository(rows, dataSource), clock, {
      ...CONFIG,
      sessionMaxAgeSec: 7 * 86_400,
    });

    expect(await codeOf(shorter.rotate(login.refreshToken))).toBe('REFRESH_TOKEN_EXPIRED');
  });

  it('refuses, and revokes, the family of a user that no longer exists', async () => {
    const login = await service.issue(USER_ID);
    const first = await service.rotate(login.refreshToken);
    await dataSource.getRepository(User).delete({ id: USER_ID });

    expect(await codeOf(service.rotate(first.refreshToken))).toBe('REFRESH_TOKEN_INVALID');

    expect(await liveCount(login.familyId)).toBe(0);
  });

  it('refuses unknown and malformed tokens', async () => {
    await service.issue(USER_ID);
    for (const token of ['garbage', `rt_${'A'.repeat(43)}`]) {
      expect(await codeOf(service.rotate(token))).toBe('REFRESH_TOKEN_INVALID');
    }
  });
});

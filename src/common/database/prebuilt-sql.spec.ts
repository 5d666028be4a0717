import { DataSource } from 'typeorm';
import { RefreshToken } from '../../auth/tokens/refresh-token.entity';
import { User } from '../../users/user.entity';
import { openMemoryDatabase } from '../../../test/helpers/memory-database';
import { PrebuiltSql } from './prebuilt-sql';

/**
 * The fixed SQL must read and write rows exactly as the repository does:
 * same entity class, same Date values, NULLs as null. Checked on a real
 * SQLite database built by the migrations (the e2e suites run the same
 * statements on MariaDB).
 */
describe('PrebuiltSql', () => {
  let dataSource: DataSource;

  beforeEach(async () => {
    dataSource = await openMemoryDatabase();
  });

  afterEach(() => dataSource.destroy());

  function user(overrides: Partial<User> = {}): User {
    return dataSource.getRepository(User).create({
      id: '6f0c2a7e-1111-4b8e-9d1a-000000000001',
      phoneNumber: '+8613800138000',
      countryCode: '86',
      purePhoneNumber: '13800138000',
      nickname: 'Mei',
      avatarUrl: null,
      unionid: null,
      createdAt: new Date('2026-01-02T03:04:05.678Z'),
      updatedAt: new Date('2026-01-02T03:04:05.678Z'),
      lastLoginAt: null,
      blockedAt: null,
      blockedReason: null,
      ...overrides,
    });
  }

  it('finds a row the repository wrote, hydrated exactly as findOneBy hydrates it', async () => {
    const repository = dataSource.getRepository(User);
    await repository.insert(user());
    const statements = new PrebuiltSql(repository);

    const found = await statements.findOneBy('phoneNumber', '+8613800138000');

    expect(found).toBeInstanceOf(User);
    expect(found).toEqual(await repository.findOneBy({ phoneNumber: '+8613800138000' }));
    expect(found?.createdAt).toEqual(new Date('2026-01-02T03:04:05.678Z'));
    expect(found?.lastLoginAt).toBeNull();
    expect(await statements.findOneBy('phoneNumber', '+8613800138001')).toBeNull();
  });

  it('updates only the given columns of the row with the given key', async () => {
    const repository = dataSource.getRepository(User);
    await repository.insert(user());
    await repository.insert(
      user({ id: '6f0c2a7e-1111-4b8e-9d1a-000000000002', phoneNumber: '+8613800138002' }),
    );
    const statements = new PrebuiltSql(repository);
    const at = new Date('2026-03-04T05:06:07.089Z');

    await statements.updateWhere('id', '6f0c2a7e-1111-4b8e-9d1a-000000000001', { lastLoginAt: at });

    const updated = await repository.findOneByOrFail({
      id: '6f0c2a7e-1111-4b8e-9d1a-000000000001',
    });
    expect(updated).toEqual(user({ lastLoginAt: at }));
    const other = await repository.findOneByOrFail({ id: '6f0c2a7e-1111-4b8e-9d1a-000000000002' });
    expect(other.lastLoginAt).toBeNull();
  });

  it('inserts every column, undefined and null as NULL, dates as the repository stores them', async () => {
    const repository = dataSource.getRepository(RefreshToken);
    const statements = new PrebuiltSql(repository);
    const row = repository.create({
      id: '0b7e7c1e-2222-4f00-8000-000000000001',
      userId: '6f0c2a7e-1111-4b8e-9d1a-000000000001',
      familyId: '0b7e7c1e-2222-4f00-8000-0000000000ff',
      tokenHash: 'a'.repeat(64),
      createdAt: new Date('2026-01-02T03:04:05.678Z'),
      expiresAt: new Date('2026-02-01T03:04:05.678Z'),
      familyStartedAt: new Date('2026-01-02T03:04:05.678Z'),
      usedAt: null,
      revokedAt: null,
    });

    await statements.insert(row);

    const stored = await repository.findOneByOrFail({ id: row.id });
    expect(stored).toEqual({ ...row, replacedBy: null });
    // The same text a repository insert stores, so range queries compare alike.
    const [raw] = await dataSource.query<{ created_at: string; expires_at: string }[]>(
      'SELECT created_at, expires_at FROM refresh_tokens WHERE id = ?',
      [row.id],
    );
    await repository.insert({
      ...row,
      id: '0b7e7c1e-2222-4f00-8000-000000000002',
      tokenHash: 'b'.repeat(64),
    });
    const [viaRepository] = await dataSource.query<{ created_at: string; expires_at: string }[]>(
      'SELECT created_at, expires_at FROM refresh_tokens WHERE id = ?',
      ['0b7e7c1e-2222-4f00-8000-000000000002'],
    );
    expect(raw).toEqual(viaRepository);
  });

  it('refuses a property the entity does not map', async () => {
    const statements = new PrebuiltSql(dataSource.getRepository(User));
    await expect(statements.findOneBy('nope' as 'id', 'x')).rejects.toThrow(
      'User has no column for nope',
    );
  });
});

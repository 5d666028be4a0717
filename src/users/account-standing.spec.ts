import { DataSource } from 'typeorm';
import { openMemoryDatabase } from '../../test/helpers/memory-database';
import { FixedClock } from '../../test/helpers/fixed-clock';
import { AccountStanding, STANDING_CACHE_SIZE, STANDING_TTL_MS } from './account-standing';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';

/**
 * The access guard's standing check, on a real SQLite database: what it
 * answers, how long it trusts an answer, and how many reads it costs.
 */
describe('AccountStanding', () => {
  let dataSource: DataSource;
  let clock: FixedClock;
  let standing: AccountStanding;
  let reads: number;
  let failReads: boolean;

  beforeEach(async () => {
    dataSource = await openMemoryDatabase();
    clock = new FixedClock();
    const repository = new UsersRepository(dataSource.getRepository(User));
    const findStanding = repository.findStanding.bind(repository);
    reads = 0;
    failReads = false;
    // Counts the reads (the point of the cache); can fail them like a lost database.
    repository.findStanding = (id: string) => {
      reads++;
      return failReads ? Promise.reject(new Error('connection lost')) : findStanding(id);
    };
    standing = new AccountStanding(repository, clock);
    await insertUser('u-1');
  });

  afterEach(() => dataSource.destroy());

  function insertUser(id: string, blockedAt: Date | null = null): Promise<unknown> {
    const at = new Date(clock.now());
    return dataSource.getRepository(User).insert({
      id,
      phoneNumber: `+86138${id.padStart(8, '0')}`.slice(0, 15),
      countryCode: '86',
      purePhoneNumber: '13800138000',
      nickname: null,
      avatarUrl: null,
      unionid: null,
      createdAt: at,
      updatedAt: at,
      lastLoginAt: null,
      blockedAt,
      blockedReason: blockedAt ? 'spam' : null,
    });
  }

  const block = (id: string) =>
    dataSource.getRepository(User).update({ id }, { blockedAt: new Date(clock.now()) });

  it('answers active, blocked and gone from the users table', async () => {
    await insertUser('u-2', new Date(clock.now()));
    expect(await standing.of('u-1')).toBe('active');
    expect(await standing.of('u-2')).toBe('blocked');
    expect(await standing.of('nobody')).toBe('gone');
    await expect(standing.assertActive('u-1')).resolves.toBeUndefined();
    await expect(standing.assertActive('u-2')).rejects.toMatchObject({ code: 'USER_BLOCKED' });
    await expect(standing.assertActive('nobody')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('trusts an answer for STANDING_TTL_MS, then reads again', async () => {
    expect(await standing.of('u-1')).toBe('active');
    await block('u-1');
    clock.advance(STANDING_TTL_MS - 1);
    expect(await standing.of('u-1')).toBe('active');
    expect(reads).toBe(1);
    clock.advance(1);
    expect(await standing.of('u-1')).toBe('blocked');
    expect(reads).toBe(2);
  });

  it('sees a change at once after forget() (the change was made on this instance)', async () => {
    expect(await standing.of('u-1')).toBe('active');
    await block('u-1');
    standing.forget('u-1');
    expect(await standing.of('u-1')).toBe('blocked');
  });

  it('shares one read among concurrent requests of one user', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => standing.of('u-1')));
    expect(new Set(answers)).toEqual(new Set(['active']));
    expect(reads).toBe(1);
  });

  it('keeps at most STANDING_CACHE_SIZE users, dropping the least recently read', async () => {
    for (let i = 0; i < STANDING_CACHE_SIZE; i++) await standing.of(`gone-${i}`);
    expect(reads).toBe(STANDING_CACHE_SIZE);
    await standing.of('gone-0'); // read recently: kept
    await standing.of('u-1'); // evicts gone-1, the least recently read
    reads = 0;
    await standing.of('gone-0');
    expect(reads).toBe(0);
    await standing.of('gone-1');
    expect(reads).toBe(1);
  });

  it('does not remember a failed read', async () => {
    failReads = true;
    await expect(standing.of('u-1')).rejects.toThrow('connection lost');
    failReads = false;
    expect(await standing.of('u-1')).toBe('active');
    expect(reads).toBe(2);
  });
});

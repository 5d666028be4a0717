import { FixedClock } from '../../test/helpers/fixed-clock';
import { BoundedThrottlerStorage } from './bounded-throttler.storage';

const MINUTE = 60_000;

describe('BoundedThrottlerStorage', () => {
  let clock: FixedClock;
  let storage: BoundedThrottlerStorage;

  /** One hit on `key` under a limit of 3 per minute, blocked for a minute past it. */
  const hit = (key = 'a', limit = 3, blockDuration = MINUTE) =>
    storage.increment(key, MINUTE, limit, blockDuration, 'auth');

  beforeEach(() => {
    clock = new FixedClock();
    storage = new BoundedThrottlerStorage(clock, 4);
  });

  it('counts hits in a window and blocks past the limit, with the time left', async () => {
    expect(await hit()).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    await hit();
    clock.advance(10_000);
    expect(await hit()).toMatchObject({ totalHits: 3, timeToExpire: 50, isBlocked: false });
    expect(await hit()).toEqual({
      totalHits: 4,
      timeToExpire: 50,
      isBlocked: true,
      timeToBlockExpire: 60,
    });
    clock.advance(30_500);
    expect(await hit()).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 30 });
  });

  it('starts a fresh window once the window is over', async () => {
    for (let i = 0; i < 3; i++) await hit();
    clock.advance(MINUTE);
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false, timeToExpire: 60 });
  });

  it('keeps a block for its whole duration, then counts afresh', async () => {
    for (let i = 0; i < 4; i++) await hit('a', 3, 2 * MINUTE);
    clock.advance(MINUTE + 1);
    expect(await hit('a', 3, 2 * MINUTE)).toMatchObject({ isBlocked: true, totalHits: 4 });
    clock.advance(MINUTE);
    expect(await hit('a', 3, 2 * MINUTE)).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('without a block duration, refuses hits past the limit until the window ends', async () => {
    for (let i = 0; i < 3; i++) await hit('a', 3, 0);
    expect(await hit('a', 3, 0)).toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
    clock.advance(MINUTE);
    expect(await hit('a', 3, 0)).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('keeps separate counters per key and per throttler', async () => {
    for (let i = 0; i < 4; i++) await hit('a');
    expect(await hit('b')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await storage.increment('a', MINUTE, 3, MINUTE, 'all')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('holds at most maxCounters, evicting the least recently used', async () => {
    for (const key of ['a', 'b', 'c', 'd']) await hit(key);
    await hit('a'); // a is now the most recently used; b is the oldest
    await hit('e');
    expect(storage.size).toBe(4);
    expect(await hit('a')).toMatchObject({ totalHits: 3 }); // kept
    expect(await hit('b')).toMatchObject({ totalHits: 1 }); // evicted, counted afresh
    for (let i = 0; i < 1000; i++) await hit(`flood-${i}`);
    expect(storage.size).toBe(4);
  });

  it('drops counters past their window as hits arrive, so memory shrinks after a flood', async () => {
    for (const key of ['a', 'b', 'c', 'd']) await hit(key);
    clock.advance(MINUTE);
    await hit('e');
    await hit('e');
    expect(storage.size).toBeLessThanOrEqual(2);
  });
});

import { Semaphore } from './semaphore';

describe('Semaphore', () => {
  it('lets `size` holders run at once and the rest in arrival order', async () => {
    const semaphore = new Semaphore(2);
    const events: string[] = [];
    const gates = new Map<string, () => void>();
    const job = (name: string) =>
      semaphore.run(async () => {
        events.push(`start ${name}`);
        await new Promise<void>((resolve) => gates.set(name, resolve));
        events.push(`end ${name}`);
      });
    const done = ['a', 'b', 'c', 'd'].map(job);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['start a', 'start b']);

    gates.get('b')!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['start a', 'start b', 'end b', 'start c']);

    gates.get('a')!();
    await new Promise((resolve) => setImmediate(resolve));
    gates.get('c')!();
    await new Promise((resolve) => setImmediate(resolve));
    gates.get('d')!();
    await Promise.all(done);
    expect(events.filter((e) => e.startsWith('start'))).toEqual([
      'start a',
      'start b',
      'start c',
      'start d',
    ]);
  });

  it('frees the place of a holder whose work failed', async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(semaphore.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});

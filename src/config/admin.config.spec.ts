import { readAdminConfig } from './admin.config';
import { EnvReader } from './env-reader';
import { loadConfig } from './load-config';

const LONG = 'a3f1c9e07b2d4e6f8a0b1c2d3e4f5a6b7c8d';

describe('ADMIN_TOKEN', () => {
  it('leaves the admin API off when unset (or empty)', () => {
    expect(readAdminConfig(new EnvReader({})).token).toBeUndefined();
    expect(readAdminConfig(new EnvReader({ ADMIN_TOKEN: '  ' })).token).toBeUndefined();
  });

  it('takes any token outside production', () => {
    expect(loadConfig({ ADMIN_TOKEN: 'short' }).config.admin.token).toBe('short');
    expect(loadConfig({ ADMIN_TOKEN: 'short' }).errors).toEqual([]);
  });

  it('refuses a token under 32 characters in production, among the other problems', () => {
    const { errors } = loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: 'short' });
    expect(errors).toContainEqual(expect.stringMatching(/^ADMIN_TOKEN must be at least 32/));
    expect(
      loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: LONG }).errors.filter((e) =>
        e.startsWith('ADMIN_TOKEN'),
      ),
    ).toEqual([]);
  });

  it('refuses white space inside the token', () => {
    expect(loadConfig({ ADMIN_TOKEN: 'two words' }).errors).toEqual([
      expect.stringMatching(/^ADMIN_TOKEN must not contain white space/),
    ]);
  });

  it('has its own rate limit, 60 a minute by default', () => {
    expect(loadConfig({}).config.admin.perMinute).toBe(60);
    expect(loadConfig({ ADMIN_RATE_LIMIT_PER_MIN: '5' }).config.admin.perMinute).toBe(5);
  });
});

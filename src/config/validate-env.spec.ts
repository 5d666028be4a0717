import { randomBytes } from 'node:crypto';
import { readAppConfig } from './app.config';
import { EnvReader, RawEnv } from './env-reader';
import { readJwtConfig } from './jwt.config';
import { InvalidEnvironmentError, validateEnv } from './validate-env';
import { readWechatConfig } from './wechat.config';

/** A secret as `openssl rand -base64 36` prints it. */
const STRONG_SECRET = 'ZTO6PTu92mFc4LDTET4dTIZrmwcSFP74iySpoMf8/j9ugB++';

const VALID_PRODUCTION: RawEnv = {
  NODE_ENV: 'production',
  JWT_SECRET: STRONG_SECRET,
  WECHAT_APPID: 'wx1234567890abcdef',
  WECHAT_SECRET: 'wechat-app-secret-from-the-console',
};

/** The problems validateEnv reports, from the one error it throws. */
function problemsOf(env: RawEnv): string[] {
  try {
    validateEnv(env);
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) return error.problems;
    throw error;
  }
  throw new Error('validateEnv accepted the environment');
}

const about = (variable: string): unknown =>
  expect.stringMatching(new RegExp(`^${variable} `)) as unknown;

describe('validateEnv', () => {
  describe('outside production', () => {
    it('accepts an empty environment and turns the simulator on', () => {
      expect(validateEnv({})).toEqual({});
      expect(readWechatConfig(new EnvReader({})).simulator).toBe(true);
    });

    it('turns the simulator off once WECHAT_APPID is set, and then wants WECHAT_SECRET', () => {
      expect(problemsOf({ WECHAT_APPID: 'wx1234567890abcdef' })).toEqual([about('WECHAT_SECRET')]);
    });

    it('accepts a weak JWT_SECRET (only production is strict)', () => {
      expect(() => validateEnv({ JWT_SECRET: 'dev' })).not.toThrow();
    });
  });

  describe('production', () => {
    it('accepts a complete, strong configuration', () => {
      expect(validateEnv(VALID_PRODUCTION)).toBe(VALID_PRODUCTION);
    });

    it('with nothing set throws one error listing every problem at once', () => {
      const env = { NODE_ENV: 'production' };

      expect(() => validateEnv(env)).toThrow(InvalidEnvironmentError);
      const problems = problemsOf(env);
      expect(problems).toEqual(
        expect.arrayContaining([
          about('JWT_SECRET'),
          about('WECHAT_APPID'),
          about('WECHAT_SECRET'),
        ]),
      );
      expect(problems).toHaveLength(3);
      // The boot message itself names every variable.
      expect(() => validateEnv(env)).toThrow(/^Invalid environment \(3 problems\)/);
      for (const variable of ['JWT_SECRET', 'WECHAT_APPID', 'WECHAT_SECRET']) {
        expect(() => validateEnv(env)).toThrow(new RegExp(`- ${variable} `));
      }
    });

    it('refuses WECHAT_SIMULATOR=true', () => {
      expect(problemsOf({ ...VALID_PRODUCTION, WECHAT_SIMULATOR: 'true' })).toEqual([
        about('WECHAT_SIMULATOR'),
      ]);
    });

    it.each([
      ['a known placeholder', 'changeme-changeme-changeme-changeme'],
      ['a sentence asking for a secret', 'your-jwt-secret-goes-here-0123456789'],
      ['shorter than 32 characters', 'Zt0uP9mF4cLdTeT4dTIZrm'],
      ['one character repeated', 'a'.repeat(40)],
      ['too few distinct characters', 'abcabcabcabcabcabcabcabcabcabcabcabc'],
    ])('refuses a JWT_SECRET that is %s', (_what, secret) => {
      expect(problemsOf({ ...VALID_PRODUCTION, JWT_SECRET: secret })).toEqual([
        about('JWT_SECRET'),
      ]);
    });

    it.each([
      ['digits repeated', '0123456789'.repeat(4)],
      ['the alphabet repeated', 'abcdefghij'.repeat(4)],
      ['a keyboard walk', 'qwertyuiopasdfghjklzxcvbnm1234567890'],
      ['a readable phrase with a year', 'MyCompanyJwtSigningKeyForProduction2025!'],
    ])('refuses a low-entropy JWT_SECRET (%s) and says how to make one', (_what, secret) => {
      const problems = problemsOf({ ...VALID_PRODUCTION, JWT_SECRET: secret, PORT: 'abc' });

      expect(problems).toEqual([about('PORT'), about('JWT_SECRET')]);
      expect(problems[1]).toMatch(/128 needed.*openssl rand -base64 48/);
      expect(problems[1]).not.toContain(secret);
    });

    it.each([
      ['openssl rand -base64 48', () => randomBytes(48).toString('base64')],
      ['openssl rand -hex 32', () => randomBytes(32).toString('hex')],
    ])('accepts every one of 2000 outputs of `%s`', (_shape, generate) => {
      const refused = Array.from({ length: 2000 }, generate).filter((secret) => {
        try {
          validateEnv({ ...VALID_PRODUCTION, JWT_SECRET: secret });
          return false;
        } catch {
          return true;
        }
      });

      expect(refused).toEqual([]);
    });

    it('accepts a random secret that happens to contain a placeholder word ("Your")', () => {
      // An output of `openssl rand -base64 48` once refused as a placeholder.
      const randomSecret = 'bpIJrYourtp25eC/u2bqJe5sgFm/5zlZ7sYOkM6ZKF5l9xgOyhEinacodEndzwHY';

      expect(() => validateEnv({ ...VALID_PRODUCTION, JWT_SECRET: randomSecret })).not.toThrow();
    });

    it('accepts a random secret that happens to contain a placeholder-like run ("xXx")', () => {
      // 1 in ~500 outputs of `openssl rand -base64 48` contain "xxx" in some case.
      const randomSecret = 'q8Rv2LmT9xXxK4pZ7wNcB1sJ6hYdF3gA0eUo5iMk';

      expect(() => validateEnv({ ...VALID_PRODUCTION, JWT_SECRET: randomSecret })).not.toThrow();
    });

    it('counts an empty or blank JWT_SECRET / WECHAT_APPID as missing', () => {
      expect(problemsOf({ ...VALID_PRODUCTION, JWT_SECRET: '', WECHAT_APPID: '   ' })).toEqual(
        expect.arrayContaining([about('JWT_SECRET'), about('WECHAT_APPID')]),
      );
    });
  });

  describe('defaults and malformed values', () => {
    it('treats an empty string as unset (PORT="" → 9013)', () => {
      expect(() => validateEnv({ PORT: '' })).not.toThrow();
      expect(readAppConfig(new EnvReader({ PORT: '' })).port).toBe(9013);
    });

    it('lists every malformed variable together', () => {
      const problems = problemsOf({
        PORT: '70000',
        WECHAT_TOKEN_MODE: 'foo',
        DATABASE_URL: 'postgres://x',
        JWT_ACCESS_TTL: 'soon',
      });

      expect(problems).toEqual(
        expect.arrayContaining([
          about('PORT'),
          about('WECHAT_TOKEN_MODE'),
          about('DATABASE_URL'),
          about('JWT_ACCESS_TTL'),
        ]),
      );
      expect(problems).toHaveLength(4);
    });

    it.each(['abc', '0', '8080.5', '-1'])('refuses PORT=%s', (port) => {
      expect(problemsOf({ PORT: port })).toEqual([about('PORT')]);
    });

    it('reads durations such as JWT_ACCESS_TTL=30s in seconds', () => {
      expect(readJwtConfig(new EnvReader({ JWT_ACCESS_TTL: '30s' })).accessTtlSec).toBe(30);
    });

    it('reads SESSION_MAX_AGE like the token lifetimes, 180 days by default', () => {
      expect(readJwtConfig(new EnvReader({})).sessionMaxAgeSec).toBe(180 * 86_400);
      expect(readJwtConfig(new EnvReader({ SESSION_MAX_AGE: '90d' })).sessionMaxAgeSec).toBe(
        90 * 86_400,
      );
      expect(problemsOf({ SESSION_MAX_AGE: 'forever' })).toEqual([about('SESSION_MAX_AGE')]);
      expect(problemsOf({ SESSION_MAX_AGE: '0d' })).toEqual([about('SESSION_MAX_AGE')]);
    });
  });

  describe('nickname content security', () => {
    it('checks nicknames by default, and reads WECHAT_CONTENT_CHECK as a boolean', () => {
      expect(readWechatConfig(new EnvReader({})).contentCheck).toBe(true);
      expect(readWechatConfig(new EnvReader({ WECHAT_CONTENT_CHECK: 'false' })).contentCheck).toBe(
        false,
      );
      expect(problemsOf({ WECHAT_CONTENT_CHECK: 'sometimes' })).toEqual([
        about('WECHAT_CONTENT_CHECK'),
      ]);
    });

    it('reads WECHAT_SIMULATOR_RISKY_WORDS as a comma-separated list (违禁词 by default)', () => {
      const words = (env: RawEnv) => readWechatConfig(new EnvReader(env)).simulatorRiskyWords;
      expect(words({})).toEqual(['违禁词']);
      expect(words({ WECHAT_SIMULATOR_RISKY_WORDS: ' 赌博, spam ，诈骗,' })).toEqual([
        '赌博',
        'spam',
        '诈骗',
      ]);
      expect(problemsOf({ WECHAT_SIMULATOR_RISKY_WORDS: ' , ,' })).toEqual([
        about('WECHAT_SIMULATOR_RISKY_WORDS'),
      ]);
    });
  });
});

import { readAppConfig } from './app.config';
import { EnvReader } from './env-reader';
import { InvalidEnvironmentError, validateEnv } from './validate-env';

const trustProxyOf = (value?: string) =>
  readAppConfig(new EnvReader({ TRUST_PROXY: value })).trustProxy;

describe('TRUST_PROXY', () => {
  it.each([undefined, '', 'false', '0', 'off', 'no'])('%p: X-Forwarded-For is ignored', (value) => {
    expect(trustProxyOf(value)).toBe(false);
  });

  it.each([
    ['true', 1],
    ['TRUE', 1],
    ['yes', 1],
    ['1', 1],
    ['2', 2],
  ])('%p: trusts %p hop(s), never every hop', (value, hops) => {
    expect(trustProxyOf(value)).toBe(hops);
  });

  it('takes a list of trusted proxy addresses, CIDRs and named ranges', () => {
    expect(trustProxyOf('loopback, 10.0.0.0/8 ,192.168.1.7, fd00::/8, ::1, UniqueLocal')).toEqual([
      'loopback',
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8',
      '::1',
      'uniquelocal',
    ]);
  });

  it.each(['11', '-1', 'maybe', 'loopback, 10.0.0.0/33', '10.0.0.0/8/1', 'fd00::/129', '1, 2'])(
    'refuses %p at boot, listed with the other problems',
    (value) => {
      let problems: string[] = [];
      try {
        validateEnv({ TRUST_PROXY: value, PORT: 'x' });
      } catch (error) {
        problems = (error as InvalidEnvironmentError).problems;
      }
      expect(problems).toEqual([
        expect.stringMatching(/^PORT /),
        expect.stringMatching(/^TRUST_PROXY /),
      ]);
    },
  );
});

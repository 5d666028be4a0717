import { EnvReader } from './env-reader';
import { isLoopbackHost, readServerConfig } from './server.config';
import { validateEnv } from './validate-env';

const read = (raw: Record<string, string>, simulator: boolean) =>
  readServerConfig(new EnvReader(raw), simulator);

describe('server config', () => {
  it('listens on loopback only while the simulator is on', () => {
    expect(read({}, true).host).toBe('127.0.0.1');
    expect(read({}, false).host).toBe('0.0.0.0');
  });

  it('lets an explicit HOST win, the simulator on or off', () => {
    expect(read({ HOST: '0.0.0.0' }, true).host).toBe('0.0.0.0');
    expect(read({ HOST: '127.0.0.1' }, false).host).toBe('127.0.0.1');
    expect(read({ HOST: '::' }, false).host).toBe('::');
  });

  it('takes the simulator default from the rest of the environment', () => {
    // No AppID outside production: the simulator is on, so loopback.
    expect(() => validateEnv({})).not.toThrow();
    expect(() => validateEnv({ HOST: 'not a host!' })).toThrow(/- HOST /);
  });

  it('limits slow requests to 15 s by default, HTTP_REQUEST_TIMEOUT otherwise', () => {
    expect(read({}, false)).toMatchObject({
      requestTimeoutMs: 15_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 65_000,
    });
    expect(read({ HTTP_REQUEST_TIMEOUT: '2s' }, false)).toMatchObject({
      requestTimeoutMs: 2000,
      headersTimeoutMs: 2000,
    });
    expect(() => validateEnv({ HTTP_REQUEST_TIMEOUT: 'never' })).toThrow(/- HTTP_REQUEST_TIMEOUT /);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.0.2.2', false],
  ])('isLoopbackHost(%s) is %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

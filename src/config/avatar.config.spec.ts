import { readAvatarConfig } from './avatar.config';
import { EnvReader, RawEnv } from './env-reader';

function read(env: RawEnv) {
  const reader = new EnvReader(env);
  return { config: readAvatarConfig(reader), errors: reader.errors };
}

describe('readAvatarConfig', () => {
  it('defaults to 2 MiB uploads and path-only avatarUrls', () => {
    expect(read({})).toEqual({
      config: { maxBytes: 2097152, publicBaseUrl: undefined },
      errors: [],
    });
    expect(
      read({ AVATAR_MAX_BYTES: '', PUBLIC_BASE_URL: ' ' }).config.publicBaseUrl,
    ).toBeUndefined();
  });

  it('reads AVATAR_MAX_BYTES as an integer of 1 KiB to 64 MiB', () => {
    expect(read({ AVATAR_MAX_BYTES: '524288' }).config.maxBytes).toBe(524288);
    for (const bad of ['2MB', '-1', '0', '1023', String(64 * 1024 * 1024 + 1), '1.5']) {
      expect(read({ AVATAR_MAX_BYTES: bad }).errors).toEqual([
        expect.stringMatching(/^AVATAR_MAX_BYTES /),
      ]);
    }
  });

  it('reads PUBLIC_BASE_URL as an http(s) origin with an optional path, without the trailing slash', () => {
    expect(read({ PUBLIC_BASE_URL: 'https://api.example.com/' }).config.publicBaseUrl).toBe(
      'https://api.example.com',
    );
    expect(read({ PUBLIC_BASE_URL: 'http://192.168.1.5:9013/wx' }).config.publicBaseUrl).toBe(
      'http://192.168.1.5:9013/wx',
    );
    for (const bad of [
      'api.example.com',
      'ftp://example.com',
      'https://example.com/?a=1',
      'https://u:p@example.com',
    ]) {
      expect(read({ PUBLIC_BASE_URL: bad }).errors).toEqual([
        expect.stringMatching(/^PUBLIC_BASE_URL /),
      ]);
    }
  });
});

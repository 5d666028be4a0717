import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnvironment } from './environment';
import { loadConfig } from './load-config';

describe('readEnvironment', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'env-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads .env under the process environment, which wins', () => {
    const file = join(dir, '.env');
    writeFileSync(file, 'WECHAT_APPID=wxfromfile\nWECHAT_SECRET=s1\nPORT=1234\n');

    const env = readEnvironment({ PORT: '4321' }, file);

    expect(env).toEqual({ WECHAT_APPID: 'wxfromfile', WECHAT_SECRET: 's1', PORT: '4321' });
    // What the migrations are given: the AppID kept only in .env.
    expect(loadConfig(env).config.migrations.primaryAppId).toBe('wxfromfile');
  });

  it('is the process environment alone without a .env file', () => {
    expect(readEnvironment({ PORT: '1' }, join(dir, '.env'))).toEqual({ PORT: '1' });
  });
});

describe('loadConfig: the AppID handed to the migrations', () => {
  it('is the primary app of WECHAT_APPS', () => {
    const apps = JSON.stringify([
      { appId: 'wxfirst', secret: 'a' },
      { appId: 'wxsecond', secret: 'b' },
    ]);
    expect(loadConfig({ WECHAT_APPS: apps }).config.migrations.primaryAppId).toBe('wxfirst');
  });

  it('is undefined, never the simulator stand-in, when none is configured or it is invalid', () => {
    expect(loadConfig({}).config.wechat.appId).toBe('wx0000000000simulator');
    expect(loadConfig({}).config.migrations.primaryAppId).toBeUndefined();
    expect(loadConfig({ WECHAT_APPID: 'wx!bad', WECHAT_SECRET: 's' }).config.migrations).toEqual({
      primaryAppId: undefined,
    });
  });
});

import { deviceLabel } from './client-device';

describe('deviceLabel', () => {
  it.each([
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.43(0x18002b2c) NetType/WIFI Language/zh_CN',
      'WeChat iOS (iPhone)',
    ],
    [
      'Mozilla/5.0 (Linux; Android 13; PGT-AN10 Build/HONORPGT-AN10; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/5235 MMWEBSDK/20230805 MicroMessenger/8.0.42.2460(0x28002A58) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64 MiniProgramEnv/android',
      'WeChat Android (PGT-AN10)',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36 wechatdevtools/1.06.2307260 MicroMessenger/8.0.5 Language/zh_CN webview/',
      'WeChat DevTools',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090719) XWEB/8447 Flue',
      'WeChat Windows',
    ],
    ['curl/8.5.0', 'Other client'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15', 'macOS'],
  ])('labels %s', (ua, label) => {
    expect(deviceLabel(ua)).toBe(label);
  });

  it('is null without a User-Agent, and short and printable with a hostile one', () => {
    expect(deviceLabel(undefined)).toBeNull();
    expect(deviceLabel('   ')).toBeNull();
    const hostile = deviceLabel(`Android 9; ${'\u202e'.repeat(5)}${'X'.repeat(300)} Build/1`);
    expect(hostile).toMatch(/^Android \(X+$/);
    expect(hostile!.length).toBeLessThanOrEqual(64);
  });
});

import request from 'supertest';
import { NotRegisteredBody } from './helpers/login-flow';
import { useAppWithFakeWechat } from './helpers/suite';

/**
 * Nickname and avatarUrl rules, on both routes that take them: registration
 * and PATCH /users/me. Refusals are 400 VALIDATION_FAILED with the error body.
 */
describe('profile input (e2e)', () => {
  const s = useAppWithFakeWechat();
  let phoneSeq = 13900000000;
  let accessToken: string;

  beforeAll(async () => {
    accessToken = (await s.flow.registerNewUser(String(phoneSeq++))).accessToken;
  });

  async function ticket(): Promise<string> {
    const res = await s.flow.phoneLogin(s.wechat.phoneCode(String(phoneSeq++))).expect(404);
    return (res.body as NotRegisteredBody).registrationTicket;
  }

  const routes = {
    register: async (profile: Record<string, unknown>) =>
      s.flow.register({ registrationTicket: await ticket(), ...profile }),
    'PATCH /users/me': (profile: Record<string, unknown>) =>
      request(s.t.url)
        .patch('/users/me')
        .set('Authorization', `Bearer ${accessToken}`)
        .send(profile),
  };

  const refusedNicknames: [string, string][] = [
    ['NUL', 'Bob\u0000'],
    ['CR', 'Bob\rAlice'],
    ['LF', 'Bob\nAlice'],
    ['BEL', 'Bob\u0007'],
    ['DEL', 'Bob\u007f'],
    ['a line separator', 'Bob\u2028Alice'],
    ['right-to-left override U+202E', 'evil\u202Egnp.exe'],
    ['left-to-right override U+202D', 'a\u202Db'],
    ['right-to-left embedding U+202B', 'a\u202Bb'],
    ['pop directional formatting U+202C', 'a\u202Cb'],
    ['right-to-left isolate U+2067', 'a\u2067b'],
    ['first strong isolate U+2068', 'a\u2068b'],
    ['pop directional isolate U+2069', 'a\u2069b'],
    ['right-to-left mark U+200F', 'a\u200Fb'],
    ['left-to-right mark U+200E', 'a\u200Eb'],
    ['Arabic letter mark U+061C', 'a\u061Cb'],
    ['a lone surrogate', 'a\uD800b'],
    ['only zero-width characters', '\u200B\u200C\u200D\u2060\uFEFF'],
    ['only a Hangul filler', '\u3164'],
    ['only spaces', '    '],
    ['only ideographic spaces', '\u3000\u3000'],
    ['empty', ''],
    ['33 characters', '测'.repeat(33)],
    ['not a string', 42 as unknown as string],
  ];

  const refusedAvatars: [string, string][] = [
    ['the cloud metadata address', 'https://169.254.169.254/latest/meta-data/'],
    ['loopback with a port', 'https://127.0.0.1:9013/users/me'],
    ['user:pass@ on a WeChat host', 'https://user:pass@thirdwx.qlogo.cn/mmopen/a/132'],
    ['a username only', 'https://evil@wx.qlogo.cn/mmopen/a/132'],
    ['a WeChat host with another port', 'https://wx.qlogo.cn:8443/mmopen/a/132'],
    ['plain http on a WeChat host', 'http://thirdwx.qlogo.cn/mmopen/a/132'],
    ['another host', 'https://example.com/a.png'],
    ['a look-alike host', 'https://thirdwx.qlogo.cn.evil.com/a.png'],
    ['a subdomain-less suffix trick', 'https://evilwx.qlogo.cn/a.png'],
    ['a backslash trick', 'https://evil.com\\@thirdwx.qlogo.cn/a.png'],
    ['a path outside /avatars', '/users/me'],
    ['a climb out of /avatars', '/avatars/../admin'],
    ['a data URL', 'data:image/png;base64,AAAA'],
  ];

  describe.each(Object.entries(routes))('%s', (_route, send) => {
    it.each(refusedNicknames)('refuses a nickname with %s', async (_what, nickname) => {
      const res = await send({ nickname });

      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('nickname') as unknown,
        requestId: expect.any(String) as unknown,
      });
    });

    it.each(refusedAvatars)('refuses an avatarUrl that is %s', async (_what, avatarUrl) => {
      const res = await send({ avatarUrl });

      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('avatarUrl') as unknown,
      });
    });

    it.each([
      ['Chinese', '小明', '小明'],
      ['emoji', '🐼熊猫😀', '🐼熊猫😀'],
      ['a family emoji (joiners inside are fine)', '👨‍👩‍👧 家', '👨‍👩‍👧 家'],
      ['32 Chinese characters', '测'.repeat(32), '测'.repeat(32)],
      ['surrounding spaces (trimmed)', '  小明 ', '小明'],
    ])('accepts a nickname in %s and stores it trimmed', async (_what, nickname, stored) => {
      const res = await send({ nickname });

      expect(res.status).toBeLessThan(300);
      const user = (res.body as { user?: { nickname: string } }).user ?? res.body;
      expect(user).toMatchObject({ nickname: stored });
    });

    it.each([
      'https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK3/132',
      'https://wx.qlogo.cn/mmhead/Q3auHgzwzM/0',
      '/avatars/3f2a9c1e-avatar.webp',
    ])('accepts the avatarUrl %s', async (avatarUrl) => {
      const res = await send({ avatarUrl });

      expect(res.status).toBeLessThan(300);
      const user = (res.body as { user?: { avatarUrl: string } }).user ?? res.body;
      expect(user).toMatchObject({ avatarUrl });
    });
  });
});

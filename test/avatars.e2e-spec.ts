import { request as httpRequest } from 'node:http';
import sharp from 'sharp';
import request from 'supertest';
import { binary, jpegWithExif, photo, pngBomb } from './helpers/images';
import { LoginBody, NotRegisteredBody } from './helpers/login-flow';
import { useAppWithFakeWechat } from './helpers/suite';

const MAX_BYTES = 2 * 1024 * 1024;
const ISSUED = /^\/avatars\/[a-f0-9]{40}\.(jpg|png)$/;

interface UserBody {
  id: string;
  avatarUrl: string | null;
  nickname: string | null;
}

/**
 * Avatars uploaded as files: PUT /users/me/avatar, the multipart
 * registration, and GET /avatars/{name} serving them back.
 */
describe('avatars (e2e)', () => {
  const s = useAppWithFakeWechat();
  let phoneSeq = 13700000000;
  let session: LoginBody;
  let png: Buffer;

  beforeAll(async () => {
    session = await s.flow.registerNewUser(String(phoneSeq++));
    png = await photo(800, 600, 'png');
  });

  function upload(
    file: Buffer,
    filename = 'avatar.png',
    field = 'file',
    token = session.accessToken,
  ) {
    return request(s.t.url)
      .put('/users/me/avatar')
      .set('Authorization', `Bearer ${token}`)
      .attach(field, file, { filename, contentType: 'image/png' });
  }

  /** `openid`: the WeChat account the ticket carries (whose nickname msg_sec_check judges). */
  async function ticket(openid?: string): Promise<string> {
    const res = await request(s.t.url)
      .post('/auth/wechat/phone-login')
      .send({
        code: s.wechat.phoneCode(String(phoneSeq++)),
        ...(openid ? { loginCode: s.wechat.loginCode(openid) } : {}),
      })
      .expect(404);
    return (res.body as NotRegisteredBody).registrationTicket;
  }

  function registerForm(fields: Record<string, string>, avatar?: Buffer, field = 'avatar') {
    const req = request(s.t.url).post('/auth/wechat/register');
    for (const [name, value] of Object.entries(fields)) void req.field(name, value);
    if (avatar)
      void req.attach(field, avatar, { filename: 'tmp_avatar.jpg', contentType: 'image/jpeg' });
    return req;
  }

  it('documents both uploads as multipart/form-data with a binary file, so Swagger UI can send one', async () => {
    const doc = (await request(s.t.url).get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { requestBody: { content: Record<string, unknown> } }>>;
      components: { schemas: Record<string, unknown> };
    };
    const upload = doc.paths['/users/me/avatar'].put.requestBody.content['multipart/form-data'];
    expect(JSON.stringify(upload)).toContain('"format":"binary"');
    const register = doc.paths['/auth/wechat/register'].post.requestBody.content;
    expect(Object.keys(register).sort()).toEqual(['application/json', 'multipart/form-data']);
    expect(JSON.stringify(doc.components.schemas.RegisterFormDto)).toContain('"format":"binary"');
    expect(JSON.stringify(doc.paths['/users/me/avatar'].put)).toContain('AVATAR_INVALID');
  });

  describe('PUT /users/me/avatar', () => {
    it('re-encodes the image to at most 640×640 and serves it at the new avatarUrl', async () => {
      const res = await upload(png, 'wxfile_tmp_123.png', 'anything').expect(200);
      const user = res.body as UserBody;
      expect(user.avatarUrl).toMatch(ISSUED);

      const served = await binary(request(s.t.url).get(user.avatarUrl!)).expect(200);
      expect(served.headers['content-type']).toBe('image/jpeg');
      const size = await sharp(served.body as Buffer).metadata();
      expect([size.format, size.width, size.height]).toEqual(['jpeg', 640, 480]);
      const me = await request(s.t.url)
        .get('/users/me')
        .set('Authorization', `Bearer ${session.accessToken}`);
      expect((me.body as UserBody).avatarUrl).toBe(user.avatarUrl);
    });

    it.each(['jpeg', 'webp', 'gif'] as const)('accepts a %s image', async (format) => {
      const res = await upload(await photo(100, 80, format), `a.${format}`).expect(200);
      const served = await binary(request(s.t.url).get((res.body as UserBody).avatarUrl!)).expect(
        200,
      );
      expect(await sharp(served.body as Buffer).metadata()).toMatchObject({
        width: 100,
        height: 80,
      });
    });

    it('serves it as immutable, with an ETag, and 304 on If-None-Match', async () => {
      const { avatarUrl } = (await upload(png).expect(200)).body as UserBody;
      const first = await request(s.t.url).get(avatarUrl!).expect(200);
      expect(first.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const etag = first.headers.etag;
      expect(etag).toMatch(/^"[a-f0-9]{40}"$/);

      const again = await request(s.t.url).get(avatarUrl!).set('If-None-Match', etag).expect(304);
      expect(again.text ?? '').toBe('');
      expect(again.headers.etag).toBe(etag);
      await request(s.t.url).get(avatarUrl!).set('If-None-Match', '"other"').expect(200);
    });

    it('drops EXIF/GPS metadata: the text is in the upload, not in the served bytes', async () => {
      const marker = 'GPS-31.2304N-121.4737E-owner-xiaoming';
      const original = await jpegWithExif(marker);
      expect(original.includes(marker)).toBe(true);

      const { avatarUrl } = (await upload(original, 'photo.jpg').expect(200)).body as UserBody;
      const served = (await binary(request(s.t.url).get(avatarUrl!)).expect(200)).body as Buffer;
      expect(served.includes(marker)).toBe(false);
      expect((await sharp(served).metadata()).exif).toBeUndefined();
    });

    it('makes the replaced avatar’s name answer 404', async () => {
      const first = ((await upload(await photo(64, 64)).expect(200)).body as UserBody).avatarUrl!;
      await request(s.t.url).get(first).expect(200);
      const second = ((await upload(await photo(65, 64)).expect(200)).body as UserBody).avatarUrl!;

      expect(second).not.toBe(first);
      await request(s.t.url).get(second).expect(200);
      const gone = await request(s.t.url).get(first).expect(404);
      expect(gone.body).toMatchObject({
        code: 'NOT_FOUND',
        requestId: expect.any(String) as unknown,
      });
      expect(gone.headers['cache-control']).toBe('no-store');
    });

    it.each([
      ['text with a .png name', () => Buffer.from('this is not an image, just text\n'.repeat(20))],
      ['an empty file', () => Buffer.alloc(0)],
      ['a truncated image', async () => (await photo(400, 300, 'jpeg')).subarray(0, 3000)],
      ['a pixel bomb (PNG header claiming 10000×10000)', () => pngBomb(10_000, 10_000)],
      [
        'an SVG',
        () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
      ],
    ])('refuses %s with 422 AVATAR_INVALID and keeps the avatar', async (_what, make) => {
      const before = (
        (
          await request(s.t.url)
            .get('/users/me')
            .set('Authorization', `Bearer ${session.accessToken}`)
        ).body as UserBody
      ).avatarUrl;

      const res = await upload(await make(), 'avatar.png');

      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({
        statusCode: 422,
        code: 'AVATAR_INVALID',
        requestId: expect.any(String) as unknown,
      });
      const after = await request(s.t.url)
        .get('/users/me')
        .set('Authorization', `Bearer ${session.accessToken}`);
      expect((after.body as UserBody).avatarUrl).toBe(before);
    });

    it('refuses a file one byte over AVATAR_MAX_BYTES with 413, whatever it holds', async () => {
      const res = await upload(Buffer.alloc(MAX_BYTES + 1, 0x41), 'big.png');
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    });

    it('refuses a body declared far beyond the limit before reading it', async () => {
      const { status, sent } = await sendHuge(s.t.url, session.accessToken, {
        contentLength: 1024 ** 3,
      });
      expect(status).toBe(413);
      // The answer came while the client had sent almost nothing of the gigabyte it announced.
      expect(sent).toBeLessThan(8 * 1024 * 1024);
    });

    it('stops a chunked body (no Content-Length) at the limit while it streams', async () => {
      const { status } = await sendHuge(s.t.url, session.accessToken, {
        chunkedBytes: 8 * 1024 * 1024,
      });
      expect(status).toBe(413);
    });

    it('needs a Bearer token, a multipart body and exactly one file', async () => {
      await upload(png, 'a.png', 'file', 'not-a-token').expect(401);
      const json = await request(s.t.url)
        .put('/users/me/avatar')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .send({ file: 'x' });
      expect([json.status, (json.body as { code: string }).code]).toEqual([
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ]);
      const none = await request(s.t.url)
        .put('/users/me/avatar')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .field('nickname', 'x');
      expect([none.status, (none.body as { code: string }).code]).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
      const two = await upload(png).attach('second', png, 'b.png');
      expect([two.status, (two.body as { code: string }).code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('answers every upload when more arrive at once than are read into memory at a time', async () => {
      const images = await Promise.all(Array.from({ length: 12 }, (_, i) => photo(40 + i, 40)));
      const answers = await Promise.all(images.map((image) => upload(image)));
      expect(answers.map((res) => res.status)).toEqual(images.map(() => 200));
    });

    it('takes the same upload by POST, the only method wx.uploadFile sends', async () => {
      const res = await request(s.t.url)
        .post('/users/me/avatar')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .attach('file', await photo(90, 90), { filename: 'tmp.png', contentType: 'image/png' })
        .expect(200);
      await request(s.t.url)
        .get((res.body as UserBody).avatarUrl!)
        .expect(200);
    });

    it('accepts multipart nowhere else', async () => {
      const res = await request(s.t.url)
        .patch('/users/me')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .field('nickname', 'x');
      expect([res.status, (res.body as { code: string }).code]).toEqual([
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ]);
    });
  });

  describe('POST /auth/wechat/register as multipart/form-data (wx.uploadFile)', () => {
    it('creates the user with the uploaded avatar in one request', async () => {
      const res = await registerForm(
        { registrationTicket: await ticket(), nickname: '小明' },
        await photo(300, 300, 'jpeg'),
      ).expect(201);
      const body = res.body as LoginBody & { user: UserBody };
      expect(body.user.nickname).toBe('小明');
      expect(body.user.avatarUrl).toMatch(ISSUED);
      const served = await binary(request(s.t.url).get(body.user.avatarUrl!)).expect(200);
      expect(await sharp(served.body as Buffer).metadata()).toMatchObject({
        width: 300,
        height: 300,
      });
    });

    it('validates the text fields as the JSON route does', async () => {
      const unknown = await registerForm({ registrationTicket: await ticket(), isAdmin: 'true' });
      expect([unknown.status, (unknown.body as { code: string }).code]).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
      const badNickname = await registerForm({
        registrationTicket: await ticket(),
        nickname: 'evil\u202Egnp.exe',
      });
      expect([badNickname.status, (badNickname.body as { code: string }).code]).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
      const noTicket = await registerForm({ nickname: 'x' }, png);
      expect(noTicket.status).toBe(400);
      const badTicket = await registerForm({ registrationTicket: 'nope' }, png);
      expect([badTicket.status, (badTicket.body as { code: string }).code]).toEqual([
        401,
        'REGISTRATION_TICKET_INVALID',
      ]);
      const wrongPart = await registerForm({ registrationTicket: await ticket() }, png, 'file');
      expect([wrongPart.status, (wrongPart.body as { code: string }).code]).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
    });

    it.each([
      [
        'an image that is not one (422)',
        { nickname: 'ok' },
        Buffer.from('GIF89a but not really'),
        422,
      ],
      ['an avatar over the limit (413)', { nickname: 'ok' }, Buffer.alloc(MAX_BYTES + 1, 1), 413],
      ['a risky nickname (422)', { nickname: '我是违禁词本人' }, 'png', 422],
      ['a malformed nickname (400)', { nickname: '\u0007' }, 'png', 400],
    ] as const)(
      'creates nothing after %s, and the same ticket then registers',
      async (_what, fields, avatar, status) => {
        const registrationTicket = await ticket(`o_avatar_refusal_${phoneSeq}`);

        const refused = await registerForm(
          { registrationTicket, ...fields },
          avatar === 'png' ? png : avatar,
        );
        expect(refused.status).toBe(status);

        const retried = await registerForm({ registrationTicket, nickname: '小红' }, png).expect(
          201,
        );
        expect((retried.body as { user: UserBody }).user.avatarUrl).toMatch(ISSUED);
        expect((retried.body as { user: UserBody }).user.nickname).toBe('小红');
      },
    );

    it('leaves no stored image behind when the registration is refused after the upload', async () => {
      const registrationTicket = await ticket();
      await registerForm({ registrationTicket }, png).expect(201);
      const count = async () =>
        Number(
          (
            await s.t.dataSource.query<{ n: number | string }[]>(
              'SELECT COUNT(*) AS n FROM avatars',
            )
          )[0].n,
        );
      const before = await count();

      // The phone is taken now: refused (409) after the image was stored, which is then removed.
      const reused = await registerForm({ registrationTicket }, await photo(123, 45));
      expect(reused.status).toBe(409);
      expect(await count()).toBe(before);
    });
  });
});

describe('avatars behind PUBLIC_BASE_URL (e2e)', () => {
  const BASE = 'https://api.example.com/wx';
  const s = useAppWithFakeWechat({ PUBLIC_BASE_URL: `${BASE}/` });

  it('answers absolute avatarUrls, accepts them back in PATCH, and refuses another server’s', async () => {
    const { accessToken } = await s.flow.registerNewUser('13711110000');
    const auth = { Authorization: `Bearer ${accessToken}` };
    const uploaded = await request(s.t.url)
      .put('/users/me/avatar')
      .set(auth)
      .attach('file', await photo(50, 50), 'a.png')
      .expect(200);
    const avatarUrl = (uploaded.body as UserBody).avatarUrl!;
    expect(avatarUrl).toMatch(new RegExp(`^${BASE}/avatars/[a-f0-9]{40}\\.jpg$`));
    await request(s.t.url).get(avatarUrl.slice(BASE.length)).expect(200);

    const patched = await request(s.t.url)
      .patch('/users/me')
      .set(auth)
      .send({ avatarUrl, nickname: 'again' });
    expect([patched.status, (patched.body as UserBody).avatarUrl]).toEqual([200, avatarUrl]);
    // The same file name on another origin is not an avatar this server issued.
    const elsewhere = await request(s.t.url)
      .patch('/users/me')
      .set(auth)
      .send({ avatarUrl: avatarUrl.replace('api.example.com', 'evil.example.net') });
    expect([elsewhere.status, (elsewhere.body as { code: string }).code]).toEqual([
      400,
      'VALIDATION_FAILED',
    ]);
    // Pointing the profile at a WeChat avatar releases the upload.
    await request(s.t.url)
      .patch('/users/me')
      .set(auth)
      .send({ avatarUrl: 'https://thirdwx.qlogo.cn/mmopen/vi_32/x/132' })
      .expect(200);
    await request(s.t.url).get(avatarUrl.slice(BASE.length)).expect(404);
  });
});

/** Sends a multipart upload far beyond the limit and reports the answer and how much went out before it. */
function sendHuge(
  baseUrl: string,
  token: string,
  how: { contentLength: number } | { chunkedBytes: number },
): Promise<{ status: number; sent: number }> {
  const boundary = '----wxavatarboundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  const chunk = Buffer.alloc(64 * 1024, 0x42);
  const total = 'contentLength' in how ? how.contentLength : how.chunkedBytes;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(
      `${baseUrl}/users/me/avatar`,
      {
        method: 'PUT',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          ...('contentLength' in how ? { 'Content-Length': String(how.contentLength) } : {}),
        },
      },
      (res) => {
        answered = true;
        res.resume();
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, sent });
        });
      },
    );
    // A connection the server closes mid-upload is expected once it has answered.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    req.write(head);
    const pump = (): void => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end(`\r\n--${boundary}--\r\n`);
    };
    pump();
  });
}

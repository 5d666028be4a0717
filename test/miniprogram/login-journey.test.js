/**
 * The sample mini-program (examples/miniprogram) end to end: its real pages,
 * rendered by miniprogram-simulate, against the real backend (dist/main.js)
 * running as a child process with the built-in WeChat simulator.
 *
 * `wx` is the WeChat client, played by ./harness.js: wx.request is a real HTTP
 * call to the backend, wx.login and the phone button get their codes from the
 * simulator's /__wechat-sim routes (what WeChat would hand the mini-program),
 * storage is a Map, navigation and toasts are recorded.
 *
 * The tests are one journey and run in order: each `step` starts where the
 * previous one left the user, so after a failed step the later ones fail at once
 * (pointing at it) instead of timing out. (e), (h) and (i)–(k) stand on their own.
 *
 * Needs `npm run build` first. Run: npx jest -c test/miniprogram/jest.config.js
 */
const harness = require('./harness');
const { backend, backendJson, phoneCode, journey, step } = harness; // the backend and the journey
const { wechat, storage, tempFile, asyncCallbacks } = harness; // what wx holds
const { requests, calls, logins, navigations, toasts } = harness; // what wx recorded
const { openPage, text, waitFor, waitForNavigation } = harness; // the pages
const { httpCall } = require('../helpers/http-client');
// The same module instances the pages require: jest shares one registry per test file.
const config = require('../../examples/miniprogram/config');
const api = require('../../examples/miniprogram/utils/api');

const PHONE = '13800138000';
const PHONE_E164 = '+8613800138000';
const NICKNAME = '小明 🐼';
const ALICE = 'o_mp_alice';
const BOB = 'o_mp_bob';

journey();

step('(a) a new user: the phone button leads to a pre-filled registration, then home', async () => {
  wechat.user = ALICE;
  const login = openPage('/pages/login/login');

  // Silent login first: this WeChat account is not bound to anyone, so the button appears.
  await waitFor(() => login.querySelector('.login-btn'), 'the phone button');
  expect(calls()).toEqual(['POST /auth/wechat/session 404']);
  expect(navigations).toEqual([]);

  requests.length = 0;
  login.querySelector('.login-btn').dispatchEvent('getphonenumber', {
    detail: { errMsg: 'getPhoneNumber:ok', code: await phoneCode(PHONE) },
  });
  const toRegister = await waitForNavigation('the registration page');

  expect(calls()).toEqual(['POST /auth/wechat/phone-login 404']);
  expect(requests[0].body).toEqual({ code: expect.any(String), loginCode: expect.any(String) });
  expect(toRegister.how).toBe('navigateTo');
  expect(toRegister.url).toMatch(/^\/pages\/register\/register\?/);
  expect(storage.get('accessToken')).toBeUndefined();

  // The registration page shows the verified number without asking for it.
  navigations.length = 0;
  requests.length = 0;
  const register = openPage(toRegister.url);
  await waitFor(
    () => text(register, '.phone') === PHONE_E164,
    `the phone ${PHONE_E164} on the page`,
  );

  // chooseAvatar hands over a temporary file: here a real image from test/fixtures.
  const avatarFile = tempFile('http://tmp/avatar.jpeg', 'avatar.jpg');
  register
    .querySelector('.avatar-btn')
    .dispatchEvent('chooseavatar', { detail: { avatarUrl: avatarFile } });
  register.querySelector('.nickname-input').dispatchEvent('input', { detail: { value: NICKNAME } });
  await waitFor(() => register.data.nickname === NICKNAME, 'the nickname to be typed');
  register.querySelector('.register-btn').dispatchEvent('tap');
  const toHome = await waitForNavigation('home after registering');

  expect(toHome).toEqual({ how: 'reLaunch', url: '/pages/home/home' });
  expect(calls()).toEqual(['POST /auth/wechat/register 201']);
  // One wx.uploadFile: the form as text fields, the chosen file as part `avatar`.
  expect(requests[0].body).toEqual({ registrationTicket: expect.any(String), nickname: NICKNAME });
  expect(requests[0].file).toEqual({ name: 'avatar', filePath: avatarFile });
  expect(storage.get('accessToken')).toEqual(expect.any(String));
  expect(storage.get('refreshToken')).toEqual(expect.any(String));
  expect(toasts).toEqual([]);

  // The backend kept the picture and serves it back.
  const avatarUrl = await currentAvatarUrl();
  expect(avatarUrl).toMatch(/^\/avatars\/[a-f0-9]{40}\.(jpg|png)$/);
  await expectServedImage(avatarUrl);
});

/** The avatarUrl of the logged-in user, asked of the backend directly. */
async function currentAvatarUrl() {
  const me = await httpCall('GET', backend.base + '/users/me', {
    headers: { Authorization: `Bearer ${storage.get('accessToken')}` },
  });
  expect(me.status).toBe(200);
  return me.body.avatarUrl;
}

async function expectServedImage(avatarUrl) {
  const image = await httpCall('GET', backend.base + avatarUrl);
  expect(image.status).toBe(200);
  expect(image.headers['content-type']).toMatch(/^image\/(jpeg|png)$/);
  expect(Number(image.headers['content-length'])).toBeGreaterThan(500);
}

step('(b) home shows the profile from GET /users/me', async () => {
  const home = openPage('/pages/home/home');
  await waitFor(() => text(home, '.nickname') === NICKNAME, 'the nickname on the home page');

  expect(text(home, '.phone')).toBe(PHONE_E164);
  expect(calls()).toEqual(['GET /users/me 200']);
  expect(requests[0].authorization).toBe(`Bearer ${storage.get('accessToken')}`);
  // <image src> needs a full URL: the uploaded avatar's path, on the backend.
  expect(home.data.avatarSrc).toBe(backend.base + (await currentAvatarUrl()));
  expect(home.querySelector('.avatar')).toBeDefined();
});

step('(b2) the profile page changes the avatar: chooseAvatar, then wx.uploadFile', async () => {
  const before = await currentAvatarUrl();
  const home = openPage('/pages/home/home');
  await waitFor(() => text(home, '.nickname') === NICKNAME, 'the nickname on the home page');

  requests.length = 0;
  const newFile = tempFile('wxfile://tmp_new_avatar.png', 'avatar-2.png');
  home
    .querySelector('.avatar-btn')
    .dispatchEvent('chooseavatar', { detail: { avatarUrl: newFile } });
  await waitFor(
    () => home.data.user.avatarUrl !== before && !home.data.uploading,
    'the new avatar on the page',
  );

  expect(calls()).toEqual(['POST /users/me/avatar 200']);
  expect(requests[0].file).toEqual({ name: 'file', filePath: newFile });
  expect(requests[0].authorization).toBe(`Bearer ${storage.get('accessToken')}`);
  const after = await currentAvatarUrl();
  expect(home.data.avatarSrc).toBe(backend.base + after);
  await expectServedImage(after);
  // The replaced picture is gone.
  expect((await httpCall('GET', backend.base + before)).status).toBe(404);
  expect(toasts).toEqual([]);
});

step('(c) next launch: silent login with wx.login, no phone button', async () => {
  // Even with nothing in storage (a reinstall), the bound WeChat account is enough.
  storage.clear();
  wechat.user = ALICE;
  const login = openPage('/pages/login/login');
  const toHome = await waitForNavigation('home after silent login');

  expect(toHome).toEqual({ how: 'reLaunch', url: '/pages/home/home' });
  expect(login.querySelector('.login-btn')).toBeUndefined();
  expect(calls()).toEqual(['POST /auth/wechat/session 200']);
  expect(logins).toEqual([ALICE]);
  expect(storage.get('accessToken')).toEqual(expect.any(String));
  expect(storage.get('refreshToken')).toEqual(expect.any(String));

  requests.length = 0;
  const home = openPage('/pages/home/home');
  await waitFor(() => text(home, '.nickname') === NICKNAME, 'the nickname on the home page');
  expect(calls()).toEqual(['GET /users/me 200']);
});

step(
  '(d) an expired access token is refreshed once (rotation) and the request goes through',
  async () => {
    const oldRefresh = storage.get('refreshToken');
    storage.set('accessToken', 'expired.or.garbage');

    const home = openPage('/pages/home/home');
    await waitFor(() => text(home, '.nickname') === NICKNAME, 'the nickname on the home page');

    expect(calls()).toEqual(['GET /users/me 401', 'POST /auth/refresh 200', 'GET /users/me 200']);
    expect(requests[1].body).toEqual({ refreshToken: oldRefresh });
    expect(storage.get('accessToken')).not.toBe('expired.or.garbage');
    expect(storage.get('refreshToken')).not.toBe(oldRefresh);
    expect(requests[2].authorization).toBe(`Bearer ${storage.get('accessToken')}`);
    expect(navigations).toEqual([]);

    // Requests that hit the expiry together share one refresh: a second refresh with
    // the same (spent) token would be reuse, and the backend would end the session.
    requests.length = 0;
    storage.set('accessToken', 'expired.again');
    const [a, b] = await Promise.all([api.get('/users/me'), api.get('/users/me')]);
    expect([a.nickname, b.nickname]).toEqual([NICKNAME, NICKNAME]);
    expect(calls().filter((c) => c.startsWith('POST /auth/refresh'))).toEqual([
      'POST /auth/refresh 200',
    ]);
    expect(calls().filter((c) => c === 'GET /users/me 200')).toHaveLength(2);
  },
);

test('(e) the user declines the phone prompt: a toast, no request, no navigation', async () => {
  wechat.user = BOB; // nobody has bound this WeChat account
  const login = openPage('/pages/login/login');
  await waitFor(() => login.querySelector('.login-btn'), 'the phone button');

  requests.length = 0;
  logins.length = 0;
  login
    .querySelector('.login-btn')
    .dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:fail user deny' } });
  await waitFor(() => toasts.length, 'a toast');

  expect(toasts).toEqual(['需要授权手机号才能一键登录']);
  // Give a wrongly started request time to show up before asserting there is none.
  await new Promise((r) => setTimeout(r, 200));
  expect(requests).toEqual([]);
  expect(logins).toEqual([]);
  expect(navigations).toEqual([]);
  expect(login.querySelector('.login-btn')).toBeDefined();
});

step('(f) a refused refresh clears the tokens and sends the user back to login', async () => {
  const saved = { access: storage.get('accessToken'), refresh: storage.get('refreshToken') };
  storage.set('accessToken', 'expired.or.garbage');
  storage.set('refreshToken', 'not-a-refresh-token');

  openPage('/pages/home/home');
  const toLogin = await waitForNavigation('the login page');

  expect(toLogin).toEqual({ how: 'reLaunch', url: '/pages/login/login' });
  expect(calls()).toEqual(['GET /users/me 401', 'POST /auth/refresh 401']);
  expect(storage.has('accessToken')).toBe(false);
  expect(storage.has('refreshToken')).toBe(false);

  // Put the good session back for the next step.
  storage.set('accessToken', saved.access);
  storage.set('refreshToken', saved.refresh);
});

step(
  '(g) logout ends the session; the phone button then logs a registered user straight in',
  async () => {
    const refreshToken = storage.get('refreshToken');
    const home = openPage('/pages/home/home');
    await waitFor(() => text(home, '.nickname') === NICKNAME, 'the nickname on the home page');

    requests.length = 0;
    home.querySelector('.logout-btn').dispatchEvent('tap');
    const toLogin = await waitForNavigation('the login page after logout');

    expect(toLogin).toEqual({ how: 'reLaunch', url: '/pages/login/login?loggedOut=1' });
    expect(calls()).toEqual(['POST /auth/logout 204']);
    expect(storage.has('accessToken')).toBe(false);
    expect(storage.has('refreshToken')).toBe(false);
    // The server forgot this login too: its refresh token no longer works.
    const refused = await backendJson('POST', '/auth/refresh', { refreshToken });
    expect(refused.status).toBe(401);

    // Right after logout the login page does not log straight back in.
    navigations.length = 0;
    requests.length = 0;
    const login = openPage(toLogin.url);
    await waitFor(() => login.querySelector('.login-btn'), 'the phone button');
    expect(requests).toEqual([]);
    expect(logins).toEqual([]);

    login.querySelector('.login-btn').dispatchEvent('getphonenumber', {
      detail: { errMsg: 'getPhoneNumber:ok', code: await phoneCode(PHONE) },
    });
    const toHome = await waitForNavigation('home after the phone login');

    expect(toHome).toEqual({ how: 'reLaunch', url: '/pages/home/home' });
    expect(calls()).toEqual(['POST /auth/wechat/phone-login 200']);
    expect(storage.get('accessToken')).toEqual(expect.any(String));
  },
);

test('(h) development mode (USE_WECHAT_SIMULATOR): the sample mints its own codes from the simulator', async () => {
  config.USE_WECHAT_SIMULATOR = true;
  config.SIMULATOR_PHONE_NUMBER = '13900139000';
  storage.clear();
  try {
    const login = openPage('/pages/login/login');
    await waitFor(() => login.querySelector('.sim-phone-btn'), 'the simulator button');
    login.querySelector('.sim-phone-btn').dispatchEvent('tap');
    const toRegister = await waitForNavigation('the registration page');

    expect(toRegister.url).toMatch(/^\/pages\/register\/register\?phoneNumber=%2B8613900139000&/);
    expect(logins).toEqual([]); // no real wx.login in this mode
    expect(calls()).toEqual([
      'POST /__wechat-sim/login-codes 200',
      'POST /auth/wechat/session 404',
      'POST /__wechat-sim/phone-codes 200',
      'POST /__wechat-sim/login-codes 200',
      'POST /auth/wechat/phone-login 404',
    ]);
  } finally {
    config.USE_WECHAT_SIMULATOR = false;
  }
});

test('(i) a nickname WeChat calls risky: the form stays with a message, another nickname then registers', async () => {
  wechat.user = 'o_mp_carol';
  storage.clear();
  const login = openPage('/pages/login/login');
  await waitFor(() => login.querySelector('.login-btn'), 'the phone button');
  login.querySelector('.login-btn').dispatchEvent('getphonenumber', {
    detail: { errMsg: 'getPhoneNumber:ok', code: await phoneCode('13700137000') },
  });
  const toRegister = await waitForNavigation('the registration page');

  navigations.length = 0;
  requests.length = 0;
  const register = openPage(toRegister.url);
  await waitFor(() => text(register, '.phone') === '+8613700137000', 'the phone on the page');
  // The built-in simulator's msg_sec_check calls 违禁词 risky (WECHAT_SIMULATOR_RISKY_WORDS).
  register.querySelector('.nickname-input').dispatchEvent('input', { detail: { value: '违禁词' } });
  await waitFor(() => register.data.nickname === '违禁词', 'the nickname to be typed');
  register.querySelector('.register-btn').dispatchEvent('tap');
  await waitFor(() => toasts.length, 'a toast');

  expect(calls()).toEqual(['POST /auth/wechat/register 422']);
  expect(toasts).toEqual(['该昵称未通过微信内容安全检查，请换一个']);
  expect(text(register, '.nickname-error')).toBe('该昵称未通过微信内容安全检查，请换一个');
  expect(navigations).toEqual([]);
  expect(storage.get('accessToken')).toBeUndefined();

  // Same page, same ticket: a new nickname clears the message and registers.
  register.querySelector('.nickname-input').dispatchEvent('input', { detail: { value: '小红' } });
  await waitFor(() => register.data.nickname === '小红', 'the new nickname');
  expect(register.querySelector('.nickname-error')).toBeUndefined();
  requests.length = 0;
  register.querySelector('.register-btn').dispatchEvent('tap');
  const toHome = await waitForNavigation('home after registering');

  expect(toHome).toEqual({ how: 'reLaunch', url: '/pages/home/home' });
  expect(calls()).toEqual(['POST /auth/wechat/register 201']);
  expect(storage.get('accessToken')).toEqual(expect.any(String));
});

test("(j) errno 1400001 (the mini-program's phone-number allowance is used up) is told apart from a decline", async () => {
  wechat.user = 'o_mp_dave'; // bound to nobody
  storage.clear();
  const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const login = openPage('/pages/login/login');
    await waitFor(() => login.querySelector('.login-btn'), 'the phone button');
    requests.length = 0;
    logins.length = 0;

    login.querySelector('.login-btn').dispatchEvent('getphonenumber', {
      detail: { errMsg: 'getPhoneNumber:fail no permission', errno: 1400001 },
    });
    await waitFor(() => toasts.length, 'a toast');

    expect(toasts).toEqual(['手机号一键登录暂时不可用，请稍后再试']);
    expect(text(login, '.notice')).toBe('手机号一键登录暂时不可用，请稍后再试');
    // The operator's cause goes to the developer console, not to the user.
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(/1400001.*admin console/));
    await new Promise((r) => setTimeout(r, 200));
    expect(requests).toEqual([]);
    expect(logins).toEqual([]);
    expect(navigations).toEqual([]);

    // A decline on the same page is still the decline message, with no operator log.
    toasts.length = 0;
    errors.mockClear();
    login
      .querySelector('.login-btn')
      .dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:fail user deny' } });
    await waitFor(() => toasts.length, 'a toast');
    expect(toasts).toEqual(['需要授权手机号才能一键登录']);
    expect(errors).not.toHaveBeenCalled();
  } finally {
    errors.mockRestore();
  }
});

// WeChat answers jscode2session with 40226 when it flags the account as high-risk;
// the backend turns it into 403 WECHAT_USER_BLOCKED. The simulator's faults route
// rehearses exactly that, so the whole path is live. The phone button still works
// for that user: a loginCode that fails never fails a phone login (the phone proof wins).
test('(k) WECHAT_USER_BLOCKED from silent login: the page says why, and the phone button still logs in', async () => {
  wechat.user = 'o_mp_erin';
  storage.clear();
  const armed = await backendJson('POST', '/__wechat-sim/faults', {
    api: 'jscode2session',
    errcode: 40226,
    count: 2,
  });
  expect(armed.status).toBe(200);
  const login = openPage('/pages/login/login');
  await waitFor(() => login.querySelector('.login-btn'), 'the phone button');
  expect(calls()).toEqual(['POST /auth/wechat/session 403']);
  expect(text(login, '.notice')).toBe('当前微信账号存在安全风险，暂时无法登录');

  requests.length = 0;
  login.querySelector('.login-btn').dispatchEvent('getphonenumber', {
    detail: { errMsg: 'getPhoneNumber:ok', code: await phoneCode('13600136000') },
  });
  await waitForNavigation();
  expect(calls()).toEqual(['POST /auth/wechat/phone-login 404']);
  expect(navigations[0].url).toContain('/pages/register/register');
});

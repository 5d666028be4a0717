/**
 * The sample mini-program's "my account" page (examples/miniprogram/pages/account)
 * end to end, as login-journey.test.js does for the login pages: the real page
 * rendered by miniprogram-simulate, against the built backend with the WeChat
 * simulator. One journey, run in order: sign a second device out, change the
 * phone number, then delete the account (注销).
 *
 * Needs `npm run build` first. Run: npx jest -c test/miniprogram/jest.config.js
 */
const harness = require('./harness');
const { backendJson, phoneCode, journey, step } = harness; // the backend and the journey
const { wechat, storage, dialog } = harness; // what wx holds
const { requests, calls, navigations, toasts, modals } = harness; // what wx recorded
const { openPage, text, waitFor, waitForNavigation } = harness; // the pages

const PHONE = '13700137000';
const NEW_PHONE = '13700137001';
const TAKEN_PHONE = '13700137002';
const CAROL = 'o_mp_carol';

/** A user registered straight through the backend, with this WeChat account bound. */
async function registerDirectly(phoneNumber, openid) {
  const first = await backendJson('POST', '/auth/wechat/phone-login', {
    code: await phoneCode(phoneNumber),
  });
  expect(first.status).toBe(404);
  const login = await backendJson('POST', '/__wechat-sim/login-codes', { openid });
  const registered = await backendJson('POST', '/auth/wechat/register', {
    registrationTicket: first.body.registrationTicket,
    nickname: '小红',
    loginCode: login.body.code,
  });
  expect(registered.status).toBe(201);
  return registered.body;
}

/** Another phone of the same user: a phone login made outside the mini-program under test. */
async function otherDevice() {
  const res = await backendJson('POST', '/auth/wechat/phone-login', {
    code: await phoneCode(PHONE),
  });
  expect(res.status).toBe(200);
  return res.body;
}

const sessionItems = (page) => page.querySelectorAll('.session-item');

let device2;

journey(async () => {
  wechat.user = CAROL;
  const carol = await registerDirectly(PHONE, CAROL);
  storage.set('accessToken', carol.accessToken);
  storage.set('refreshToken', carol.refreshToken);
  device2 = await otherDevice();
  await registerDirectly(TAKEN_PHONE, 'o_mp_dave');
});

step('(a) lists both devices and signs the other one out', async () => {
  const page = openPage('/pages/account/account');
  await waitFor(() => sessionItems(page).length === 2, 'two sessions');
  expect(text(page, '.phone')).toBe('+86' + PHONE);
  const current = sessionItems(page).filter((item) => item.dom.textContent.includes('（本机）'));
  expect(current).toHaveLength(1);

  requests.length = 0;
  page.querySelector('.signout-other').dispatchEvent('tap');
  await waitFor(() => sessionItems(page).length === 1, 'one session left');
  expect(calls()).toEqual(
    expect.arrayContaining([expect.stringMatching(/^DELETE \/users\/me\/sessions\/[\w-]+ 204$/)]),
  );
  const refused = await backendJson('POST', '/auth/refresh', {
    refreshToken: device2.refreshToken,
  });
  expect(refused.status).toBe(401);
});

step('(b) changes the phone number with the phone button; a taken number is refused', async () => {
  const page = openPage('/pages/account/account');
  await waitFor(() => text(page, '.phone'), 'the phone number');

  page.querySelector('.change-phone-btn').dispatchEvent('getphonenumber', {
    detail: { errMsg: 'getPhoneNumber:ok', code: await phoneCode(TAKEN_PHONE) },
  });
  await waitFor(() => toasts.length, 'a toast');
  expect(toasts).toEqual(['该手机号已被其他账号使用']);
  expect(text(page, '.phone')).toBe('+86' + PHONE);

  page.querySelector('.change-phone-btn').dispatchEvent('getphonenumber', {
    detail: { errMsg: 'getPhoneNumber:ok', code: await phoneCode(NEW_PHONE) },
  });
  await waitFor(() => text(page, '.phone') === '+86' + NEW_PHONE, 'the new number');
  expect(calls()).toContain('PUT /users/me/phone 200');
});

step('(c) deletes the account only after the confirmation, then back to login', async () => {
  const page = openPage('/pages/account/account');
  await waitFor(() => sessionItems(page).length === 1, 'the session list');

  dialog.confirm = false;
  page.querySelector('.delete-btn').dispatchEvent('tap');
  await waitFor(() => modals.length, 'the confirmation');
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(calls().filter((call) => call.startsWith('DELETE'))).toEqual([]);

  dialog.confirm = true;
  requests.length = 0;
  page.querySelector('.delete-btn').dispatchEvent('tap');
  const navigation = await waitForNavigation('back to login');
  expect(navigation).toEqual({ how: 'reLaunch', url: '/pages/login/login?loggedOut=1' });
  expect(calls()).toEqual(['DELETE /users/me 204']);
  expect(modals[1]).toMatchObject({ title: '注销账号', confirmText: '注销' });
  expect(storage.has('accessToken')).toBe(false);
  expect(storage.has('refreshToken')).toBe(false);
});

step('(d) the deleted account is gone: silent login unbound, the number free', async () => {
  const login = openPage('/pages/login/login');
  await waitFor(() => login.querySelector('.login-btn'), 'the phone button');
  expect(calls()).toEqual(['POST /auth/wechat/session 404']);
  const again = await backendJson('POST', '/auth/wechat/phone-login', {
    code: await phoneCode(NEW_PHONE),
  });
  expect(again.status).toBe(404);
  expect(again.body.code).toBe('PHONE_NOT_REGISTERED');
});

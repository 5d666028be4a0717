// The login flows, on top of utils/api.js. Pages only decide what to show.
const api = require('./api');
const config = require('../config');
const session = require('./session');

/** A fresh wx.login() code (single-use, 5 minutes): it tells the backend who the WeChat user is. */
function wxLogin() {
  if (config.USE_WECHAT_SIMULATOR) return simulatorLoginCode();
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new Error(res.errMsg))),
      fail: (err) => reject(new Error(err.errMsg)),
    });
  });
}

function startSession(body) {
  session.save(body);
  return body;
}

/**
 * Silent login on launch: no button, no paid phone-number call. Resolves with
 * the login body, or null when this WeChat account is not bound to a user yet
 * (404 WECHAT_ACCOUNT_NOT_BOUND): then the phone button is needed.
 */
function silentLogin() {
  return wxLogin()
    .then((loginCode) => api.post('/auth/wechat/session', { loginCode }, { auth: false }))
    .then(startSession)
    .catch((err) => {
      if (err.code === 'WECHAT_ACCOUNT_NOT_BOUND') return null;
      throw err;
    });
}

/**
 * The phone button's code. Resolves with { registered: true, user } after a
 * login, or { registered: false, phoneNumber, registrationTicket } for a phone
 * no user has (404 PHONE_NOT_REGISTERED). The fresh loginCode binds this WeChat
 * account, so the next launch logs in silently; for a new phone the ticket
 * carries the account to the registration.
 */
function phoneLogin(code) {
  return wxLogin()
    .then((loginCode) => api.post('/auth/wechat/phone-login', { code, loginCode }, { auth: false }))
    .then((body) => ({ registered: true, user: startSession(body).user }))
    .catch((err) => {
      if (err.code !== 'PHONE_NOT_REGISTERED') throw err;
      return {
        registered: false,
        phoneNumber: err.body.phoneNumber,
        registrationTicket: err.body.registrationTicket,
      };
    });
}

/**
 * { registrationTicket, nickname, avatarUrl? } → the new user, logged in.
 * With `avatarFile` (the temporary path chooseAvatar gave) the registration is
 * one wx.uploadFile: the form as text fields, the image as file part `avatar`.
 */
function register(form, avatarFile) {
  const sent = avatarFile
    ? api.upload(
        '/auth/wechat/register',
        { filePath: avatarFile, name: 'avatar', formData: form },
        { auth: false },
      )
    : api.post('/auth/wechat/register', form, { auth: false });
  return sent.then((body) => startSession(body).user);
}

/** Ends this login on the server (its refresh tokens stop working) and forgets the tokens. */
function logout() {
  const done = () => session.clear();
  if (!session.getRefreshToken()) return Promise.resolve(done());
  return api.post('/auth/logout', {}).then(done, done);
}

// --- development only: the backend's built-in WeChat simulator ---------------

// A stable fake openid per DevTools install, so silent login works across launches.
function simulatorOpenid() {
  let openid = wx.getStorageSync('simulatorOpenid');
  if (!openid) {
    openid = 'o_dev_' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    wx.setStorageSync('simulatorOpenid', openid);
  }
  return openid;
}

function simulatorLoginCode() {
  return api
    .post('/__wechat-sim/login-codes', { openid: simulatorOpenid() }, { auth: false })
    .then((body) => body.code);
}

/** What the phone button would give for config.SIMULATOR_PHONE_NUMBER. */
function simulatorPhoneCode() {
  return api
    .post(
      '/__wechat-sim/phone-codes',
      { phoneNumber: config.SIMULATOR_PHONE_NUMBER },
      { auth: false },
    )
    .then((body) => body.code);
}

module.exports = { wxLogin, silentLogin, phoneLogin, register, logout, simulatorPhoneCode };

// Where the wx-phone-login backend listens. `npm start` in the backend serves
// http://localhost:9013; in DevTools tick "Do not verify valid domain names"
// (不校验合法域名) for it. A real device needs an https domain that is on the
// mini-program's request allow-list in the WeChat admin console.
module.exports = {
  API_BASE_URL: 'http://localhost:9013',

  // Development against the backend's built-in WeChat simulator (`npm start`
  // without WECHAT_APPID): the simulator only accepts codes it minted itself, so
  // wx.login() codes are minted by POST /__wechat-sim/login-codes and the login
  // page shows an extra button that mints a phone code for SIMULATOR_PHONE_NUMBER.
  // Set it to false with a real AppID and a backend configured with
  // WECHAT_APPID / WECHAT_SECRET: then real wx.login() and getPhoneNumber codes are used.
  USE_WECHAT_SIMULATOR: true,
  SIMULATOR_PHONE_NUMBER: '13800138000',
};

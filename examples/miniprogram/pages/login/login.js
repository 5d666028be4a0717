const auth = require('../../utils/auth');
const config = require('../../config');

const HOME = '/pages/home/home';
const REGISTER = '/pages/register/register';

const MESSAGES = {
  WECHAT_CODE_INVALID: '授权已过期，请重试',
  TOO_MANY_REQUESTS: '操作太频繁，请稍后再试',
};

function errorToast(err) {
  wx.showToast({ title: MESSAGES[err && err.code] || '登录失败，请稍后再试', icon: 'none' });
}

// A page built with Component(): WeChat calls methods.onLoad(query) like Page's onLoad.
Component({
  data: {
    checking: true, // silent login in progress: the phone button is not shown yet
    busy: false,
    useSimulator: false,
    simulatorPhone: '',
  },

  methods: {
    onLoad(query) {
      this.setData({
        useSimulator: config.USE_WECHAT_SIMULATOR,
        simulatorPhone: config.SIMULATOR_PHONE_NUMBER,
      });
      // Right after a logout, do not log straight back in.
      if (query && query.loggedOut) {
        this.setData({ checking: false });
        return Promise.resolve();
      }
      return auth
        .silentLogin()
        .then((result) => {
          if (result) wx.reLaunch({ url: HOME });
          else this.setData({ checking: false }); // not bound yet: show the phone button
        })
        .catch(() => this.setData({ checking: false })); // the button still works
    },

    // <button open-type="getPhoneNumber">: e.detail.code is the one-time phone code
    // (base library 2.21.2+). No code means the user declined.
    onGetPhoneNumber(e) {
      const code = e.detail && e.detail.code;
      if (!code) {
        wx.showToast({ title: '需要授权手机号才能一键登录', icon: 'none' });
        return Promise.resolve();
      }
      if (this.data.busy) return Promise.resolve();
      this.setData({ busy: true });
      return auth
        .phoneLogin(code)
        .then((result) => {
          if (result.registered) {
            wx.reLaunch({ url: HOME });
            return;
          }
          wx.navigateTo({
            url:
              REGISTER +
              '?phoneNumber=' +
              encodeURIComponent(result.phoneNumber) +
              '&registrationTicket=' +
              encodeURIComponent(result.registrationTicket),
          });
        })
        .catch(errorToast)
        .then(() => this.setData({ busy: false }));
    },

    // Development only (config.USE_WECHAT_SIMULATOR): the code the phone button would give.
    onSimulatedPhone() {
      return auth
        .simulatorPhoneCode()
        .then((code) => this.onGetPhoneNumber({ detail: { code } }), errorToast);
    },
  },
});

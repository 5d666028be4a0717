const auth = require('../../utils/auth');
const config = require('../../config');

const HOME = '/pages/home/home';
const REGISTER = '/pages/register/register';

const MESSAGES = {
  WECHAT_CODE_INVALID: '授权已过期，请重试',
  TOO_MANY_REQUESTS: '操作太频繁，请稍后再试',
  // WeChat flagged this WeChat account as high-risk (jscode2session errcode 40226).
  WECHAT_USER_BLOCKED: '当前微信账号存在安全风险，暂时无法登录',
};

// The phone button's own failure (no request was made): this mini-program's
// allowance for the paid phone-number component is used up.
const PHONE_QUOTA_EXHAUSTED = 1400001;
const PHONE_UNAVAILABLE = '手机号一键登录暂时不可用，请稍后再试';
const PHONE_DECLINED = '需要授权手机号才能一键登录';

function errorToast(err) {
  wx.showToast({ title: MESSAGES[err && err.code] || '登录失败，请稍后再试', icon: 'none' });
}

/** The lasting notice for a 403 WECHAT_USER_BLOCKED, else ''. */
function blockedNotice(err) {
  return err && err.code === 'WECHAT_USER_BLOCKED' ? MESSAGES.WECHAT_USER_BLOCKED : '';
}

// A page built with Component(): WeChat calls methods.onLoad(query) like Page's onLoad.
Component({
  data: {
    checking: true, // silent login in progress: the phone button is not shown yet
    busy: false,
    useSimulator: false,
    simulatorPhone: '',
    notice: '', // a lasting message under the button (a blocked account, no phone login)
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
        .catch((err) => {
          // The button still works; a blocked account is told why silent login failed.
          this.setData({ checking: false, notice: blockedNotice(err) });
        });
    },

    // <button open-type="getPhoneNumber">: e.detail.code is the one-time phone code
    // (base library 2.21.2+). Without a code either the user declined
    // ("getPhoneNumber:fail user deny") or WeChat refused to show the prompt:
    // errno 1400001 = the mini-program's phone-number allowance is used up.
    onGetPhoneNumber(e) {
      const detail = (e && e.detail) || {};
      const code = detail.code;
      if (!code && Number(detail.errno) === PHONE_QUOTA_EXHAUSTED) {
        // For the operator, not the user: the console of the mini-program's developer.
        console.error(
          '[wx-phone-login] getPhoneNumber errno 1400001: the phone-number component allowance ' +
            'of this mini-program is used up. Buy or renew it in the mini-program admin console ' +
            '(mp.weixin.qq.com). ' +
            (detail.errMsg || ''),
        );
        this.setData({ notice: PHONE_UNAVAILABLE });
        wx.showToast({ title: PHONE_UNAVAILABLE, icon: 'none' });
        return Promise.resolve();
      }
      if (!code) {
        wx.showToast({ title: PHONE_DECLINED, icon: 'none' });
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
        .catch((err) => {
          errorToast(err);
          if (blockedNotice(err)) this.setData({ notice: blockedNotice(err) });
        })
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

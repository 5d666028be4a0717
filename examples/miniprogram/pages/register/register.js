const auth = require('../../utils/auth');

const HOME = '/pages/home/home';
const LOGIN = '/pages/login/login';

const MESSAGES = {
  REGISTRATION_TICKET_INVALID: '注册已过期，请重新登录',
  PHONE_ALREADY_REGISTERED: '该手机号已注册，请直接登录',
  VALIDATION_FAILED: '昵称或头像不符合要求',
  AVATAR_INVALID: '头像图片无法识别，请换一张',
  PAYLOAD_TOO_LARGE: '头像图片太大，请换一张',
  // WeChat's content security refused the nickname: nothing was created, the ticket still works.
  NICKNAME_REJECTED: '该昵称未通过微信内容安全检查，请换一个',
};

function decode(value) {
  try {
    return decodeURIComponent(value || '');
  } catch (e) {
    return value || '';
  }
}

// Opened by the login page as
// /pages/register/register?phoneNumber=…&registrationTicket=…
// after POST /auth/wechat/phone-login answered 404 PHONE_NOT_REGISTERED.
Component({
  data: {
    phoneNumber: '',
    registrationTicket: '',
    nickname: '',
    avatarUrl: '',
    nicknameError: '',
    submitting: false,
  },

  methods: {
    onLoad(query) {
      this.setData({
        phoneNumber: decode(query.phoneNumber),
        registrationTicket: decode(query.registrationTicket),
      });
    },

    // <button open-type="chooseAvatar">: a temporary local file path (wxfile://…, http://tmp/…).
    onChooseAvatar(e) {
      this.setData({ avatarUrl: e.detail.avatarUrl || '' });
    },

    // <input type="nickname">: the WeChat nickname can arrive on input or on blur.
    onNicknameInput(e) {
      const nickname = e.detail.value || '';
      // A refused nickname's message stays until the user changes it.
      if (nickname !== this.data.nickname) this.setData({ nickname, nicknameError: '' });
    },

    onSubmit() {
      const nickname = this.data.nickname.trim();
      if (!nickname) {
        wx.showToast({ title: '请填写昵称', icon: 'none' });
        return Promise.resolve();
      }
      if (this.data.submitting) return Promise.resolve();
      const form = { registrationTicket: this.data.registrationTicket, nickname };
      // chooseAvatar gives a temporary local file (wxfile://…, http://tmp/…): it
      // goes up with the registration itself (wx.uploadFile, file part `avatar`).
      // A WeChat avatar URL (older clients) is sent as avatarUrl.
      const avatar = this.data.avatarUrl;
      const isWechatUrl = /^https:\/\/(thirdwx|wx)\.qlogo\.cn\//.test(avatar);
      if (isWechatUrl) form.avatarUrl = avatar;
      const avatarFile = avatar && !isWechatUrl ? avatar : '';

      this.setData({ submitting: true });
      return auth
        .register(form, avatarFile)
        .then(() => wx.reLaunch({ url: HOME }))
        .catch((err) => {
          this.setData({ submitting: false });
          wx.showToast({ title: MESSAGES[err.code] || '注册失败，请稍后再试', icon: 'none' });
          // Keep the form (and the ticket): only the nickname or the picture has to change.
          if (err.code === 'AVATAR_INVALID' || err.code === 'PAYLOAD_TOO_LARGE') {
            this.setData({ avatarUrl: '' });
          }
          if (err.code === 'NICKNAME_REJECTED') {
            this.setData({ nicknameError: MESSAGES.NICKNAME_REJECTED });
          }
          // The ticket is spent or stale: only a new phone login can issue another.
          if (
            err.code === 'REGISTRATION_TICKET_INVALID' ||
            err.code === 'PHONE_ALREADY_REGISTERED'
          ) {
            wx.reLaunch({ url: LOGIN });
          }
        });
    },
  },
});

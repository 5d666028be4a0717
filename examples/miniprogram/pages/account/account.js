const api = require('../../utils/api');
const session = require('../../utils/session');

const LOGIN = '/pages/login/login';

const MESSAGES = {
  PHONE_ALREADY_REGISTERED: '该手机号已被其他账号使用',
  WECHAT_CODE_INVALID: '授权已过期，请重试',
  TOO_MANY_REQUESTS: '操作太频繁，请稍后再试',
};

function toast(err) {
  wx.showToast({ title: MESSAGES[err && err.code] || '操作失败，请稍后再试', icon: 'none' });
}

function pad(n) {
  return (n < 10 ? '0' : '') + n;
}

function timeLabel(iso) {
  const d = new Date(iso);
  return (
    d.getMonth() + 1 + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes())
  );
}

/** Back to the login page with no tokens: the session is over (signed out, deleted, expired). */
function leave(query) {
  session.clear();
  wx.reLaunch({ url: LOGIN + (query || '') });
}

// "My account": the user's devices (sign one out), a new phone number, deletion (注销).
Component({
  data: {
    loading: true,
    busy: false,
    user: null,
    sessions: [],
    error: '',
  },

  methods: {
    onLoad() {
      return this.reload();
    },

    reload() {
      return Promise.all([api.get('/users/me'), api.get('/users/me/sessions')])
        .then(([user, sessions]) =>
          this.setData({
            loading: false,
            user,
            sessions: sessions.map((s) =>
              Object.assign({}, s, { lastUsedLabel: timeLabel(s.lastUsedAt) }),
            ),
          }),
        )
        .catch((err) => this.failed(err));
    },

    failed(err) {
      // The session ended meanwhile (refresh refused, account gone): log in again.
      if (err.code === 'UNAUTHORIZED') return leave();
      this.setData({ loading: false, busy: false, error: '加载失败，请稍后再试' });
    },

    // DELETE /users/me/sessions/{id}: that device's refresh token stops working at once.
    onSignOut(e) {
      const { id, current } = e.currentTarget.dataset;
      this.setData({ busy: true });
      return api
        .del('/users/me/sessions/' + encodeURIComponent(id))
        .then(() => (current ? leave('?loggedOut=1') : this.reload()))
        .catch((err) => (err.code === 'SESSION_NOT_FOUND' ? this.reload() : toast(err)))
        .then(() => this.setData({ busy: false }));
    },

    // The phone button again, for the new number: PUT /users/me/phone { code }.
    onChangePhone(e) {
      const code = e.detail && e.detail.code;
      if (!code) {
        wx.showToast({ title: '需要授权新手机号', icon: 'none' });
        return Promise.resolve();
      }
      this.setData({ busy: true });
      return api
        .put('/users/me/phone', { code })
        .then((user) => {
          this.setData({ user });
          wx.showToast({ title: '手机号已更换', icon: 'success' });
        })
        .catch(toast)
        .then(() => this.setData({ busy: false }));
    },

    // 注销: asked once more, then DELETE /users/me; every device is signed out.
    onDeleteAccount() {
      return new Promise((resolve) =>
        wx.showModal({
          title: '注销账号',
          content: '手机号、昵称、头像和微信绑定将被删除，所有设备退出登录，且无法恢复。确定注销？',
          confirmText: '注销',
          confirmColor: '#e64340',
          success: resolve,
          fail: () => resolve({ confirm: false }),
        }),
      ).then((answer) => {
        if (!answer.confirm) return undefined;
        this.setData({ busy: true });
        return api
          .del('/users/me')
          .then(() => {
            wx.showToast({ title: '账号已注销', icon: 'none' });
            leave('?loggedOut=1');
          })
          .catch((err) => {
            this.setData({ busy: false });
            toast(err);
          });
      });
    },
  },
});

const api = require('../../utils/api');
const auth = require('../../utils/auth');
const config = require('../../config');

const LOGIN = '/pages/login/login';

const AVATAR_MESSAGES = {
  AVATAR_INVALID: '头像图片无法识别，请换一张',
  PAYLOAD_TOO_LARGE: '头像图片太大，请换一张',
};

/**
 * `<image src>` needs a full URL: an avatar uploaded to the backend comes back as
 * a path (`/avatars/…`) unless the backend runs with PUBLIC_BASE_URL.
 */
function avatarSrc(user) {
  const url = user && user.avatarUrl;
  return url && url.charAt(0) === '/' ? config.API_BASE_URL + url : url || '';
}

Component({
  data: {
    loading: true,
    user: null,
    avatarSrc: '',
    uploading: false,
    error: '',
  },

  methods: {
    onLoad() {
      return this.loadProfile();
    },

    showUser(user) {
      this.setData({ loading: false, user, avatarSrc: avatarSrc(user) });
    },

    // GET /users/me through the wrapper: an expired access token is refreshed on the way.
    loadProfile() {
      return api
        .get('/users/me')
        .then((user) => this.showUser(user))
        .catch((err) => {
          if (err.code === 'UNAUTHORIZED') {
            // Not logged in, or the session ended (refresh refused, tokens cleared).
            wx.reLaunch({ url: LOGIN });
            return;
          }
          this.setData({ loading: false, error: '加载失败，请稍后再试' });
        });
    },

    // <button open-type="chooseAvatar">: a temporary file, uploaded at once
    // (POST /users/me/avatar by wx.uploadFile; the backend re-encodes it).
    onChooseAvatar(e) {
      const filePath = e.detail.avatarUrl;
      if (!filePath || this.data.uploading) return Promise.resolve();
      this.setData({ uploading: true });
      return api
        .upload('/users/me/avatar', { filePath, name: 'file' })
        .then((user) => this.showUser(user))
        .catch((err) => {
          if (err.code === 'UNAUTHORIZED') {
            wx.reLaunch({ url: LOGIN });
            return;
          }
          wx.showToast({
            title: AVATAR_MESSAGES[err.code] || '头像上传失败，请稍后再试',
            icon: 'none',
          });
        })
        .then(() => this.setData({ uploading: false }));
    },

    onLogout() {
      return auth.logout().then(() => wx.reLaunch({ url: LOGIN + '?loggedOut=1' }));
    },
  },
});

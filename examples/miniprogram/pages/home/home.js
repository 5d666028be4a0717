const api = require('../../utils/api');
const auth = require('../../utils/auth');

const LOGIN = '/pages/login/login';

Component({
  data: {
    loading: true,
    user: null,
    error: '',
  },

  methods: {
    onLoad() {
      return this.loadProfile();
    },

    // GET /users/me through the wrapper: an expired access token is refreshed on the way.
    loadProfile() {
      return api
        .get('/users/me')
        .then((user) => this.setData({ loading: false, user }))
        .catch((err) => {
          if (err.code === 'UNAUTHORIZED') {
            // Not logged in, or the session ended (refresh refused, tokens cleared).
            wx.reLaunch({ url: LOGIN });
            return;
          }
          this.setData({ loading: false, error: '加载失败，请稍后再试' });
        });
    },

    onOpenAccount() {
      wx.navigateTo({ url: '/pages/account/account' });
    },

    onLogout() {
      return auth.logout().then(() => wx.reLaunch({ url: LOGIN + '?loggedOut=1' }));
    },
  },
});

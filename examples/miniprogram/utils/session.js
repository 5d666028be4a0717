// The login session: our backend's access and refresh tokens, kept in storage so
// they survive a restart of the mini-program.
const ACCESS_TOKEN = 'accessToken';
const REFRESH_TOKEN = 'refreshToken';

function getAccessToken() {
  return wx.getStorageSync(ACCESS_TOKEN) || '';
}

function getRefreshToken() {
  return wx.getStorageSync(REFRESH_TOKEN) || '';
}

/** Stores a pair from a login, a registration or a refresh (which rotates both). */
function save(pair) {
  wx.setStorageSync(ACCESS_TOKEN, pair.accessToken);
  wx.setStorageSync(REFRESH_TOKEN, pair.refreshToken);
}

function clear() {
  wx.removeStorageSync(ACCESS_TOKEN);
  wx.removeStorageSync(REFRESH_TOKEN);
}

module.exports = { getAccessToken, getRefreshToken, save, clear };

// The one way pages talk to the backend. It sends JSON (or a file, with
// wx.uploadFile), adds
// `Authorization: Bearer <accessToken>`, and when the access token has expired
// (401 with code UNAUTHORIZED) it spends the refresh token once on
// POST /auth/refresh, stores the new pair and retries the request once.
//
// Resolves with the response body for a 2xx answer; rejects with an ApiError
// otherwise. Switch on `error.code` (the backend's stable error code), never
// on the message.
const config = require('../config');
const session = require('./session');

function ApiError(statusCode, body) {
  body = body && typeof body === 'object' ? body : {};
  this.name = 'ApiError';
  this.statusCode = statusCode;
  this.code = body.code || (statusCode ? 'HTTP_' + statusCode : 'NETWORK_ERROR');
  this.message = body.message || this.code;
  this.body = body;
}
ApiError.prototype = Object.create(Error.prototype);
ApiError.prototype.constructor = ApiError;

/** One wx.request, as a promise of { statusCode, data }; rejects only when no answer came. */
function send(method, path, data, accessToken) {
  const header = { 'Content-Type': 'application/json' };
  if (accessToken) header.Authorization = 'Bearer ' + accessToken;
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.API_BASE_URL + path,
      method,
      data,
      header,
      dataType: 'json',
      success: (res) => resolve(res),
      fail: (err) => reject(new ApiError(0, { code: 'NETWORK_ERROR', message: err.errMsg })),
    });
  });
}

/**
 * One wx.uploadFile: multipart/form-data with the file at `filePath` (a
 * temporary path such as chooseAvatar's) as part `name`, and `formData` as text
 * fields. wx.uploadFile always POSTs and hands `data` over as a string.
 */
function sendFile(path, file, accessToken) {
  const header = {};
  if (accessToken) header.Authorization = 'Bearer ' + accessToken;
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: config.API_BASE_URL + path,
      filePath: file.filePath,
      name: file.name,
      formData: file.formData || {},
      header,
      success: (res) => {
        let data = res.data;
        try {
          data = JSON.parse(res.data);
        } catch (e) {
          // not JSON: keep the text
        }
        resolve({ statusCode: res.statusCode, data });
      },
      fail: (err) => reject(new ApiError(0, { code: 'NETWORK_ERROR', message: err.errMsg })),
    });
  });
}

// One refresh at a time: the refresh token is single-use (rotation), and
// presenting a spent one makes the backend revoke the whole session. Requests
// that hit a 401 together all wait for the same refresh.
let refreshing = null;

function refreshSession() {
  if (!refreshing) {
    const refreshToken = session.getRefreshToken();
    refreshing = (
      refreshToken
        ? send('POST', '/auth/refresh', { refreshToken })
        : Promise.resolve({ statusCode: 401, data: { code: 'REFRESH_TOKEN_INVALID' } })
    )
      .then((res) => {
        if (res.statusCode === 200) {
          session.save(res.data);
          return true;
        }
        // Refused (invalid, expired, reused or logged out): the session is over.
        if (res.statusCode >= 400 && res.statusCode < 500) session.clear();
        return false;
      })
      // No answer (offline): keep the tokens, they may still be good next time.
      .catch(() => false)
      .then((ok) => {
        refreshing = null;
        return ok;
      });
  }
  return refreshing;
}

function isExpiredAccessToken(res) {
  return res.statusCode === 401 && res.data && res.data.code === 'UNAUTHORIZED';
}

/**
 * request('GET', '/users/me')
 * request('POST', '/auth/wechat/session', { loginCode }, { auth: false })
 * request('POST', '/users/me/avatar', null, { file: { filePath, name: 'file' } })
 */
function request(method, path, data, options) {
  const useAuth = !(options && options.auth === false);
  const file = options && options.file;
  const attempt = () => {
    const token = useAuth ? session.getAccessToken() : '';
    const sent = file ? sendFile(path, file, token) : send(method, path, data, token);
    return sent.then((res) => ({ res, token }));
  };
  return attempt()
    .then((first) => {
      if (!useAuth || !isExpiredAccessToken(first.res)) return first.res;
      // Another request may have refreshed meanwhile: then just retry with the new token.
      const current = session.getAccessToken();
      const ready = current && current !== first.token ? Promise.resolve(true) : refreshSession();
      return ready.then((ok) => (ok ? attempt().then((second) => second.res) : first.res));
    })
    .then((res) => {
      if (res.statusCode >= 200 && res.statusCode < 300) return res.data;
      throw new ApiError(res.statusCode, res.data);
    });
}

module.exports = {
  ApiError,
  request,
  get: (path, options) => request('GET', path, undefined, options),
  post: (path, data, options) => request('POST', path, data || {}, options),
  /** upload('/users/me/avatar', { filePath, name: 'file', formData? }): multipart, by wx.uploadFile. */
  upload: (path, file, options) =>
    request('POST', path, undefined, Object.assign({}, options, { file })),
};

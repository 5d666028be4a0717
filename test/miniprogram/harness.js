/**
 * The harness of the sample mini-program's journey (login-journey.test.js): the
 * backend (dist/main.js with the built-in WeChat simulator, through the test kit's
 * launcher), the `wx` global played by this file, and page helpers.
 *
 * `wx` is the WeChat client: wx.request is a real HTTP call to the backend,
 * wx.uploadFile a real multipart/form-data POST of a file the test placed at a
 * temporary path (tempFile),
 * wx.login and the phone button get their codes from the simulator's
 * /__wechat-sim routes (what WeChat would hand the mini-program), storage is a
 * Map, navigation and toasts are recorded.
 *
 * Required by the test file, so it shares that file's module registry (and the
 * pages' `config` and `api` instances).
 */
const fs = require('fs');
const path = require('path');
const simulate = require('miniprogram-simulate');
const { launchApp } = require('../helpers/app-process');
const { httpCall } = require('../helpers/http-client');

const APP_DIR = path.resolve(__dirname, '../../examples/miniprogram');
// The same instance the pages require: this file shares the test file's registry.
const config = require(path.join(APP_DIR, 'config'));

// ------------------------------------------------------------------- backend

/** The running backend: { app, base } (see startBackend). */
const backend = { app: null, base: '' };

/** A JSON call made by the test itself (not by the mini-program). */
async function backendJson(method, urlPath, payload) {
  const res = await httpCall(method, backend.base + urlPath, { json: payload });
  return { status: res.status, body: res.body === undefined ? null : res.body };
}

/**
 * The built backend on a free port with a fresh SQLite file, the simulator on,
 * nothing inherited from the developer's shell (the kit launcher's defaults).
 */
async function startBackend() {
  backend.app = await launchApp({ readyTimeoutMs: 30000 });
  backend.base = backend.app.url;
}

async function stopBackend() {
  if (backend.app) await backend.app.stop();
  backend.app = null;
}

/** What <button open-type="getPhoneNumber"> hands the mini-program when the user allows. */
async function phoneCode(phoneNumber) {
  const res = await backendJson('POST', '/__wechat-sim/phone-codes', { phoneNumber });
  expect(res.status).toBe(200);
  return res.body.code;
}

// ------------------------------------------------------------- the wx global

const storage = new Map();
const requests = []; // every wx.request, as { method, path, status, body, authorization }
const logins = []; // every wx.login
const navigations = []; // { how: 'navigateTo' | 'redirectTo' | 'reLaunch', url }
const toasts = [];
const modals = []; // every wx.showModal's options
/** What the user taps in the next wx.showModal: tests set `dialog.confirm`. */
const dialog = { confirm: true };
/** The openid wx.login speaks for: tests set `wechat.user`. */
const wechat = { user: 'o_mp_alice' };

function asyncCallbacks(options, result, ok) {
  setTimeout(() => {
    if (ok && options.success) options.success(result);
    if (!ok && options.fail) options.fail(result);
    if (options.complete) options.complete(result);
  }, 0);
}

function wxRequest(options) {
  const method = (options.method || 'GET').toUpperCase();
  const header = Object.assign({}, options.header);
  const url = new URL(options.url);
  let body;
  if (options.data !== undefined) {
    if (method === 'GET') {
      Object.keys(options.data).forEach((k) => url.searchParams.set(k, options.data[k]));
    } else {
      body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
      if (!Object.keys(header).some((k) => k.toLowerCase() === 'content-type')) {
        header['Content-Type'] = 'application/json';
      }
    }
  }
  const entry = {
    method,
    path: url.pathname,
    status: null,
    body: options.data,
    authorization: header.Authorization,
  };
  httpCall(method, url.toString(), { body, headers: header }).then(
    (res) => {
      entry.status = res.status;
      requests.push(entry);
      let data = res.text;
      if (options.dataType !== 'text') {
        try {
          data = JSON.parse(res.text);
        } catch {
          // WeChat hands the raw string over when the body is not JSON (e.g. a 204)
        }
      }
      asyncCallbacks(
        options,
        { statusCode: res.status, data, header: res.headers, errMsg: 'request:ok' },
        true,
      );
    },
    (err) => {
      requests.push(entry);
      asyncCallbacks(options, { errMsg: `request:fail ${err.message}` }, false);
    },
  );
  return { abort() {}, onHeadersReceived() {}, offHeadersReceived() {} };
}

/** Temporary paths (what chooseAvatar hands over) → real files on disk. */
const tempFiles = new Map();
const FIXTURES = path.resolve(__dirname, '../fixtures');

/** Puts test/fixtures/<fixture> at the temporary path `tmpPath`, as chooseAvatar would. */
function tempFile(tmpPath, fixture) {
  tempFiles.set(tmpPath, path.join(FIXTURES, fixture));
  return tmpPath;
}

const CONTENT_TYPES = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' };

/** The body WeChat's client builds for wx.uploadFile: text fields, then the one file part. */
function multipartBody(boundary, formData, name, filePath, bytes) {
  const parts = Object.keys(formData).map(
    (key) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${formData[key]}\r\n`,
  );
  const filename = path.basename(filePath);
  const type = CONTENT_TYPES[path.extname(filePath)] || 'application/octet-stream';
  return Buffer.concat([
    Buffer.from(parts.join('')),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\n` +
        `Content-Type: ${type}\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

/**
 * wx.uploadFile: always a POST of multipart/form-data (no `method` option in
 * WeChat's API), `data` handed over as the response's text, never parsed.
 */
function wxUploadFile(options) {
  const url = new URL(options.url);
  const formData = Object.assign({}, options.formData);
  const entry = {
    method: 'POST',
    path: url.pathname,
    status: null,
    body: formData,
    file: { name: options.name, filePath: options.filePath },
    authorization: (options.header || {}).Authorization,
  };
  const real = tempFiles.get(options.filePath);
  if (!real) {
    requests.push(entry);
    asyncCallbacks(
      options,
      { errMsg: `uploadFile:fail file not found ${options.filePath}` },
      false,
    );
    return { abort() {} };
  }
  const boundary = '----WeChatUploadBoundary' + Date.now().toString(16);
  const body = multipartBody(boundary, formData, options.name, real, fs.readFileSync(real));
  const header = Object.assign({}, options.header, {
    'Content-Type': `multipart/form-data; boundary=${boundary}`,
  });
  httpCall('POST', url.toString(), { body, headers: header }).then(
    (res) => {
      entry.status = res.status;
      requests.push(entry);
      asyncCallbacks(
        options,
        { statusCode: res.status, data: res.text, header: res.headers, errMsg: 'uploadFile:ok' },
        true,
      );
    },
    (err) => {
      requests.push(entry);
      asyncCallbacks(options, { errMsg: `uploadFile:fail ${err.message}` }, false);
    },
  );
  return { abort() {}, onProgressUpdate() {} };
}

function wxLogin(options = {}) {
  logins.push(wechat.user);
  backendJson('POST', '/__wechat-sim/login-codes', { openid: wechat.user }).then(
    (res) =>
      res.status === 200
        ? asyncCallbacks(options, { code: res.body.code, errMsg: 'login:ok' }, true)
        : asyncCallbacks(options, { errMsg: `login:fail ${res.status}` }, false),
    (err) => asyncCallbacks(options, { errMsg: `login:fail ${err.message}` }, false),
  );
}

function recordNavigation(how) {
  return (options) => {
    navigations.push({ how, url: options.url });
    asyncCallbacks(options, { errMsg: `${how}:ok` }, true);
  };
}

// miniprogram-simulate installed its own stub `wx`; these replace the parts the app uses.
Object.assign(global.wx, {
  request: wxRequest,
  uploadFile: wxUploadFile,
  login: wxLogin,
  getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
  setStorageSync: (key, value) => void storage.set(key, value),
  removeStorageSync: (key) => void storage.delete(key),
  clearStorageSync: () => storage.clear(),
  navigateTo: recordNavigation('navigateTo'),
  redirectTo: recordNavigation('redirectTo'),
  reLaunch: recordNavigation('reLaunch'),
  showModal: (options) => {
    modals.push(options);
    const { confirm } = dialog;
    asyncCallbacks(options, { confirm, cancel: !confirm, errMsg: 'showModal:ok' }, true);
  },
  showToast: (options) => {
    toasts.push(options.title);
    asyncCallbacks(options, { errMsg: 'showToast:ok' }, true);
  },
});

// ------------------------------------------------------------------- pages

const pageIds = {};
const openPages = [];

/**
 * Opens a page the way WeChat does: `url` as passed to wx.navigateTo/reLaunch,
 * its query handed to onLoad undecoded.
 */
function openPage(url) {
  const [route, search = ''] = url.replace(/^\//, '').split('?');
  const query = {};
  search
    .split('&')
    .filter(Boolean)
    .forEach((pair) => {
      const i = pair.indexOf('=');
      query[i < 0 ? pair : pair.slice(0, i)] = i < 0 ? '' : pair.slice(i + 1);
    });
  // rootPath = the app: the official WXML compiler then compiles every page in one
  // go (compiling each page's folder on its own breaks the second page rendered).
  if (!pageIds[route])
    pageIds[route] = simulate.load(path.join(APP_DIR, route), { rootPath: APP_DIR });
  const page = simulate.render(pageIds[route]);
  page.attach(document.createElement('parent-wrapper'));
  openPages.push(page);
  page.instance.onLoad(query);
  return page;
}

function text(page, selector) {
  const node = page.querySelector(selector);
  return node ? node.dom.textContent.trim() : null;
}

/** Polls until `check()` returns something truthy (and returns it). */
async function waitFor(check, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}\n` +
          `requests: ${JSON.stringify(requests.map(describeCall))}\n` +
          `navigations: ${JSON.stringify(navigations)}\ntoasts: ${JSON.stringify(toasts)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

const waitForNavigation = (what = 'a navigation') => waitFor(() => navigations[0], what);

const describeCall = (r) => `${r.method} ${r.path} ${r.status}`;
const calls = () => requests.map(describeCall);

// ------------------------------------------------------------------- journey

let failedStep = null;

/** A test that needs the state the earlier steps left behind. */
function step(name, fn) {
  test(name, async () => {
    if (failedStep) throw new Error(`not run: the earlier step "${failedStep}" failed`);
    try {
      await fn();
    } catch (error) {
      failedStep = name;
      throw error;
    }
  });
}

/**
 * The hooks every journey file needs: the backend up for the whole file, the
 * mini-program pointed at it on the real WeChat path (wx.login and the phone
 * button, not the simulator shortcut), the recorders emptied before each test and
 * the pages detached after it. `setup` runs once the backend is up.
 */
function journey(setup = async () => {}) {
  beforeAll(async () => {
    await startBackend();
    config.API_BASE_URL = backend.base;
    config.USE_WECHAT_SIMULATOR = false;
    await setup();
  }, 45000);
  afterAll(stopBackend, 20000);
  beforeEach(() => {
    for (const recorded of [requests, logins, navigations, toasts, modals]) recorded.length = 0;
  });
  afterEach(() => {
    while (openPages.length) openPages.pop().detach();
  });
}

// Grouped by what they are: the backend, the journey, the wx recorders, the pages.
module.exports = {
  backend,
  backendJson,
  phoneCode,
  journey,
  step,
  wechat,
  storage,
  dialog,
  tempFile,
  asyncCallbacks,
  requests,
  calls,
  logins,
  navigations,
  toasts,
  modals,
  openPage,
  text,
  waitFor,
  waitForNavigation,
};

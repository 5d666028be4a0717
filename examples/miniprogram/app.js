// The app itself holds no state: tokens live in storage (utils/session.js) and
// the first page, pages/login/login, does the silent login on launch because it
// is the page that decides what to show (the phone button, or nothing).
App({});

// The operator page's only script: served by the app from this file (the CSP
// refuses inline scripts), no build step, no third-party code. The admin token
// lives in this closure only: never in storage, a cookie or the URL.
(function () {
  'use strict';

  var adminToken = '';
  var $ = function (id) { return document.getElementById(id); };

  function say(text, isError) {
    var message = $('message');
    message.textContent = text;
    message.className = isError ? 'error' : '';
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function api(method, path, body) {
    if (!adminToken) return Promise.reject(new Error('Paste the admin token first'));
    var init = { method: method, headers: { Authorization: 'Bearer ' + adminToken }, cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      if (res.status === 204) return null;
      return res.json().then(function (data) {
        if (!res.ok) {
          var wait = res.headers.get('Retry-After');
          throw new Error((data.code || res.status) + ': ' + data.message + (wait ? ' (retry in ' + wait + ' s)' : ''));
        }
        return data;
      });
    });
  }

  function row(list, label, value, className) {
    list.appendChild(el('dt', label));
    list.appendChild(el('dd', value === null || value === '' ? '—' : value, className));
  }

  function renderUser(user) {
    var box = el('div', undefined, 'user');
    box.setAttribute('data-user-id', user.id);
    var list = el('dl');
    row(list, 'id', user.id);
    row(list, 'phone', user.phoneNumber);
    row(list, 'nickname', user.nickname);
    row(list, 'created', user.createdAt);
    row(list, 'last login', user.lastLoginAt);
    row(list, 'status', user.blocked ? 'BLOCKED: ' + (user.blockedReason || '') : 'active', user.blocked ? 'blocked user-status' : 'user-status');
    row(list, 'live sessions', user.liveSessions);
    row(list, 'WeChat', user.wechatAccounts.map(function (a) {
      return a.appId + ' · ' + a.openid + (a.unionid ? ' · ' + a.unionid : '');
    }).join('\n'));
    row(list, 'admin actions', user.audit.map(function (a) {
      return a.at + ' ' + a.action + (a.reason ? ' (' + a.reason + ')' : '');
    }).join('\n'));
    box.appendChild(list);

    var actions = el('div', undefined, 'actions');
    var reason = el('input');
    reason.placeholder = 'reason (required to block)';
    reason.className = 'reason';
    actions.appendChild(reason);
    function action(label, run, className) {
      var button = el('button', label, className);
      button.type = 'button';
      button.addEventListener('click', function () {
        run(reason.value.trim()).then(function () {
          say(label + ': done for ' + user.id);
          return lookUp();
        }).catch(function (error) { say(error.message, true); });
      });
      actions.appendChild(button);
    }
    var base = '/admin/users/' + encodeURIComponent(user.id);
    if (user.blocked) {
      action('Unblock', function (why) { return api('POST', base + '/unblock', why ? { reason: why } : {}); }, 'unblock');
    } else {
      action('Block', function (why) { return api('POST', base + '/block', { reason: why }); }, 'danger block');
    }
    action('Revoke sessions', function (why) { return api('POST', base + '/revoke-sessions', why ? { reason: why } : {}); }, 'revoke');
    box.appendChild(actions);
    return box;
  }

  function lookUp() {
    var by = $('lookup-by').value;
    var value = $('lookup-value').value.trim();
    if (!value) return Promise.resolve();
    return api('GET', '/admin/users?' + by + '=' + encodeURIComponent(value)).then(function (users) {
      var target = $('users');
      target.textContent = '';
      if (users.length === 0) target.appendChild(el('p', 'No user found.'));
      users.forEach(function (user) { target.appendChild(renderUser(user)); });
    });
  }

  function loadApps() {
    return api('GET', '/admin/wechat/apps').then(function (apps) {
      var body = $('apps').tBodies[0];
      body.textContent = '';
      apps.forEach(function (app) {
        var tr = el('tr');
        tr.setAttribute('data-app-id', app.appId);
        [app.appId, app.mode, app.tokenHeld ? 'yes' : 'NO', app.expiresAt, app.lastRefreshAt,
          app.lastError ? app.lastError.at + ' ' + app.lastError.message : (app.misconfigured ? 'errcode ' + app.misconfigured.errcode + ': ' + app.misconfigured.hint : ''),
          app.forceRefresh.today + ' / 20'].forEach(function (cell) {
          tr.appendChild(el('td', cell === null ? '—' : cell));
        });
        var cell = el('td');
        var force = el('button', 'Force refresh', 'danger');
        force.type = 'button';
        force.addEventListener('click', function () {
          api('POST', '/admin/wechat/apps/' + encodeURIComponent(app.appId) + '/refresh-token')
            .then(function () { say('New token for ' + app.appId); return loadApps(); })
            .catch(function (error) { say(error.message, true); });
        });
        cell.appendChild(force);
        tr.appendChild(cell);
        body.appendChild(tr);
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('token-form').addEventListener('submit', function (event) {
      event.preventDefault();
      adminToken = $('admin-token').value.trim();
      $('admin-token').value = '';
      loadApps().then(function () {
        $('token-state').textContent = 'accepted';
        say('');
      }).catch(function (error) {
        $('token-state').textContent = 'refused';
        say(error.message, true);
      });
    });
    $('lookup-form').addEventListener('submit', function (event) {
      event.preventDefault();
      lookUp().catch(function (error) { say(error.message, true); });
    });
    $('apps-reload').addEventListener('click', function () {
      loadApps().catch(function (error) { say(error.message, true); });
    });
  });
})();

// The gateway's page: one project's sessions, live. Plain JavaScript, no build step.
// Protocol (see the README): subscribe with the versions held, then state / deleted / synced /
// heartbeat / error messages; reconnects with backoff and resumes with what it holds.
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var project = params.get('project');
  var token = params.get('access_token');
  var transport = params.get('transport') === 'sse' || !window.WebSocket ? 'sse' : 'websocket';
  var sessions = new Map();           // sessionId -> {version, state, projectId, updatedAt}
  var socket = null, source = null;
  var lastHeartbeatAt = 0, heartbeatInterval = 2000, bridge = 'unknown', position = '';
  var retryMs = 500, connected = false, closing = false;
  var el = function (id) { return document.getElementById(id); };

  function tokenQuery(prefix) { return token ? prefix + 'access_token=' + encodeURIComponent(token) : ''; }

  function setConnection(state, text, title) {
    var c = el('connection');
    if (c.dataset.state !== state) { c.dataset.state = state; }
    el('connection-text').textContent = text;
    c.title = title || '';
  }

  function watchdog() {
    if (!connected) { return; }
    var silent = Date.now() - lastHeartbeatAt;
    if (lastHeartbeatAt && silent > 6 * heartbeatInterval) {
      // a connection that went quiet without closing (a dead proxy, a sleeping laptop): start over
      window.pgbridge.dropConnection();
    } else if (lastHeartbeatAt && silent > 3 * heartbeatInterval) {
      setConnection('stale', 'stale', 'no heartbeat from the gateway for ' + Math.round(silent / 1000) + ' s');
    } else if (bridge === 'stale') {
      setConnection('stale', 'stale', 'the bridge stopped sending heartbeats: states may be old');
    } else if (lastHeartbeatAt) {
      setConnection('live', 'live', bridge === 'unknown' ? 'no bridge heartbeats on this topic' : 'bridge live');
    }
  }

  function text(v) { return v === undefined || v === null ? '' : String(v); }

  function progressOf(s) {
    if (typeof s.progress === 'number') { return Math.max(0, Math.min(100, s.progress)); }
    var t = todoCounts(s.todos);
    return t.total ? Math.round(100 * t.completed / t.total) : 0;
  }

  function todoCounts(todos) {
    if (Array.isArray(todos)) {
      var done = todos.filter(function (t) { return t && (t.status === 'completed' || t.done === true); }).length;
      return {total: todos.length, completed: done, list: todos};
    }
    if (todos && typeof todos === 'object') {
      return {total: todos.total || 0, completed: todos.completed || 0, inProgress: todos.inProgress || 0};
    }
    return {total: 0, completed: 0};
  }

  function toolSummary(calls) {
    if (Array.isArray(calls)) {
      var last = calls.length ? calls[calls.length - 1] : null;
      return calls.length + ' tool calls' + (last ? ', last ' + text(last.name || last.tool || last.toolName) : '');
    }
    if (calls && typeof calls === 'object') {
      return text(calls.total) + ' tool calls' + (calls.lastTool ? ', last ' + calls.lastTool : '');
    }
    return 'no tool calls';
  }

  function card(id) {
    var c = document.querySelector('[data-session-id="' + CSS.escape(id) + '"]');
    if (!c) {
      c = document.createElement('article');
      c.className = 'session';
      c.dataset.sessionId = id;
      c.innerHTML = '<h2><span class="id"></span><span class="status"></span></h2>' +
        '<div class="bar"><span></span></div><p class="meta"></p><div class="todos"></div><p class="tools"></p>';
      c.querySelector('.id').textContent = id.slice(0, 8);
      c.querySelector('.id').title = id;
      el('sessions').prepend(c);
    }
    return c;
  }

  function render(id) {
    var s = sessions.get(id);
    var c = card(id);
    var st = s.state || {};
    var status = text(st.status || 'unknown');
    var progress = progressOf(st);
    c.dataset.version = s.version;
    c.dataset.status = status;
    c.dataset.progress = progress;
    var badge = c.querySelector('.status');
    badge.textContent = status;
    badge.dataset.status = status;
    c.querySelector('.bar span').style.width = progress + '%';
    c.querySelector('.meta').textContent = (st.phase ? st.phase + ' · ' : '') + progress + '% · v' + s.version +
      (s.updatedAt ? ' · ' + new Date(s.updatedAt).toLocaleTimeString() : '');
    var t = todoCounts(st.todos);
    var todos = c.querySelector('.todos');
    todos.textContent = 'todos ' + t.completed + '/' + t.total + (t.inProgress ? ' (' + t.inProgress + ' in progress)' : '');
    if (t.list && t.list.length) {
      var ul = document.createElement('ul');
      t.list.slice(0, 6).forEach(function (item) {
        var li = document.createElement('li');
        li.textContent = (item.status === 'completed' ? '✓ ' : item.status === 'in_progress' ? '▸ ' : '· ') +
          text(item.content || item.title || item.text);
        ul.appendChild(li);
      });
      todos.appendChild(ul);
    }
    c.querySelector('.tools').textContent = toolSummary(st.toolCalls || st.tool_calls);
    el('empty').hidden = sessions.size > 0;
  }

  function remove(id) {
    sessions.delete(id);
    var c = document.querySelector('[data-session-id="' + CSS.escape(id) + '"]');
    if (c) { c.remove(); }
    el('empty').hidden = sessions.size > 0;
  }

  function onMessage(m) {
    switch (m.type) {
      case 'state':
        if (m.projectId !== project) { return; }
        sessions.set(m.sessionId, {version: m.version, state: m.state, projectId: m.projectId, updatedAt: m.updatedAt});
        render(m.sessionId);
        break;
      case 'deleted':
        remove(m.sessionId);
        break;
      case 'reset':
        resetting = new Set(sessions.keys());
        break;
      case 'synced':
        if (resetting) {
          resetting.forEach(function (id) { if (!seenSinceReset.has(id)) { remove(id); } });
          resetting = null; seenSinceReset = new Set();
        }
        position = m.position;
        el('empty').hidden = sessions.size > 0;
        document.body.dataset.synced = 'true';
        break;
      case 'heartbeat':
        lastHeartbeatAt = Date.now();
        heartbeatInterval = m.intervalMs || heartbeatInterval;
        bridge = m.bridge;
        position = m.position;
        el('footer').textContent = 'bridge ' + m.bridge + (m.currentAsOf ? ' · current as of ' +
          new Date(m.currentAsOf).toLocaleTimeString() : '') + ' · via ' + transport;
        watchdog();
        break;
      case 'error':
        el('footer').textContent = 'error: ' + m.code + ': ' + m.message;
        break;
    }
    if (resetting && m.type === 'state') { seenSinceReset.add(m.sessionId); }
  }
  var resetting = null, seenSinceReset = new Set();

  function held() {
    var have = {};
    sessions.forEach(function (s, id) { have[id] = s.version; });
    return have;
  }

  function connected_() {
    connected = true;
    retryMs = 500;
    lastHeartbeatAt = Date.now();
    setConnection('live', 'live', 'connected');
  }

  function retry() {
    connected = false;
    document.body.dataset.synced = 'false';
    if (closing) { return; }
    setConnection('offline', 'reconnecting', 'connection lost; retrying in ' + retryMs + ' ms');
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  }

  function connect() {
    if (transport === 'sse') {
      var url = '/stream?projects=' + encodeURIComponent(project) + tokenQuery('&') +
        (position ? '&since=' + encodeURIComponent(position) : '');
      source = new EventSource(url);
      source.onopen = connected_;
      source.onmessage = function (e) { onMessage(JSON.parse(e.data)); };
      source.onerror = function () { if (source.readyState === EventSource.CLOSED) { source = null; retry(); } else { connected = false; setConnection('offline', 'reconnecting', ''); } };
      return;
    }
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/stream' + tokenQuery('?'));
    socket = ws;
    ws.onopen = function () {
      connected_();
      ws.send(JSON.stringify({type: 'subscribe', id: 'page', projects: [project], have: held()}));
    };
    ws.onmessage = function (e) { onMessage(JSON.parse(e.data)); };
    ws.onclose = function () { if (socket === ws) { socket = null; retry(); } };
  }

  function listProjects() {
    el('title').textContent = 'projects';
    fetch('/projects' + tokenQuery('?')).then(function (r) { return r.json(); }).then(function (body) {
      var nav = el('projects');
      nav.hidden = false;
      (body.projects || []).forEach(function (p) {
        var a = document.createElement('a');
        a.href = '?project=' + encodeURIComponent(p.projectId) + tokenQuery('&');
        a.textContent = p.projectId + ' (' + p.sessions + ' sessions)';
        nav.appendChild(a);
      });
      if (!body.projects || !body.projects.length) { nav.textContent = 'No projects yet.'; }
      setConnection('live', 'ready', '');
    }).catch(function () { setConnection('offline', 'offline', 'cannot list projects'); });
  }

  // hooks for the browser tests and for poking at it from the console
  window.pgbridge = {
    dropConnection: function () { if (socket) { socket.close(); } if (source) { source.close(); source = null; retry(); } },
    sessions: function () { var o = {}; sessions.forEach(function (s, id) { o[id] = s.version; }); return o; },
    transport: transport
  };
  window.addEventListener('beforeunload', function () { closing = true; });

  if (!project) { listProjects(); return; }
  el('title').textContent = 'project ' + project;
  setInterval(watchdog, 500);
  connect();
})();

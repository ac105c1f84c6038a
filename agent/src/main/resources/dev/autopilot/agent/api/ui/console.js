// Autopilot console: reads /cluster, /history and /backups of the agent that served it, polls once a second, and sends
// the token-guarded POSTs. Every value from the agent is inserted as text (textContent), never as markup; the token
// lives in sessionStorage (this tab only) and travels only in the Authorization header.
"use strict";

(function () {
  // Once a second; four times a second while the cluster is changing (no writable primary, a switchover under way, the
  // agent or its store lost), so that a failover shows within a fraction of a second of happening.
  const POLL_MILLIS = 1000;
  const FAST_POLL_MILLIS = 250;
  const BACKUPS_EVERY_MILLIS = 10000;
  let changing = true;
  let backupsAt = 0;
  const TOKEN_KEY = "autopilot.token";
  let cluster = null;
  let events = [];

  const $ = (id) => document.getElementById(id);

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function time(millis) {
    const d = new Date(millis);
    const pad = (n, w = 2) => String(n).padStart(w, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  function bytes(n) {
    if (typeof n !== "number") return "";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
  }

  function lag(ms) {
    if (typeof ms !== "number" || ms < 0) return "";
    return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
  }

  async function get(path) {
    const response = await fetch(path, { cache: "no-store", credentials: "omit", signal: AbortSignal.timeout(3000) });
    const body = await response.json().catch(() => ({}));
    return { status: response.status, body };
  }

  function connection(text, level) {
    const banner = $("connection");
    banner.textContent = text;
    banner.className = `banner ${level}`;
  }

  // ---- topology ----
  async function refreshCluster() {
    let answer;
    try {
      answer = await get("/cluster");
    } catch (e) {
      connection("Lost the agent: it does not answer (stopped, or the network is down). Retrying.", "bad");
      changing = true;
      return;
    }
    if (answer.status !== 200) {
      connection(`Agent answers ${answer.status}: ${answer.body.error || "not ready"}`, "warn");
      return;
    }
    cluster = answer.body;
    changing = cluster.stale || !!cluster.switchover
      || !(cluster.members || []).some((m) => m.name === cluster.leader && m.role === "PRIMARY");
    if (cluster.stale) {
      connection(`Agent ${cluster.answeredBy} has lost the coordination store: showing its last reading, which may be out of date.`, "bad");
    } else {
      connection(`Live from ${cluster.answeredBy}`, "ok");
    }
    renderCluster(cluster);
  }

  // The lock holder opened writes: its promoted event follows its latest lock-taken event. The history has it a moment
  // before the holder's member record says PRIMARY (the record is published after the promotion's cycle).
  function writesOpen(leader) {
    let taken = -1;
    events.forEach((e, i) => { if (e.kind === "lock-taken" && e.member === leader) taken = i; });
    return taken >= 0 && events.slice(taken).some((e) => e.kind === "promoted" && e.member === leader);
  }

  function renderCluster(c) {
    const members = c.members || [];
    const primary = members.find((m) => m.name === c.leader && m.role === "PRIMARY");
    const opened = !primary && c.leader && writesOpen(c.leader) ? members.find((m) => m.name === c.leader) : null;
    $("cluster-line").textContent = c.paused ? "— automatic failover PAUSED" : "";
    $("primary-line").textContent = primary ? `Primary: ${primary.name} (${primary.address}:${primary.mysqlPort})`
      : opened ? `Primary: ${opened.name} (${opened.address}:${opened.mysqlPort}) — writes open, publishing its new role`
      : c.leader ? `Lock held by ${c.leader}, not (yet) a writable primary` : "No primary";
    $("primary-line").className = primary || opened ? "primary-line" : "primary-line unhealthy";
    const body = $("members").tBodies[0];
    const rows = [];
    const names = new Set(members.map((m) => m.name));
    for (const m of members) {
      const row = el("tr");
      row.dataset.member = m.name;
      if (primary && m.name === primary.name) row.className = "primary";
      row.append(el("td", m.name));
      const role = el("td");
      // A record still saying primary after the lock moved on: the old primary's, until its registration expires.
      const stale = m.role === "PRIMARY" && m.name !== c.leader;
      role.append(stale ? el("span", "old primary", "role gone")
        : el("span", m.role === "PRIMARY" ? "primary" : m.role === "REPLICA" ? "replica" : "none", `role ${m.role.toLowerCase()}`));
      row.append(role);
      row.append(stale ? el("td", "lost the lock; its record expires soon", "unhealthy")
        : el("td", `${m.state.toLowerCase()}${m.healthy ? "" : " (unhealthy)"}`, m.healthy ? "" : "unhealthy"));
      row.append(el("td", m.replicatingFrom || (m.role === "PRIMARY" ? "—" : "")));
      row.append(el("td", m.role === "PRIMARY" ? "" : lag(m.lagMillis)));
      row.append(el("td", m.gtidPosition, "gtid"));
      row.append(el("td", m.lastSnapshot ? time(Date.parse(m.lastSnapshot)) : ""));
      row.append(el("td", m.lastError, "error"));
      rows.push(row);
    }
    for (const name of c.roster || []) {
      if (names.has(name)) continue;
      const row = el("tr");
      row.dataset.member = name;
      row.append(el("td", name));
      const role = el("td");
      role.append(el("span", "gone", "role gone"));
      row.append(role, el("td", "no running agent", "unhealthy"), el("td"), el("td"), el("td"), el("td"), el("td"));
      rows.push(row);
    }
    body.replaceChildren(...rows);
    const select = $("switchover-target");
    const chosen = select.value;
    const replicas = members.filter((m) => m.role === "REPLICA").map((m) => m.name).join(" ");
    if (select.dataset.replicas === replicas) return; // unchanged: leave an open list and the keyboard focus alone
    select.dataset.replicas = replicas;
    const options = [el("option", "best replica")];
    options[0].value = "";
    for (const m of members.filter((m) => m.role === "REPLICA")) {
      const option = el("option", m.name);
      option.value = m.name;
      options.push(option);
    }
    select.replaceChildren(...options);
    select.value = options.some((o) => o.value === chosen) ? chosen : "";
  }

  // ---- history ----
  async function refreshHistory() {
    let answer;
    try {
      answer = await get("/history");
    } catch (e) {
      return; // the banner already says the agent is gone
    }
    if (answer.status !== 200) return;
    events = answer.body.events || [];
    if (cluster) renderCluster(cluster);
    renderTimeline(events);
    renderFailovers(events);
  }

  function describeDetails(details) {
    return Object.entries(details || {}).map(([k, v]) => `${k}=${v}`).join("  ");
  }

  function renderTimeline(events) {
    const items = events.slice(-200).reverse().map((e) => {
      const li = el("li", null, `k-${e.kind}`);
      li.append(el("span", time(e.atMillis), "mono"), el("span", e.member), el("span", e.kind, "kind"), el("span", e.message));
      const details = describeDetails(e.details);
      if (details) li.append(el("span", details, "details"));
      return li;
    });
    $("timeline").replaceChildren(...items);
  }

  const LOSS = ["member-left", "lock-lost", "lock-released", "stepped-down", "fenced"];

  // A promotion is a lock-taken event; its phases are the events around it: the old primary's loss or step-down before,
  // the new primary's promoted event (relay log drain, opening writes) and the replicas re-pointing after.
  function failovers(events) {
    const out = [];
    let previousTaken = -1;
    events.forEach((e, i) => {
      if (e.kind !== "lock-taken") return;
      // What happened since the previous promotion, within a minute, belongs to this one.
      const before = events.slice(previousTaken + 1, i)
        .filter((x) => x.atMillis >= e.atMillis - 60000 && LOSS.includes(x.kind) && x.member !== e.member);
      previousTaken = i;
      const after = events.slice(i + 1).filter((x) => x.atMillis <= e.atMillis + 60000);
      const promoted = after.find((x) => x.kind === "promoted" && x.member === e.member);
      const stepped = before.filter((x) => x.kind === "stepped-down").pop();
      // The old primary's loss as the others saw it: before the lock moved (it stepped down, lost its lease), or its
      // record expiring right after (a crash: the lease and the record expire together).
      const lost = stepped ? undefined : before.filter((x) => x.kind !== "stepped-down").shift()
        || after.find((x) => x.kind === "member-left" && x.details && x.details.left !== e.member && x.atMillis <= e.atMillis + 10000);
      const repointed = after.filter((x) => x.kind === "repointed" && x.details && x.details.primary === e.member);
      out.push({ taken: e, promoted, stepped, lost, repointed, planned: /switchover/.test(e.details && e.details.reason || "") });
    });
    return out;
  }

  function phase(label, value) {
    const span = el("span", null, "phase");
    span.append(document.createTextNode(`${label} `), el("b", value));
    return span;
  }

  function renderFailovers(events) {
    const items = failovers(events).slice(-10).reverse().map((f) => {
      const li = el("li");
      li.dataset.primary = f.taken.member;
      const previous = f.taken.details && f.taken.details.previous;
      const lostWho = f.lost ? (f.lost.kind === "member-left" ? f.lost.details.left : f.lost.member) : "";
      const from = f.stepped ? f.stepped.member : previous && previous !== f.taken.member ? previous : lostWho;
      const title = `${f.planned ? "Switchover" : "Failover"} to ${f.taken.member}${from ? ` from ${from}` : ""} at ${time(f.taken.atMillis)}`;
      li.append(el("div", title, "failover-title"));
      const phases = el("div", null, "phases");
      if (f.lost) {
        const delta = f.taken.atMillis - f.lost.atMillis;
        phases.append(phase(`${f.lost.kind} ${lostWho}`, delta >= 0 ? `${delta} ms before lock taken` : `${-delta} ms after lock taken`));
      }
      if (f.stepped) {
        const d = f.stepped.details || {};
        phases.append(phase("old primary read-only in", `${d.readOnlyMillis} ms`), phase("position handed over in", `${d.handOverMillis} ms`));
      }
      const free = f.taken.details && f.taken.details.lockFreeMillis;
      if (typeof free === "number" && free > 0) phases.append(phase("lock seen free for", `${free} ms`));
      phases.append(phase("lock taken", time(f.taken.atMillis).slice(11)));
      if (f.promoted) {
        const d = f.promoted.details || {};
        phases.append(phase("relay log applied in", `${d.drainMillis} ms`), phase("writes open in", `${d.openMillis} ms`),
          phase("lock taken → writes open", `${(d.drainMillis || 0) + (d.openMillis || 0)} ms`));
      } else {
        phases.append(phase("writes", "not open yet"));
      }
      if (f.repointed.length) {
        const last = f.repointed[f.repointed.length - 1];
        phases.append(phase(`${f.repointed.length} replica(s) re-pointed within`, `${last.atMillis - f.taken.atMillis} ms`));
      }
      li.append(phases);
      return li;
    });
    if (!items.length) items.push(el("li", "No failover or switchover in the history.", "muted"));
    $("failovers").replaceChildren(...items);
  }

  // ---- backups ----
  async function refreshBackups() {
    let answer;
    try {
      answer = await get("/backups");
    } catch (e) {
      return;
    }
    const summary = $("backup-summary");
    const body = $("snapshots").tBodies[0];
    if (answer.status !== 200) {
      summary.textContent = answer.body.error || `no backups (${answer.status})`;
      body.replaceChildren();
      return;
    }
    const snaps = answer.body.snapshots || [];
    if (!snaps.length) {
      summary.textContent = "No snapshot yet.";
    } else {
      const oldest = snaps.reduce((a, b) => (Date.parse(a.created) < Date.parse(b.created) ? a : b));
      const newest = snaps.reduce((a, b) => (Date.parse(a.created) > Date.parse(b.created) ? a : b));
      summary.textContent = `${snaps.length} snapshot(s); newest ${time(Date.parse(newest.created))}. Point-in-time recovery window:`
        + ` from ${time(Date.parse(oldest.created))} to the newest archived binlog (see archive-gap events in the timeline).`;
    }
    body.replaceChildren(...snaps.map((s) => {
      const row = el("tr");
      row.append(el("td", s.id, "mono"), el("td", time(Date.parse(s.created))), el("td", s.source), el("td", bytes(s.size)),
        el("td", s.gtidPosition, "gtid"));
      return row;
    }));
  }

  // ---- actions ----
  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  }

  function renderToken() {
    const has = token() !== "";
    for (const id of ["switchover", "pause", "resume", "backup"]) $(id).disabled = !has;
    $("token-state").textContent = has ? "token set for this tab: actions enabled" : "read-only: enter the cluster token to act";
  }

  async function act(path, body) {
    const result = $("action-result");
    result.textContent = `POST ${path} …`;
    result.className = "";
    try {
      const response = await fetch(path, {
        method: "POST", cache: "no-store", credentials: "omit",
        headers: { "Authorization": `Bearer ${token()}`, "Content-Type": "application/json" },
        body: JSON.stringify(body || {}),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        result.textContent = `Done: ${answer.message || response.status}`;
        result.className = "ok";
      } else if (response.status === 401) {
        result.textContent = `Refused (401): ${answer.error || "wrong token"}. Enter the cluster token again.`;
        result.className = "bad";
      } else {
        result.textContent = `Refused (${response.status}): ${answer.error || ""}`;
        result.className = "bad";
      }
    } catch (e) {
      result.textContent = "Not sent: the agent does not answer.";
      result.className = "bad";
    }
    refreshCluster();
  }

  function wire() {
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("token").value.trim();
      $("token").value = "";
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      renderToken();
    });
    $("token-forget").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      renderToken();
    });
    $("switchover").addEventListener("click", () => {
      const to = $("switchover-target").value;
      act("/switchover", to ? { to } : {});
    });
    $("pause").addEventListener("click", () => act("/pause"));
    $("resume").addEventListener("click", () => act("/resume"));
    $("backup").addEventListener("click", () => act("/backup"));
    renderToken();
  }

  async function poll() {
    const backups = Date.now() - backupsAt >= BACKUPS_EVERY_MILLIS;
    if (backups) backupsAt = Date.now();
    await Promise.all([refreshCluster(), refreshHistory(), backups ? refreshBackups() : null]);
    setTimeout(poll, changing ? FAST_POLL_MILLIS : POLL_MILLIS);
  }

  wire();
  poll();
})();

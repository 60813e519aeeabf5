// The statistics dashboard's script (served from the binary as a file: the
// page's Content-Security-Policy allows no inline script).
"use strict";
(function () {
  const REGIONS = { RED_RIVER_DELTA: "Red River Delta", NORTHEAST: "Northeast", NORTHWEST: "Northwest",
    NORTH_CENTRAL: "North Central", SOUTH_CENTRAL_COAST: "South Central Coast", CENTRAL_HIGHLANDS: "Central Highlands",
    SOUTHEAST: "Southeast", MEKONG_DELTA: "Mekong Delta", OVERSEAS: "Overseas", UNKNOWN: "Unknown" };
  const AGENCIES = { DEPARTMENT_OF_CHILDREN: "Department of Children", CRIMINAL_POLICE: "Criminal Police Department (MPS)",
    BORDER_GUARD: "Border Guard Command (MoD)", COAST_GUARD: "Coast Guard", COMMUNE_PEOPLES_COMMITTEE: "Commune People's Committee",
    WOMENS_UNION: "Vietnam Women's Union", SOCIAL_WORK_CENTRE: "Social work centre", NGO: "NGO", CONSULATE: "Consulate", OTHER: "Other" };
  const QUERY = `query Dashboard($from: Date!, $to: Date!, $region: Region, $minCellSize: Int) {
    statistics(from: $from, to: $to, region: $region, minCellSize: $minCellSize) {
      from to asOfPosition minCellSize totalCalls counsellingCalls counsellingSessions casesOpened referrals personsRescued
      callsByRegion { region count share suppressed }
      callsByCategory { category count suppressed }
      callsByChannel { channel count suppressed }
      referralsByAgency { agency referrals personsRescued suppressed }
      monthly { month calls counsellingCalls referrals personsRescued }
    } }`;
  const $ = (id) => document.getElementById(id);
  const fmt = new Intl.NumberFormat("en-US");
  const label = (map, code) => map[code] || code.toLowerCase().replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const svg = (tag, attrs, text) => {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  let minCell = 1;
  const suppressedText = () => `suppressed (< ${minCell})`;

  for (const [code, name] of Object.entries(REGIONS)) $("region").appendChild(el("option", { value: code }, name));

  // A token (and period) may come in the URL fragment, which browsers never send to the server;
  // it is then removed from the address bar and kept for this tab only.
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  if (fragment.get("token")) sessionStorage.setItem("casetrail-token", fragment.get("token"));
  $("token").value = sessionStorage.getItem("casetrail-token") || "";
  for (const [key, id] of [["from", "from"], ["to", "to"], ["region", "region"], ["minCellSize", "min-cell-size"]]) {
    if (fragment.get(key)) $(id).value = fragment.get(key);
  }
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);

  function setStatus(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }

  function explain(status, body) {
    const error = body && body.errors && body.errors[0];
    const code = error && error.extensions && error.extensions.code;
    const message = error ? error.message : "";
    if (status === 401 || code === "UNAUTHENTICATED")
      return `Not signed in (401): ${message || "the token is missing, expired or invalid"}. Paste a valid token.`;
    if (code === "FORBIDDEN") return `Forbidden: ${message}. Statistics are open to COUNSELLOR, SUPERVISOR, AUDITOR and ANALYST.`;
    if (status === 429) return "Too many requests: wait a moment and try again.";
    if (code) return `${code}: ${message}`;
    return `The server answered ${status}${message ? ": " + message : ""}.`;
  }

  async function load() {
    const token = $("token").value.trim();
    if (!token) { setStatus("Paste an access token to see the statistics.", true); document.body.dataset.state = "error"; return; }
    sessionStorage.setItem("casetrail-token", token);
    const variables = { from: $("from").value, to: $("to").value };
    if ($("region").value) variables.region = $("region").value;
    if ($("min-cell-size").value) variables.minCellSize = Number($("min-cell-size").value);
    document.body.dataset.state = "loading";
    setStatus("Loading…");
    let status = 0, body = null;
    try {
      const response = await fetch("/graphql", { method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
        body: JSON.stringify({ query: QUERY, variables, operationName: "Dashboard" }) });
      status = response.status;
      body = await response.json().catch(() => null);
    } catch (e) {
      setStatus("The server cannot be reached: " + e.message, true);
      document.body.dataset.state = "error";
      return;
    }
    const stats = body && body.data && body.data.statistics;
    if (status !== 200 || !stats) {
      setStatus(explain(status, body), true);
      $("results").hidden = true;
      document.body.dataset.state = "error";
      return;
    }
    render(stats);
    setStatus("");
    document.body.dataset.state = "ready";
  }

  function number(id, value) {
    $(id).textContent = fmt.format(value);
    $(id).dataset.value = String(value);
  }

  function render(s) {
    minCell = s.minCellSize;
    $("period").textContent = `${s.from} – ${s.to}`;
    $("as-of-position").textContent = s.asOfPosition;
    $("min-cell").textContent = String(s.minCellSize);
    number("total-calls", s.totalCalls);
    number("total-counselling-calls", s.counsellingCalls);
    number("total-counselling-sessions", s.counsellingSessions);
    number("total-cases-opened", s.casesOpened);
    number("total-referrals", s.referrals);
    number("total-persons-rescued", s.personsRescued);
    bars("calls-by-region", "region", s.callsByRegion.map((c) => ({ code: c.region, name: label(REGIONS, c.region), ...c })), true);
    bars("calls-by-category", "category", s.callsByCategory.map((c) => ({ code: c.category, name: label({}, c.category), ...c })), false);
    bars("calls-by-channel", "channel", s.callsByChannel.map((c) => ({ code: c.channel, name: label({}, c.channel), ...c })), false);
    agencies(s.referralsByAgency);
    chart(s.monthly);
    $("results").hidden = false;
  }

  // Zeros are left out. A cell suppressed below a minimum of 1 is a zero too; above 1 it is
  // always shown as suppressed, since leaving it out would tell that it is zero.
  const worthShowing = (count, suppressed) => (suppressed ? minCell > 1 : count > 0);

  // Horizontal bars, largest first.
  function bars(id, kind, cells, withShare) {
    const box = $(id);
    box.replaceChildren();
    const shown = cells.filter((c) => worthShowing(c.count, c.suppressed))
      .sort((a, b) => (b.count ?? -1) - (a.count ?? -1));
    const max = Math.max(1, ...shown.map((c) => c.count || 0));
    for (const c of shown) {
      const row = el("div", { class: "row" + (c.suppressed ? " suppressed" : ""), id: `${kind}-${c.code}`,
        "data-code": c.code, "data-count": c.suppressed ? "" : String(c.count), "data-suppressed": String(c.suppressed) });
      row.appendChild(el("div", {}, c.name));
      const track = row.appendChild(el("div", { class: "track" }));
      if (!c.suppressed) {
        // Through the CSSOM: the page's CSP refuses style attributes.
        const fill = track.appendChild(el("div", { class: "fill" }));
        fill.style.width = `${(100 * c.count / max).toFixed(2)}%`;
      }
      const text = c.suppressed ? suppressedText()
        : fmt.format(c.count) + (withShare && c.share != null ? ` (${(100 * c.share).toFixed(1)}%)` : "");
      row.appendChild(el("div", { class: "num" + (c.suppressed ? " suppressed" : "") }, text));
      box.appendChild(row);
    }
    if (!shown.length) box.appendChild(el("p", { class: "suppressed" }, "No calls in this period."));
  }

  function agencies(cells) {
    const body = $("referrals-by-agency").tBodies[0];
    body.replaceChildren();
    for (const c of cells.filter((c) => worthShowing(c.referrals, c.suppressed))) {
      const row = el("tr", { id: `agency-${c.agency}`, "data-suppressed": String(c.suppressed),
        "data-referrals": c.suppressed ? "" : String(c.referrals), "data-persons-rescued": c.suppressed ? "" : String(c.personsRescued) });
      row.appendChild(el("td", {}, label(AGENCIES, c.agency)));
      for (const value of [c.referrals, c.personsRescued]) {
        row.appendChild(el("td", { class: "n" + (c.suppressed ? " suppressed" : "") }, c.suppressed ? suppressedText() : fmt.format(value)));
      }
      body.appendChild(row);
    }
    if (!body.rows.length) body.appendChild(el("tr", {})).appendChild(el("td", { colspan: "3", class: "suppressed" }, "No referrals in this period."));
  }

  // An SVG line chart of calls and counselling calls per month, with a labelled y axis and yearly ticks.
  function chart(months) {
    const box = $("monthly-chart");
    box.replaceChildren();
    const W = 1000, H = 300, L = 56, R = 16, T = 14, B = 36;
    const max = Math.max(1, ...months.map((m) => m.calls));
    const step = niceStep(max / 5);
    const top = Math.ceil(max / step) * step;
    const x = (i) => L + (months.length < 2 ? (W - L - R) / 2 : i * (W - L - R) / (months.length - 1));
    const y = (v) => T + (H - T - B) * (1 - v / top);
    for (let v = 0; v <= top; v += step) {
      box.appendChild(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e3e8ee" }));
      box.appendChild(svg("text", { x: L - 8, y: y(v) + 4, "text-anchor": "end", "font-size": 12, fill: "#5b6875" }, fmt.format(v)));
    }
    // Every month on a short period; otherwise each January, and the first month when no January is near it.
    const firstJanuary = months.findIndex((m) => m.month.endsWith("-01"));
    const labelled = (m, i) => months.length <= 12 || m.month.endsWith("-01") || (i === 0 && (firstJanuary < 0 || firstJanuary >= 4));
    months.forEach((m, i) => {
      if (labelled(m, i)) {
        box.appendChild(svg("line", { x1: x(i), x2: x(i), y1: H - B, y2: H - B + 5, stroke: "#5b6875" }));
        box.appendChild(svg("text", { x: x(i), y: H - B + 20, "text-anchor": "middle", "font-size": 12, fill: "#5b6875" }, m.month));
      }
    });
    for (const [key, colour, cls] of [["calls", "#2f6db5", "line-calls"], ["counsellingCalls", "#d9822b", "line-counselling"]]) {
      const points = months.map((m, i) => `${x(i).toFixed(1)},${y(m[key]).toFixed(1)}`).join(" ");
      box.appendChild(svg("polyline", { points, fill: "none", stroke: colour, "stroke-width": 2, class: cls }));
      months.forEach((m, i) => {
        const dot = svg("circle", { cx: x(i), cy: y(m[key]), r: 2.5, fill: colour, "data-month": m.month, "data-series": key, "data-value": m[key] });
        dot.appendChild(svg("title", {}, `${m.month}: ${fmt.format(m[key])} ${key === "calls" ? "calls" : "counselling calls"}, ${m.referrals} referrals, ${m.personsRescued} rescued`));
        box.appendChild(dot);
      });
    }
    box.appendChild(svg("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#5b6875" }));
  }

  function niceStep(raw) {
    const power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
    return [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) || 10 * power;
  }

  $("controls").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  if ($("token").value) load();
  else setStatus("Paste an access token (e.g. from `casetrail token --sub NAME --role ANALYST`) and press Show.");
})();

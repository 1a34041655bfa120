// offramp workbench: plain JavaScript over the app's JSON API (no build step).
"use strict";

const params = new URLSearchParams(location.search);
const TOKEN = params.get("token");
const $ = (id) => document.getElementById(id);
const state = {
  source: null,           // {name} or {yaml, file}
  base: null,             // scenario JSON of the unedited scenario
  variants: { A: {}, B: {} },   // path key -> {path, value}
  active: "A",
  compare: false,
  axes: [null, null],
  results: { A: null, B: null },
  inputs: [],             // [{key, path, label, group, min, max, step, value, testid, disabled}]
  seq: 0,
  sweepRun: null,
  mcRun: null,
};

async function api(method, url, body) {
  const headers = { "Content-Type": "application/json" };
  if (TOKEN) headers["X-Offramp-Token"] = TOKEN;
  const response = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) { const e = new Error("request failed"); e.data = data; e.status = response.status; throw e; }
  return data;
}

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function showProblems(error) {
  const box = $("problems");
  if (!error) { box.hidden = true; box.innerHTML = ""; return; }
  const problems = (error.data && error.data.problems) || [{ text: String(error.message || error) }];
  box.innerHTML = "<strong>" + esc((error.data && error.data.detail) || "Error") + "</strong><ul>" +
    problems.map((p) => "<li><code>" + esc(p.text) + "</code></li>").join("") + "</ul>";
  box.hidden = false;
}

function request(variant, extra) {
  const edits = Object.values(state.variants[variant]);
  return Object.assign({}, state.source, { edits }, extra || {});
}

// ---- controls -------------------------------------------------------------
function buildInputs(s) {
  const inputs = [];
  const specs = new Map((s.distributions || []).map((d) => [JSON.stringify(d.path), d.spec]));
  const add = (o) => {
    o.key = JSON.stringify(o.path);
    if (specs.has(o.key)) o.dist = specs.get(o.key);
    inputs.push(o);
  };
  const actors = s.actors.map((a, i) => [a, i]).sort((p, q) => (q[0].veto - p[0].veto));
  for (const [a, i] of actors) {
    const group = a.label + (a.veto ? " · veto" : "");
    if (a.veto && a.batna !== null) add({ path: ["actors", i, "batna"], label: "batna", group, min: 0, max: 1, step: 0.01, value: a.batna, testid: "batna-" + a.id });
    add({ path: ["actors", i, "power"], label: "power", group, min: 0, max: Math.max(100, 2 * a.power), step: 1, value: a.power, testid: "power-" + a.id });
    a.stances.forEach((st, k) => {
      const issue = s.issues.find((x) => x.id === st.issue);
      let at = st.position;
      if (typeof at === "string") at = issue.options.find((o) => o.id === at).at;
      add({ path: ["actors", i, "stances", k, "position"], label: issue.label + ": position", group, min: 0, max: 100, step: 1, value: at,
            testid: "position-" + a.id + "-" + st.issue, disabled: st.values !== null, note: st.values !== null ? "explicit values" : "" });
      add({ path: ["actors", i, "stances", k, "salience"], label: issue.label + ": salience", group, min: 0, max: Math.max(2, 2 * st.salience), step: 0.05, value: st.salience,
            testid: "salience-" + a.id + "-" + st.issue });
      if (st.never && st.never.length) {
        // a red line: 1 holds (the options are ruled out), 0 lifted; analyze applies it above 0.5
        add({ path: ["actors", i, "stances", k, "never_p"], label: issue.label + ": red line (never " + st.never.join("/") + "), P(holds)", group,
              min: 0, max: 1, step: 0.05, value: st.never_p, testid: "redline-" + a.id + "-" + st.issue, note: "0 lifts it, 1 makes it firm", redline: true });
      }
    });
  }
  s.publics.forEach((p, i) => {
    const group = p.label + " · public";
    add({ path: ["publics", i, "threshold"], label: "ratifies below rejection", group, min: 0.01, max: 1, step: 0.01, value: p.threshold, testid: "threshold-" + p.id });
    p.rules.forEach((r, k) => {
      const when = Object.entries(r.when).map(([issue, opts]) => issue + " ∈ " + opts.join("/")).join(", ") || "baseline";
      add({ path: ["publics", i, "rules", k, "reject"], label: "reject if " + when, group, min: 0, max: 1, step: 0.01, value: r.reject, testid: "reject-" + p.id + "-" + k });
    });
  });
  (s.events || []).forEach((e, i) => {
    // only events with plain probabilities; conditional ones (`given`) follow their parent event
    if (!e.branches.every((b) => typeof b.probability === "number")) return;
    const group = e.label + " · event" + (e.date ? ", " + e.date : "");
    e.branches.forEach((b, k) => {
      add({ path: ["events", i, "branches", k, "probability"], label: "P(" + b.label + ")", group, min: 0, max: 1, step: 0.01,
            value: b.probability, testid: "prob-" + e.id + "-" + b.id, event: i, branch: k });
    });
  });
  return inputs;
}

function round6(x) { return Math.round(x * 1e6) / 1e6; }

// Probabilities of one event's branches after branch `input` is set to p: the others share
// 1 - p in proportion to their current values (equally if they are all 0), so they sum to 1.
function rebalance(input, p) {
  const siblings = state.inputs.filter((i) => i.event === input.event && i.key !== input.key);
  const current = siblings.map((i) => currentValue(i, state.active));
  const rest = 1 - p, total = current.reduce((a, b) => a + b, 0);
  const out = [];
  let used = 0;
  siblings.forEach((i, k) => {
    let v = k === siblings.length - 1 ? round6(rest - used) : round6(total > 0 ? current[k] * rest / total : rest / siblings.length);
    v = Math.max(0, v);
    used += v;
    out.push([i, v]);
  });
  return out;
}

function setEdit(input, v) {
  // a number replacing a distribution is always an edit (the explicit "point value" choice)
  const same = typeof v === "object" ? JSON.stringify(v) === JSON.stringify(input.dist)
    : !input.dist && Math.abs(v - input.value) < 1e-12;
  if (same) delete state.variants[state.active][input.key];
  else state.variants[state.active][input.key] = { path: input.path, value: v };
}

// ---- distributions: edited through their own parameters -----------------------
const DIST_PARAMS = { uniform: ["low", "high"], triangular: ["low", "mode", "high"], normal: ["mean", "sd"],
  beta: ["a", "b"], beta4: ["a", "b", "low", "high"] };

function distKind(spec) { return Object.keys(spec).find((k) => k !== "value" && k !== "weights"); }

function distText(spec) {
  const kind = distKind(spec);
  if (kind === "choice") return "choice(" + spec.choice.map((v, k) => v + ": " + (spec.weights ? spec.weights[k] : 1)).join(", ") + ")";
  return kind + "(" + spec[kind].join(", ") + ")" + (spec.value !== undefined ? ", value " + spec.value : "");
}

// The control of an input written as a distribution: one field per parameter (low, mode,
// high; mean, sd; a, b; or each choice's weight), and a point value only when asked for.
function distControl(input, row) {
  const edit = state.variants[state.active][input.key];
  const point = edit && typeof edit.value !== "object";
  const spec = edit && typeof edit.value === "object" ? edit.value : input.dist;
  const kind = distKind(spec);
  const names = kind === "choice" ? spec.choice.map((v) => "P(" + v + ")") : (kind === "beta" && spec.beta.length === 4 ? DIST_PARAMS.beta4 : DIST_PARAMS[kind]);
  const values = kind === "choice" ? (spec.weights || spec.choice.map(() => 1)) : spec[kind];
  row.classList.add("dist");
  row.innerHTML = '<label title="a distribution: sweeps draw from it; analyze uses its point value">' + esc(input.label) +
    " <em>(" + esc(kind) + " distribution; point value " + esc(input.value) + ")</em></label>" +
    '<div class="params" data-testid="dist-' + esc(input.testid) + '">' + names.map((n, k) =>
      '<label>' + esc(n) + ' <input type="number" step="any" value="' + values[k] + '" data-testid="dist-' + esc(input.testid) + "-" + k + '"' + (point ? " disabled" : "") + "></label>").join("") + "</div>" +
    '<label class="point"><input type="checkbox" data-testid="point-' + esc(input.testid) + '"' + (point ? " checked" : "") + "> use a point value instead</label>" +
    (point ? '<input type="range" min="' + input.min + '" max="' + input.max + '" step="' + input.step + '" value="' + edit.value + '" data-testid="' + esc(input.testid) + '">' +
      '<input type="number" min="' + input.min + '" max="' + input.max + '" step="' + input.step + '" value="' + edit.value + '" data-testid="' + esc(input.testid) + '-field">' : "");
  row.querySelectorAll(".params input").forEach((field) => field.addEventListener("change", () => {
    const numbers = [...row.querySelectorAll(".params input")].map((f) => parseFloat(f.value));
    if (numbers.some(Number.isNaN)) return;
    const next = Object.assign({}, spec);
    if (kind === "choice") next.weights = numbers; else next[kind] = numbers;
    setEdit(input, next);
    row.classList.toggle("edited", !!state.variants[state.active][input.key]);
    schedule();
  }));
  row.querySelector('input[type="checkbox"]').addEventListener("change", (e) => {
    if (e.target.checked) setEdit(input, input.value); else delete state.variants[state.active][input.key];
    renderControls();
    schedule();
  });
  if (point) {
    const [slider, field] = row.querySelectorAll('input[type="range"], input[type="number"][min]');
    const changed = (source, other) => {
      const v = parseFloat(source.value);
      if (Number.isNaN(v)) return;
      other.value = v;
      setEdit(input, v);
      schedule();
    };
    slider.addEventListener("input", () => changed(slider, field));
    field.addEventListener("change", () => changed(field, slider));
  }
}

function currentValue(input, variant) {
  const edit = state.variants[variant][input.key];
  return edit ? edit.value : input.value;
}

// What a slider shows: a red line toggled option by option (credible.js) shows its weakest option
function shownValue(input, variant) {
  const v = currentValue(input, variant);
  return typeof v === "object" && input.redline ? redLinePoint(input.key, variant) : v;
}

function renderControls() {
  const root = $("control-groups");
  root.innerHTML = "";
  let groupEl = null, groupName = null;
  for (const input of state.inputs) {
    if (input.group !== groupName) {
      groupName = input.group;
      groupEl = document.createElement("details");
      groupEl.className = "group" + (input.event !== undefined ? " event" : "");
      groupEl.open = /veto|public|event/.test(groupName);
      groupEl.innerHTML = "<summary>" + esc(groupName) + "</summary>";
      root.appendChild(groupEl);
    }
    const value = shownValue(input, state.active);
    const row = document.createElement("div");
    row.className = "control" + (state.variants[state.active][input.key] ? " edited" : "");
    if (input.dist) { distControl(input, row); groupEl.appendChild(row); continue; }
    row.innerHTML = '<label title="' + esc(input.note || "") + '">' + esc(input.label) + (input.note ? " <em>(" + esc(input.note) + ")</em>" : "") + "</label>" +
      '<input type="range" min="' + input.min + '" max="' + input.max + '" step="' + input.step + '" value="' + value + '" data-testid="' + esc(input.testid) + '"' + (input.disabled ? " disabled" : "") + ">" +
      '<input type="number" min="' + input.min + '" max="' + input.max + '" step="' + input.step + '" value="' + value + '" data-testid="' + esc(input.testid) + '-field"' + (input.disabled ? " disabled" : "") + ">";
    const [slider, field] = row.querySelectorAll("input");
    const changed = (source, other) => {
      const v = parseFloat(source.value);
      if (Number.isNaN(v)) return;
      other.value = v;
      setEdit(input, v);
      row.classList.toggle("edited", !!state.variants[state.active][input.key]);
      if (input.event !== undefined) {
        for (const [sibling, value] of rebalance(input, Math.min(1, Math.max(0, v)))) {
          setEdit(sibling, value);
          for (const el of document.querySelectorAll('[data-testid="' + sibling.testid + '"], [data-testid="' + sibling.testid + '-field"]')) el.value = value;
          const box = document.querySelector('[data-testid="' + sibling.testid + '"]');
          if (box) box.closest(".control").classList.toggle("edited", !!state.variants[state.active][sibling.key]);
        }
      }
      schedule();
    };
    slider.addEventListener("input", () => changed(slider, field));
    field.addEventListener("change", () => changed(field, slider));
    groupEl.appendChild(row);
  }
  const sweep = $("sweep-path");
  sweep.innerHTML = state.inputs.filter((i) => !i.disabled && i.event === undefined).map((i) => '<option value="' + esc(i.key) + '">' + esc(i.group + " — " + i.label) + "</option>").join("");
}

// ---- rendering --------------------------------------------------------------
function fmt(n) { return Number(n).toLocaleString("en-US"); }

function verdictHTML(res) {
  const r = res.result;
  return '<span class="tag">' + (res.settled ? "Settlement possible" : "No settlement") + "</span><p>" + esc(r.verdict) + "</p>";
}

function countsHTML(res) {
  const r = res.result;
  const cell = (k, v) => '<div class="count"><b>' + fmt(v) + "</b><span>" + k + "</span></div>";
  return cell("packages", r.space.packages) + cell("in the ZOPA", r.zopa.count) + cell("ratified", r.ratified.count) + cell("Pareto frontier", r.frontier.length);
}

function editsHTML(variant) {
  const edits = Object.values(state.variants[variant]);
  if (!edits.length) return '<span class="muted">No edits: the scenario as written.</span>';
  return "Edited: " + edits.map((e) => {
    const input = state.inputs.find((i) => i.key === JSON.stringify(e.path));
    const label = input ? input.group.replace(/ · .*/, "") + " " + input.label : e.path.join(".");
    const before = input ? (input.dist ? distText(input.dist) : input.value) : "";
    const after = input && input.redline && typeof e.value === "object" ? redLineText(input.key, variant) : typeof e.value === "object" ? distText(e.value) : e.value;
    return '<span class="chip">' + esc(label) + " " + esc(before) + " → <b>" + esc(after) + "</b></span>";
  }).join(" ");
}

function table(columns, rows) {
  return "<table><thead><tr>" + columns.map((c) => "<th>" + esc(c) + "</th>").join("") + "</tr></thead><tbody>" +
    rows.map((r) => "<tr>" + r.map((c) => "<td>" + esc(c) + "</td>").join("") + "</tr>").join("") + "</tbody></table>";
}

// Every chart carries its title (what drew it, with its options) inside the picture, so a
// screenshot or a downloaded PNG still says where it came from.
function plot(el, spec, height, title) {
  const layout = Object.assign({}, spec.layout);
  if (height) layout.height = height;
  if (title) {
    layout.title = { text: title, x: 0, xanchor: "left", font: { size: 13 } };
    layout.margin = Object.assign({}, layout.margin || {}, { t: title.includes("<br>") ? 64 : 40 });
  }
  Plotly.react(el, spec.data, layout, { displaylogo: false, responsive: true });
}

function renderSingle(res) {
  const r = res.result;
  const v = $("verdict");
  v.className = "verdict " + (res.settled ? "settled" : "blocked");
  v.innerHTML = verdictHTML(res);
  $("counts").innerHTML = countsHTML(res);
  $("edit-list").innerHTML = editsHTML(state.active);
  $("figure-title").textContent = res.figure.title;
  $("figure-caption").textContent = res.figure.caption;
  plot($("plot"), res.figure.spec, null, res.figure.title);
  const el = $("plot");
  if (!el.dataset.hooked) {
    el.dataset.hooked = "1";
    el.on("plotly_hover", (ev) => {
      const pt = ev.points[0];
      const res = state.results[state.active];
      if (!res) return;
      let pkg = null, head = "";
      if (Array.isArray(pt.customdata)) { pkg = unravel(res.scenario, pt.customdata[0]); head = fmt(pt.customdata[1]) + " package(s) here" + (pt.customdata[1] > 1 ? ", for example:" : ":"); }
      else if (pt.customdata || pt.text) { $("hover-package").textContent = String(pt.customdata || pt.text); return; }
      if (!pkg) return;
      $("hover-package").innerHTML = "<b>" + esc(pt.data.name) + "</b> · " + esc(head) + "<ul>" + pkg.map(([issue, option]) => "<li>" + esc(issue.label) + ": " + esc(option.label) + "</li>").join("") + "</ul>";
    });
  }
  const labels = Object.fromEntries(res.scenario.actors.map((a) => [a.id, a.label]));
  $("blockers").innerHTML = table(["who", "kind", "blocks", "alone"], r.blockers.slice().sort((a, b) => b.packages - a.packages).map((b) => [b.label, b.kind, fmt(b.packages), fmt(b.sole)]));
  $("reasons").innerHTML = r.reasons.map((x) => "<li>" + esc(x) + "</li>").join("");
  const sols = Object.entries(r.solutions).filter(([, p]) => p);
  const veto = Object.keys(r.solutions.nash ? r.solutions.nash.utility : {}).filter((a) => res.scenario.actors.find((x) => x.id === a && x.veto));
  // each solution's likely ratification path (the votes in order, body:route), when the analysis gives it
  const routes = r.ratification && Object.values(r.ratification).some((x) => x) ? r.ratification : null;
  $("solutions").innerHTML = sols.length ? table(["solution", "package", ...veto.map((a) => labels[a]), ...(routes ? ["likely ratification path"] : [])],
    sols.map(([n, p]) => [n.replace("_", "–"), Object.entries(p.package).map(([i, o]) => i + ": " + o).join("; "), ...veto.map((a) => p.utility[a].toFixed(3)),
      ...(routes ? [routes[n] ? (routes[n].path.join(" → ") || "no vote") : "–"] : [])])) : "";
  for (const [sel, k] of [["axis-x", 0], ["axis-y", 1]]) {
    $(sel).innerHTML = res.scenario.actors.map((a) => '<option value="' + esc(a.id) + '"' + (a.id === res.axes[k] ? " selected" : "") + ">" + esc(a.label) + "</option>").join("");
  }
}

function unravel(scenario, index) {
  // package index -> option of every issue (first issue most significant)
  const out = [];
  for (let i = scenario.issues.length - 1; i >= 0; i--) {
    const issue = scenario.issues[i];
    const n = issue.options.length;
    out.unshift([issue, issue.options[index % n]]);
    index = Math.floor(index / n);
  }
  return out;
}

function renderColumn(variant, res) {
  const col = $("col-" + variant);
  col.innerHTML = '<h2 class="col-title">Variant ' + variant + "</h2>" +
    '<div class="verdict ' + (res.settled ? "settled" : "blocked") + '" data-testid="verdict-' + variant + '">' + verdictHTML(res) + "</div>" +
    '<div class="counts">' + countsHTML(res) + "</div>" + '<div class="edits">' + editsHTML(variant) + "</div>" +
    '<div class="card"><div class="plot" id="plot-' + variant + '"></div></div>';
  plot($("plot-" + variant), res.figure.spec, 480, "Variant " + variant + ": " + res.figure.title);
}

let timer = null;
function schedule() { clearTimeout(timer); timer = setTimeout(recompute, 120); }

async function analyzeVariant(variant) {
  const body = request(variant, { x: state.axes[0], y: state.axes[1] });
  const t0 = performance.now();
  const res = await api("POST", "analyze", body);
  res.roundtrip = performance.now() - t0;
  return res;
}

async function recompute() {
  const seq = ++state.seq;
  try {
    const variants = state.compare ? ["A", "B"] : [state.active];
    const results = await Promise.all(variants.map(analyzeVariant));
    if (seq !== state.seq) return;
    showProblems(null);
    variants.forEach((v, k) => { state.results[v] = results[k]; });
    if (state.compare) { renderColumn("A", state.results.A); renderColumn("B", state.results.B); }
    else { renderSingle(results[0]); afterAnalysis(results[0]); }
    $("timing").textContent = "analysis: " + results.map((r) => r.elapsed_ms + " ms on the server, " + Math.round(r.roundtrip) + " ms round trip").join(" | ");
    document.body.dataset.ready = String(seq);
    if (!state.compare) forecasts(seq);
  } catch (error) { if (seq === state.seq) showProblems(error); }
}

async function forecasts(seq) {
  try {
    const res = await api("POST", "forecast", request(state.active));
    if (seq !== state.seq) return;
    if (!res.available || !res.table) { $("forecast-text").textContent = "No forecast engine is installed."; return; }
    $("forecast-text").textContent = res.text;
    $("forecast-table").innerHTML = table(res.table.columns, res.table.rows);
    const holder = $("forecast-plot");
    holder.innerHTML = res.figures.map((f, k) => '<div class="plot small" data-testid="forecast-plot-' + esc(f.model) + '" id="forecast-plot-' + k + '"></div>').join("");
    res.figures.forEach((f, k) => plot($("forecast-plot-" + k), f.spec, 360,
      esc(f.name) + ": round by round" + (f.options ? "<br><sup>" + esc(f.options) + "</sup>" : "")));
  } catch (error) { $("forecast-text").textContent = "Forecasts unavailable for this variant."; }
}

// ---- loading, variants, saving ------------------------------------------------
async function openScenario(source) {
  state.source = source;
  state.variants = { A: {}, B: {} };
  state.axes = [null, null];
  try {
    const res = await api("POST", "analyze", Object.assign({}, source, { edits: [] }));
    state.base = res.scenario;
    state.inputs = buildInputs(res.scenario);
    setupCredible(res.scenario);
    renderControls();
    $("save-name").value = res.scenario.id + "-variant.yaml";
    await recompute();
  } catch (error) {
    // an invalid file: its FILE:LINE problems, never a "Loading…" that never ends
    const name = source.name || source.file || "this file";
    const v = $("verdict");
    v.className = "verdict blocked";
    v.innerHTML = '<span class="tag">Cannot open ' + esc(name) + "</span><p>It has problems (listed above); fix them and reload, or pick another file.</p>";
    $("counts").innerHTML = ""; $("edit-list").innerHTML = ""; $("control-groups").innerHTML = "";
    state.inputs = [];
    showProblems(error);
  }
}

// The file dropdown: file names (two files may share a title), each title beside its name.
function scenarioOptions(list) {
  return list.map((s) => '<option value="' + esc(s.name) + '">' + esc(s.name) + (s.title ? " — " + esc(s.title) : "") + "</option>").join("");
}

async function loadList() {
  const list = await api("GET", "scenarios");
  $("scenario-select").innerHTML = scenarioOptions(list);
  // ?scenario=NAME, else the file `offramp serve FILE` named, else the first (Ukraine's if served)
  const wanted = params.get("scenario");
  const first = list.find((s) => s.name === wanted) || list.find((s) => s.default) || list.find((s) => /ukraine/.test(s.name)) || list[0];
  if (first) { $("scenario-select").value = first.name; await openScenario({ name: first.name }); }
  else { $("verdict").textContent = "No scenario files here: open one with “Open file…”."; }
}

function setActive(variant) {
  state.active = variant;
  document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t.dataset.variant === variant));
  renderControls();
  schedule();
}

function download(name, text, type) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.appendChild(a); a.click(); a.remove();
}

async function save() {
  const name = $("save-name").value.trim();
  const stem = name.replace(/\.ya?ml$/, "").replace(/[^A-Za-z0-9_-]/g, "-").replace(/^[^A-Za-z_]+/, "");
  const status = $("save-status");
  try {
    const res = await api("POST", "variants", request(state.active, { save_as: name, id: stem || undefined }));
    status.textContent = "Saved as " + res.saved + " (scenario id " + res.id + ").";
    status.className = "status ok";
    download(res.saved, res.yaml, "text/yaml");
    const list = await api("GET", "scenarios");
    const current = $("scenario-select").value;
    $("scenario-select").innerHTML = scenarioOptions(list);
    $("scenario-select").value = current;
  } catch (error) {
    status.textContent = (error.data && error.data.problems) ? error.data.problems.map((p) => p.text).join("; ") : String(error);
    status.className = "status bad";
  }
}

async function downloadReport() {
  try {
    const html = await api("POST", "report", request(state.active));
    download((state.base ? state.base.id : "offramp") + "-report.html", html, "text/html");
  } catch (error) { showProblems(error); }
}

async function runSweep() {
  const input = state.inputs.find((i) => i.key === $("sweep-path").value);
  const from = parseFloat($("sweep-from").value), to = parseFloat($("sweep-to").value), steps = parseInt($("sweep-steps").value, 10);
  const values = Array.from({ length: steps }, (_, k) => +(from + (to - from) * k / (steps - 1)).toFixed(6));
  const status = $("sweep-status");
  try {
    let run = await api("POST", "sweep/one-way", request(state.active, { path: input.path, values }));
    state.sweepRun = run.id;
    while (run.status === "queued" || run.status === "running") {
      status.textContent = run.status + " " + Math.round(100 * run.progress) + "%";
      await new Promise((r) => setTimeout(r, 250));
      run = await api("GET", "runs/" + run.id);
    }
    status.textContent = run.status + (run.error ? ": " + run.error : "");
    if (run.status !== "done") return;
    const rows = run.result.rows.filter((r) => r.error === undefined);
    plot($("sweep-plot"), {
      data: [{ type: "scatter", mode: "lines+markers", name: "ratified packages", x: rows.map((r) => r.value), y: rows.map((r) => r.ratified),
               text: rows.map((r) => r.verdict), hovertemplate: "%{x}: %{y} ratified<br>%{text}<extra></extra>",
               marker: { color: rows.map((r) => (r.settled ? "#1e8449" : "#a93226")), size: 9 } }],
      layout: { xaxis: { title: { text: input.group.replace(/ · .*/, "") + " " + input.label } }, yaxis: { title: { text: "packages in the ratified ZOPA" } },
                height: 320, margin: { l: 60, r: 20, t: 10, b: 50 } },
    }, null, "One-way sweep of the settlement analysis<br><sup>" + esc(input.group.replace(/ · .*/, "") + " " + input.label) + " from " + from + " to " + to + ", " + steps + " steps</sup>");
  } catch (error) { status.textContent = (error.data && error.data.problems) ? error.data.problems.map((p) => p.text).join("; ") : String(error); }
}

function problemText(error) {
  return (error.data && error.data.problems) ? error.data.problems.map((p) => p.text).join("; ") : String(error.message || error);
}

async function runMonteCarlo() {
  const status = $("mc-status"), bar = $("mc-progress");
  const draws = parseInt($("mc-draws").value, 10), seed = parseInt($("mc-seed").value, 10);
  $("mc-result").hidden = true;
  try {
    let run = await api("POST", "sweep", request(state.active, { draws, seed }));
    state.mcRun = run.id;
    while (run.status === "queued" || run.status === "running") {
      status.textContent = run.status + " · " + fmt(run.done) + " of " + fmt(run.total) + " draws";
      bar.style.width = Math.round(100 * run.progress) + "%";
      await new Promise((r) => setTimeout(r, 200));
      run = await api("GET", "runs/" + run.id);
    }
    bar.style.width = run.status === "done" ? "100%" : bar.style.width;
    status.textContent = run.status === "done" ? "done · " + fmt(run.total) + " draws" : run.status + (run.error ? ": " + run.error : "");
    if (run.status !== "done") return;
    const s = run.result.summary;
    $("mc-headline").innerHTML = '<b data-testid="mc-p">' + (100 * s.p_agreement).toFixed(1) + "%</b> chance of a ratified agreement" +
      ' <span class="muted">(95% interval ' + (100 * s.p_agreement_ci[0]).toFixed(1) + "–" + (100 * s.p_agreement_ci[1]).toFixed(1) + "%, " + fmt(s.draws) + " draws, seed " + s.seed + ")</span>";
    $("mc-text").textContent = run.result.text.length > 1 ? run.result.text[1] : "";
    $("mc-result").hidden = false;
    if (run.result.figures.length) plot($("mc-plot"), run.result.figures[0].spec, null,
      esc(run.result.figures[0].title) + "<br><sup>Monte Carlo sweep of the settlement analysis: " + fmt(s.draws) + " draws, seed " + s.seed + "</sup>");
    else $("mc-plot").innerHTML = "";
    const tables = run.result.tables;
    $("mc-table").innerHTML = tables.length ? table(tables[0].columns, tables[0].rows) : "";
  } catch (error) { status.textContent = problemText(error); }
}

$("scenario-select").addEventListener("change", (e) => openScenario({ name: e.target.value }));
$("upload").addEventListener("change", (e) => {
  const file = e.target.files[0];
  if (!file) return;
  file.text().then((text) => openScenario({ yaml: text, file: file.name }));
});
document.querySelectorAll(".tab").forEach((t) => t.addEventListener("click", () => setActive(t.dataset.variant)));
$("compare").addEventListener("click", () => {
  state.compare = !state.compare;
  $("compare").classList.toggle("active", state.compare);
  $("single").hidden = state.compare;
  $("comparison").hidden = !state.compare;
  schedule();
});
$("reset").addEventListener("click", () => { state.variants[state.active] = {}; renderControls(); schedule(); });
$("axis-x").addEventListener("change", (e) => { state.axes[0] = e.target.value; schedule(); });
$("axis-y").addEventListener("change", (e) => { state.axes[1] = e.target.value; schedule(); });
$("save").addEventListener("click", save);
$("download-report").addEventListener("click", downloadReport);
$("sweep-run").addEventListener("click", runSweep);
$("sweep-cancel").addEventListener("click", () => { if (state.sweepRun) api("POST", "runs/" + state.sweepRun + "/cancel"); });
$("mc-run").addEventListener("click", runMonteCarlo);
$("mc-cancel").addEventListener("click", () => { if (state.mcRun) api("POST", "runs/" + state.mcRun + "/cancel"); });
loadList().catch((error) => {
  $("verdict").className = "verdict blocked";
  $("verdict").innerHTML = '<span class="tag">Cannot list the scenarios</span><p>' +
    esc(error.status === 401 ? "This server needs its token: open the page as …/?token=T." : problemText(error)) + "</p>";
  showProblems(error);
});

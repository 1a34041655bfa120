// offramp workbench: red-line toggles and the evaluate panel (loaded after app.js, whose
// state, api, esc, table, fmt, request, schedule and renderControls it uses).
"use strict";

const credible = {
  lines: [],            // the scenario's red lines (POST /analyze: scenario.red_lines)
  packages: [],         // its named packages
  issues: [],
  change: null,         // {before, what}: a toggle waiting for its analysis
  evaluated: null,      // the last evaluate request's choice, re-run when the variant changes
  seq: 0,
};

// ---- red lines -----------------------------------------------------------------
// One red line is a stance's `never` list; each option is toggled on its own by writing the
// line's never_p option by option: 1 (holds) or 0 (lifted) for a toggled option, the file's
// own value (a number or a distribution) for the others, so toggling back restores the file.

function lineByKey(key) { return credible.lines.find((l) => JSON.stringify(l.path) === key); }

function lineSpecs(line, variant) {
  const edit = state.variants[variant][JSON.stringify(line.path)];
  return line.options.map((o) => {
    if (!edit) return o.spec;
    if (typeof edit.value === "number") return edit.value;
    return o.id in edit.value ? edit.value[o.id] : 1;
  });
}

// point probability that each option's line holds (a distribution: its point value as written)
function linePoints(line, variant) {
  return lineSpecs(line, variant).map((spec, k) => (typeof spec === "number" ? spec : line.options[k].p));
}

function redLinePoint(key, variant) {
  const line = lineByKey(key);
  return line ? Math.min(...linePoints(line, variant)) : 0;
}

// an edited red line in words: the options whose probability differs from the file's
function redLineText(key, variant) {
  const line = lineByKey(key);
  if (!line) return "";
  const points = linePoints(line, variant);
  return line.options.map((o, k) => [o, points[k]]).filter(([o, p]) => p !== o.p)
    .map(([o, p]) => o.id + (p > 0.5 ? " holds" : " lifted") + " (P " + p.toFixed(2) + ")").join(", ");
}

function toggleRedLine(line, k, on) {
  const key = JSON.stringify(line.path);
  const specs = lineSpecs(line, state.active);
  const option = line.options[k];
  specs[k] = on === option.holds ? option.spec : (on ? 1 : 0);
  const asWritten = specs.every((s, j) => JSON.stringify(s) === JSON.stringify(line.options[j].spec));
  if (asWritten) delete state.variants[state.active][key];
  else state.variants[state.active][key] = { path: line.path, value: Object.fromEntries(line.options.map((o, j) => [o.id, specs[j]])) };
  credible.change = {
    before: state.results[state.active],
    what: line.actor_label + "'s red line on " + line.issue_label + ": “" + option.label + "” " + (on ? "holds" : "lifted"),
  };
  renderControls();
  schedule();
}

function renderRedLines() {
  const card = $("redlines-card");
  card.hidden = !credible.lines.length;
  const root = $("redlines");
  root.innerHTML = "";
  for (const line of credible.lines) {
    const points = linePoints(line, state.active);
    const row = document.createElement("div");
    row.className = "redline";
    row.innerHTML = '<span class="who">' + esc(line.actor_label + (line.veto ? " (veto)" : "") + " · " + line.issue_label) + "</span> never: " +
      line.options.map((o, k) => {
        const on = points[k] > 0.5;
        const note = o.holds === on ? "P(holds) " + o.p.toFixed(2) + " as written" : "was P(holds) " + o.p.toFixed(2);
        return '<label class="' + (on ? "holds" : "lifted") + '"><input type="checkbox" data-testid="redline-toggle-' + esc(line.actor + "-" + line.issue + "-" + o.id) + '"' +
          (on ? " checked" : "") + "> " + esc(o.label) + " <em>(" + esc(note) + ")</em></label>";
      }).join("");
    row.querySelectorAll("input").forEach((box, k) => box.addEventListener("change", () => toggleRedLine(line, k, box.checked)));
    root.appendChild(row);
  }
}

function nashText(r) {
  const nash = r.solutions && r.solutions.nash;
  return nash ? Object.entries(nash.package).map(([i, o]) => i + ": " + o).join("; ") : "none";
}

function crossing(res) {
  return Object.entries(res.statuses || {}).filter(([s]) => s.startsWith("red_line")).reduce((n, [, c]) => n + c, 0);
}

function renderDiff(change, after) {
  const box = $("redline-diff");
  const before = change.before;
  if (!before) { box.hidden = true; return; }
  const b = before.result, a = after.result;
  const rows = [
    ["verdict", before.settled ? "settlement possible" : "no settlement", after.settled ? "settlement possible" : "no settlement"],
    ["packages crossing a veto actor's red line", fmt(crossing(before)), fmt(crossing(after))],
    ["packages in the ZOPA", fmt(b.zopa.count), fmt(a.zopa.count)],
    ["ratified", fmt(b.ratified.count), fmt(a.ratified.count)],
    ["Pareto frontier", fmt(b.frontier.length), fmt(a.frontier.length)],
    ["Nash solution", nashText(b), nashText(a)],
  ];
  const blocks = (r) => Object.fromEntries(r.blockers.map((x) => [x.label, x.packages]));
  const bb = blocks(b), ab = blocks(a);
  for (const who of new Set([...Object.keys(bb), ...Object.keys(ab)])) rows.push(["blocked by " + who, fmt(bb[who] || 0), fmt(ab[who] || 0)]);
  box.innerHTML = "<p><b>" + esc(change.what) + "</b>: what the analysis of this variant found before and after.</p>" +
    "<table><thead><tr><th></th><th>before</th><th>after</th></tr></thead><tbody>" +
    rows.map(([k, x, y]) => '<tr class="' + (x === y ? "" : "changed") + '" data-testid="diff-' + esc(k.replace(/[^a-z]+/gi, "-").toLowerCase()) + '"><td>' + esc(k) + "</td><td>" + esc(x) + "</td><td>" + esc(y) + "</td></tr>").join("") +
    "</tbody></table>";
  box.hidden = false;
}

// ---- evaluate --------------------------------------------------------------------
function setupCredible(scenario) {
  credible.lines = scenario.red_lines || [];
  credible.packages = scenario.packages || [];
  credible.issues = scenario.issues;
  credible.change = null;
  credible.evaluated = null;
  $("redline-diff").hidden = true;
  $("eval-result").hidden = true;
  $("eval-status").textContent = "";
  $("eval-named").innerHTML = '<option value="">— options chosen below —</option>' +
    credible.packages.map((p) => '<option value="' + esc(p.id) + '">' + esc(p.label || p.id) + "</option>").join("");
  $("eval-issues").innerHTML = scenario.issues.map((i) => '<label>' + esc(i.label) + ' <select data-issue="' + esc(i.id) + '" data-testid="eval-issue-' + esc(i.id) + '">' +
    i.options.map((o) => '<option value="' + esc(o.id) + '">' + esc(o.label) + "</option>").join("") + "</select></label>").join("");
}

function chosen() {
  const named = $("eval-named").value;
  const picked = Object.fromEntries([...document.querySelectorAll("#eval-issues select")].map((s) => [s.dataset.issue, s.value]));
  if (!named) return { package: picked };
  const plan = credible.packages.find((p) => p.id === named).options;
  // as `offramp evaluate --named ID --package ISSUE=OPTION`: the named package, with overrides
  return { named, package: Object.fromEntries(Object.entries(picked).filter(([i, o]) => plan[i] !== o)) };
}

function pickNamed() {
  const named = $("eval-named").value;
  if (!named) return;
  const plan = credible.packages.find((p) => p.id === named).options;
  for (const select of document.querySelectorAll("#eval-issues select")) if (plan[select.dataset.issue]) select.value = plan[select.dataset.issue];
}

const num = (x, d = 3) => (x === null || x === undefined ? "–" : Number(x).toFixed(d));
const pct = (x) => (100 * x).toFixed(1) + "%";

function optionLabel(issue, option) {
  const i = credible.issues.find((x) => x.id === issue);
  const o = i && i.options.find((x) => x.id === option);
  return o ? o.label : option;
}

function pathText(step) {
  if (step.step === "vote") return "vote: " + step.body + " (" + step.route + ") " + step.verdict;
  if (step.step === "renegotiate") return "renegotiate" + (step.changes ? " (" + Object.entries(step.changes).map(([i, c]) => i + ": " + c.from + " → " + c.to).join(", ") + ")" : ": " + step.outcome);
  return step.step + (step.outcome && step.step !== "ratified" ? ": " + step.outcome : "");
}

function renderEvaluation(e) {
  const yes = (flag, text, key) => '<span class="' + (flag ? "yes" : "no") + '" data-testid="eval-' + key + '">' + esc(text) + ": " + (flag ? "yes" : "no") + "</span>";
  let html = "<p><b>" + esc(e.label || "The package") + "</b>: " + esc(Object.entries(e.package).map(([i, o]) => optionLabel(i, o)).join("; ")) + "</p>" +
    '<div class="eval-verdict">' + yes(e.in_zopa, "In the ZOPA", "in_zopa") + yes(e.ratified, "Ratified", "ratified") + yes(e.accepted_and_ratified, "Accepted and ratified", "accepted_and_ratified") + "</div>";
  const actors = Object.values(e.actors);
  html += "<h3>Each actor</h3>" + '<div data-testid="eval-actors">' + table(["actor", "veto", "utility", "batna", "surplus", "accepts", "red lines crossed"],
    actors.map((a) => [a.label, a.veto ? "yes" : "", num(a.utility), num(a.batna), a.surplus === null ? "–" : (a.surplus >= 0 ? "+" : "") + num(a.surplus), a.accepts ? "yes" : "no",
      a.red_lines.map((r) => r.issue + "=" + r.option + (r.holds ? "" : " (p " + num(r.p, 2) + ", not applied)")).join("; ") || "–"])) + "</div>";
  html += "<h3>Votes, by route</h3>" + (e.votes.length ? '<div data-testid="eval-votes">' + table(["body", "kind", "route", "order", "reject", "threshold", "verdict", "why", "if it fails"],
    e.votes.map((v) => [v.label, v.kind, v.route_label || v.route || "–", v.order, pct(v.reject), pct(v.threshold), v.verdict, v.why, v.on_fail + (v.then ? " → " + v.then : "")])) + "</div>"
    : '<p class="muted">No body votes on this package.</p>');
  html += '<h3>Likely path</h3><p data-testid="eval-path">' + esc(e.path.map(pathText).join(" → ")) + "</p>";
  if (e.durability) {
    const d = e.durability;
    html += '<h3>Would it hold?</h3><p data-testid="eval-durability">' + (d.self_enforcing ? "Self-enforcing." : "Not self-enforcing.") +
      (d.first_breach ? " " + esc(d.first_breach.actor) + " breaks it first, after " + num(d.first_breach.year, 1) + " years." : "") +
      (d.p_holds ? " P(holds): " + Object.entries(d.p_holds).map(([y, p]) => y + "y " + pct(p)).join(", ") + "." : "") + "</p>";
  }
  html += "<h3>Who blocks it</h3>" + (e.blockers.length ? '<ul data-testid="eval-blockers">' + e.blockers.map((b) => "<li>" + esc(b.label + " (" + b.kind + (b.route ? ", " + b.route : "") + "): " + b.reason) + "</li>").join("") + "</ul>"
    : '<p class="muted">Nobody.</p>');
  html += "<h3>Closest changes that work</h3>";
  if (e.closest_size === 0) html += '<p class="muted" data-testid="eval-closest">None needed: it already works.</p>';
  else if (!e.closest.length) html += '<p class="muted" data-testid="eval-closest">No package within two changes is acceptable and ratified.</p>';
  else html += '<div data-testid="eval-closest">' + table(["changes", "cost (utility change)"], e.closest.map((c) => [
    Object.entries(c.changes).map(([i, ch]) => i + ": " + ch.from + " → " + ch.to).join(", "),
    Object.entries(c.cost).filter(([, d]) => d).map(([a, d]) => a + " " + (d >= 0 ? "+" : "") + num(d)).join(", ") || "costs no one"])) + "</div>";
  if (e.draws) {
    const d = e.draws;
    html += '<h3>Over the uncertain inputs</h3><p data-testid="eval-draws-result">P(accepted and ratified) <b>' + pct(d.p_accepted_and_ratified) + "</b> (95% interval " + pct(d.interval[0]) + "–" + pct(d.interval[1]) +
      "; " + fmt(d.n) + " draws, seed " + d.seed + "); P(accepted) " + pct(d.p_accepted) + ", P(ratified) " + pct(d.p_ratified) + ".</p>";
  }
  $("eval-result").innerHTML = html;
  $("eval-result").hidden = false;
}

async function runEvaluate(choice) {
  const seq = ++credible.seq;
  const status = $("eval-status");
  status.textContent = "evaluating…"; status.className = "status";
  try {
    const res = await api("POST", "evaluate", request(state.active, choice));
    if (seq !== credible.seq) return;
    credible.evaluated = choice;
    renderEvaluation(res.result);
    status.textContent = "evaluated in " + res.elapsed_ms + " ms on the server";
  } catch (error) {
    if (seq !== credible.seq) return;
    status.textContent = problemText(error); status.className = "status bad";
  }
}

// after every analysis of the active variant: the toggles, the difference a toggle made,
// and the last evaluation again (the variant's edits may have changed its answer)
function afterAnalysis(res) {
  renderRedLines();
  if (credible.change) { renderDiff(credible.change, res); credible.change = null; }
  if (credible.evaluated) runEvaluate(credible.evaluated);
}

$("eval-named").addEventListener("change", pickNamed);
$("eval-run").addEventListener("click", () => runEvaluate(Object.assign(chosen(), { draws: parseInt($("eval-draws").value, 10) || 0 })));

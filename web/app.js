// matdiff's page: a form, one POST to the JSON API, the answer rendered.
// The mathematics arrives as MathML made by the server; everything else is
// text put in with textContent. No libraries, no build step.
"use strict";

// What each command asks for, what its button says and how it is shown.
// A command that the API gains (jacobian, hessian) is one more entry here
// and an enabled <option>.
const COMMANDS = {
  grad: { fields: ["expr", "let", "wrt", "method", "format"], verb: "Derive", show: showGrad },
  simplify: { fields: ["expr", "let", "format"], verb: "Simplify", show: showSimplify },
  equiv: { fields: ["a", "b", "let", "explain"], verb: "Compare", show: showEquiv },
  shape: { fields: ["expr", "let"], verb: "Infer shapes", show: showShape },
};

// The query's parameters in the URL, with the values that are left out.
const DEFAULTS = { cmd: "grad", method: "differential", format: "text" };
const PARAMS = ["cmd", "expr", "a", "b", "let", "wrt", "method", "format", "explain"];

const $ = (id) => document.getElementById(id);
let inFlight = null;

function command() {
  return COMMANDS[$("cmd").value] ? $("cmd").value : "grad";
}

/// Shows the fields of the chosen command and hides the others.
function layout() {
  const c = COMMANDS[command()];
  for (const el of document.querySelectorAll("[data-field]")) {
    el.hidden = !c.fields.includes(el.dataset.field);
  }
  $("go").textContent = c.verb;
}

function readForm() {
  const q = { cmd: command() };
  for (const f of COMMANDS[q.cmd].fields) {
    const el = $(f);
    if (el.type === "checkbox") {
      if (el.checked) q[f] = "1";
    } else if (el.value.trim() !== "") {
      q[f] = el.value.trim();
    }
  }
  return q;
}

function writeForm(q) {
  $("cmd").value = COMMANDS[q.cmd] ? q.cmd : "grad";
  for (const f of PARAMS.slice(1)) {
    const el = $(f);
    if (el.type === "checkbox") el.checked = q[f] === "1" || q[f] === "true";
    else if (el.tagName === "SELECT") el.value = q[f] || DEFAULTS[f];
    else el.value = q[f] || "";
  }
  layout();
}

function queryFromUrl() {
  const p = new URLSearchParams(location.search);
  const q = {};
  for (const k of PARAMS) if (p.has(k)) q[k] = p.get(k);
  return q;
}

function urlOf(q) {
  const p = new URLSearchParams();
  for (const k of PARAMS) if (q[k] !== undefined && q[k] !== DEFAULTS[k]) p.set(k, q[k]);
  const s = p.toString();
  return s ? "?" + s : location.pathname;
}

/// The JSON body of the API request: the command line's arguments.
function body(q) {
  const b = {};
  if (q.cmd === "equiv") {
    b.a = q.a || "";
    b.b = q.b || "";
    b.explain = q.explain === "1";
  } else {
    b.expr = q.expr || "";
  }
  if (q.let) b.let = [q.let];
  if (q.cmd === "grad") {
    if (q.wrt) b.wrt = q.wrt.split(/[\s,]+/).filter((s) => s);
    b.method = q.method || DEFAULTS.method;
  }
  if (q.cmd === "grad" || q.cmd === "simplify") {
    const f = q.format || DEFAULTS.format;
    // JSON is the answer itself; components are written as text or JSON.
    b.format = f === "json" || (b.method && b.method !== "differential" && f !== "text") ? "json" : f;
  }
  return b;
}

function clear() {
  $("error").hidden = true;
  $("result").hidden = true;
  for (const id of ["verdict", "answers-box", "derivation-box", "check", "tables", "output-box"]) {
    $(id).hidden = true;
  }
  $("answers").replaceChildren();
  $("derivation").replaceChildren();
  $("tables").replaceChildren();
  for (const el of document.querySelectorAll(".echo")) {
    el.hidden = true;
    el.replaceChildren();
  }
  for (const el of document.querySelectorAll(".math-input")) {
    el.removeAttribute("aria-invalid");
    el.classList.remove("invalid");
  }
}

async function run(q, push) {
  const url = urlOf(q);
  if (push && url !== location.search && !(url === location.pathname && !location.search)) {
    history.pushState(q, "", url);
  }
  const needs = q.cmd === "equiv" ? ["a", "b"] : ["expr"];
  if (needs.some((f) => !q[f])) {
    clear();
    $("status").textContent = q.cmd === "equiv" ? "Type two expressions." : "Type an expression.";
    $(needs.find((f) => !q[f])).focus();
    return;
  }
  if (inFlight) inFlight.abort();
  const ctrl = new AbortController();
  inFlight = ctrl;
  $("status").textContent = "Working…";
  document.body.setAttribute("aria-busy", "true");
  let status = 0;
  let answer;
  try {
    const r = await fetch("/api/" + q.cmd, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body(q)),
      signal: ctrl.signal,
    });
    status = r.status;
    answer = await r.json();
  } catch (e) {
    if (e.name === "AbortError") return;
    answer = { error: { message: "The server did not answer (" + e.message + ").", span: null } };
  } finally {
    if (inFlight === ctrl) {
      inFlight = null;
      document.body.removeAttribute("aria-busy");
    }
  }
  clear();
  $("status").textContent = "";
  if (answer.error) {
    showError(answer.error, status);
  } else {
    COMMANDS[q.cmd].show(answer, q);
    $("result").hidden = false;
    document.body.dataset.done = q.cmd;
  }
}

// ---- errors -----------------------------------------------------------------

/// The index in a JavaScript string of a byte offset in its UTF-8 form.
function charIndex(text, byte) {
  const bytes = new TextEncoder().encode(text);
  return new TextDecoder().decode(bytes.slice(0, byte)).length;
}

function showError(err, status) {
  $("error-message").textContent = err.message || "Error";
  const help = [err.label, err.help].filter((s) => s).join(" — ");
  $("error-help").textContent = help;
  $("error-help").hidden = !help;
  $("error-diagnostic").textContent = err.diagnostic || err.message || "";
  $("error").dataset.status = String(status);
  $("error").hidden = false;
  const span = err.span;
  if (!span) return;
  const input = $(span.field);
  if (!input) return;
  // A declaration's span is in its own text; the page sends one.
  const text = input.value.trim();
  const start = charIndex(text, span.start);
  const end = Math.max(charIndex(text, span.end), start);
  const echo = $(span.field + "-error");
  const mark = document.createElement("mark");
  mark.className = "span";
  // An empty span (the end of the input) still shows where it is.
  mark.textContent = text.slice(start, end) || " ";
  const label = document.createElement("span");
  label.className = "label";
  label.textContent = err.label || "";
  echo.replaceChildren(text.slice(0, start), mark, text.slice(end), label);
  echo.hidden = false;
  input.classList.add("invalid");
  input.setAttribute("aria-invalid", "true");
  const lead = input.value.length - input.value.trimStart().length;
  input.focus();
  input.setSelectionRange(lead + start, lead + end);
}

// ---- answers ----------------------------------------------------------------

function shapeText(s) {
  return s[0] === 1 && s[1] === 1 ? "scalar" : s[0] + "×" + s[1];
}

function copyButton(label, text) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "copy";
  b.textContent = label;
  b.title = "Copy " + label;
  b.addEventListener("click", () => copy(text, b));
  return b;
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Without the clipboard API (an address that is not a secure context):
    // the selection of a hidden text area.
    const t = document.createElement("textarea");
    t.value = text;
    t.className = "offscreen";
    document.body.append(t);
    t.select();
    document.execCommand("copy");
    t.remove();
  }
  const was = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => (button.textContent = was), 1200);
}

/// MathML from the server, parsed as HTML into a container; the server
/// leaves out (null) MathML too long to send, and the text stands in.
function math(container, markup, fallback) {
  if (markup) container.innerHTML = markup;
  else container.textContent = fallback;
}

function answerItem(mathml, text, shape, copies, key) {
  const li = document.createElement("li");
  if (key) li.dataset.wrt = key;
  const m = document.createElement("span");
  m.className = "formula";
  math(m, mathml, text);
  li.append(m);
  if (shape) {
    const s = document.createElement("span");
    s.className = "shape";
    s.textContent = shape;
    li.append(s);
  }
  const c = document.createElement("span");
  c.className = "copies";
  for (const [label, text] of copies) if (text) c.append(copyButton(label, text));
  li.append(c);
  $("answers").append(li);
}

function showOutput(title, text) {
  if (!text) return;
  $("output-title").textContent = title;
  $("output").textContent = text;
  $("copy-output").onclick = () => copy(text, $("copy-output"));
  $("output-box").hidden = false;
}

const TOO_LONG = "Too long to typeset here: the output below has every step.";

const FORMAT_NAMES = { text: "Text", latex: "LaTeX", numpy: "NumPy", torch: "PyTorch", json: "JSON" };

function showGrad(a, q) {
  const format = q.format || DEFAULTS.format;
  if (a.mathml) {
    $("answers-title").textContent = a.gradients.length === 1 ? "Gradient" : "Gradients";
    a.gradients.forEach((g, i) =>
      answerItem(a.mathml.gradients[i], "∂/∂" + g.wrt + ": " + g.text, shapeText(g.shape), [
        ["LaTeX", g.latex],
        ["NumPy", g.numpy],
        ["PyTorch", g.torch],
      ], g.wrt),
    );
    $("answers-box").hidden = false;
    $("derivation-title").textContent = "Derivation by the matrix differential";
    math($("derivation"), a.mathml.derivation, TOO_LONG);
    $("derivation-box").hidden = false;
  }
  if (a.check) {
    $("check").textContent =
      "Numeric check " + (a.check.passed ? "passed" : "FAILED") + ": largest relative error " +
      Number(a.check.max_rel_error).toExponential(1) + " against finite differences over " +
      a.check.trials + " random points per gradient (seed " + a.check.seed + ").";
    $("check").hidden = false;
  }
  if (!a.mathml && a.components) {
    // By components alone: the reassembled results as text (an entry
    // without a matrix form is shown in index notation).
    $("answers-title").textContent = "Gradients by components";
    for (const g of a.components.gradients) {
      answerItem(null, "∂/∂" + g.wrt + ": " + (g.result || g.entries), null, [], g.wrt);
    }
    $("answers-box").hidden = false;
  }
  if (a.components && !a.output) showOutput("By components", a.components.text);
  if (a.agreement) {
    $("check").textContent = a.agreement;
    $("check").hidden = false;
  }
  if (format === "json") showOutput("JSON", JSON.stringify(a, null, 2));
  else showOutput(FORMAT_NAMES[format] || "Output", a.output);
}

function showSimplify(a, q) {
  const format = q.format || DEFAULTS.format;
  $("answers-title").textContent = "Simplest form";
  answerItem(a.mathml.result, a.result.text, null, [
    ["Text", a.result.text],
    ["LaTeX", a.result.latex],
    ["NumPy", a.result.numpy],
  ]);
  $("answers-box").hidden = false;
  $("derivation-title").textContent = a.steps.length ? "Steps" : "No rule applies";
  math($("derivation"), a.mathml.derivation, TOO_LONG);
  $("derivation-box").hidden = false;
  if (format === "json") showOutput("JSON", JSON.stringify(a, null, 2));
  else showOutput(FORMAT_NAMES[format] || "Output", a.output);
}

function showEquiv(a) {
  const v = $("verdict");
  v.className = "verdict " + a.verdict;
  v.textContent = {
    proved: "Equal: proved by rewriting.",
    refuted: "Not equal: the two sides differ at a point.",
    unknown: "Unknown: equal at every random point tried, but not proved.",
  }[a.verdict];
  v.hidden = false;
  if (a.mathml) {
    $("derivation-title").textContent = "Proof";
    math($("derivation"), a.mathml.derivation, TOO_LONG);
    $("derivation-box").hidden = false;
  }
  showOutput("Text", a.output);
}

function cell(row, text, tag) {
  const c = document.createElement(tag || "td");
  c.textContent = text;
  row.append(c);
  return c;
}

function table(caption, heads, rows) {
  const t = document.createElement("table");
  t.className = "shapes";
  const cap = document.createElement("caption");
  cap.textContent = caption;
  t.append(cap);
  const h = document.createElement("tr");
  for (const x of heads) cell(h, x, "th");
  t.append(h);
  for (const r of rows) {
    const tr = document.createElement("tr");
    r.forEach((x, i) => {
      const c = cell(tr, x);
      if (i === 0) c.className = "code";
    });
    t.append(tr);
  }
  $("tables").append(t);
}

function showShape(a) {
  $("answers-title").textContent = "Read as";
  answerItem(a.mathml.term, a.input, shapeText(a.shape), []);
  $("answers-box").hidden = false;
  table("Variables", ["name", "shape", "kind"], Object.entries(a.variables).map(([n, v]) =>
    [n, shapeText(v.shape), v.kind + (v.symmetric ? ", symmetric" : "")]));
  table("Subexpressions", ["subexpression", "shape"], a.subexpressions.map((s) =>
    ["\u00a0\u00a0".repeat(s.level) + s.text, shapeText(s.shape)]));
  $("tables").hidden = false;
  if (a.dims.length) {
    $("check").textContent = "Dimensions: " + a.dims.join(", ");
    $("check").hidden = false;
  }
}

// ---- wiring -----------------------------------------------------------------

function toggleHelp(open) {
  const help = $("help");
  help.hidden = open === undefined ? !help.hidden : !open;
  $("help-toggle").setAttribute("aria-expanded", String(!help.hidden));
}

document.addEventListener("DOMContentLoaded", () => {
  $("query").addEventListener("submit", (e) => {
    e.preventDefault();
    run(readForm(), true);
  });
  $("cmd").addEventListener("change", layout);
  $("help-toggle").addEventListener("click", () => toggleHelp());
  document.addEventListener("keydown", (e) => {
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
    if (e.key === "Escape") toggleHelp(false);
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") {
      e.preventDefault();
      $(command() === "equiv" ? "a" : "expr").focus();
    } else if (e.key === "?") {
      e.preventDefault();
      toggleHelp();
    }
  });
  window.addEventListener("popstate", () => {
    const q = queryFromUrl();
    writeForm(q);
    if (q.expr || q.a) run(readForm(), false);
    else clear();
  });
  const q = queryFromUrl();
  writeForm(q);
  if (q.expr || q.a || q.b) run(readForm(), false);
  else $("expr").focus();
});

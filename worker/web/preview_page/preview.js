// The template preview page: asks /preview/api for the templates and their renders and shows
// them. The API key is typed once, kept in this tab's sessionStorage and sent as a bearer header.
// Every text from the server goes into the page as text (textContent), never as HTML; the email
// HTML goes only into a sandboxed frame that runs no script.
"use strict";

const KEY_STORE = "remind.preview.key";
const state = { key: sessionStorage.getItem(KEY_STORE) || "", templates: [], current: null, asked: 0 };
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

async function api(path, body) {
  const response = await fetch("/preview/api" + path, {
    method: body === undefined ? "GET" : "POST",
    headers: { Authorization: "Bearer " + state.key, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) {
    sessionStorage.removeItem(KEY_STORE);
    $("key-status").textContent = "key refused: enter one of REMIND_API_KEYS";
    throw new Error("unauthorised");
  }
  if (!response.ok) {
    // the detail names the field (and the pasted account): "the pasted account: name: ..."
    const detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
    throw new Error(detail || response.statusText);
  }
  return data;
}

function showError(message) {
  $("error").hidden = !message;
  $("error").textContent = message || "";
}

async function loadTemplates() {
  if (!state.key) {
    $("key-status").textContent = "enter an API key to begin";
    return;
  }
  const data = await api("/templates");
  $("key-status").textContent = "key accepted";
  state.templates = data.templates;
  const list = $("templates");
  list.replaceChildren();
  for (const t of data.templates) {
    const button = el("button", { type: "button", "data-template": t.name },
      el("span", { text: t.name }), el("small", { text: t.channels.join(", ") + " · " + t.locales.join(", ") }));
    button.addEventListener("click", () => choose(t.name));
    list.append(el("li", {}, button));
  }
}

function choose(name) {
  const t = state.templates.find((x) => x.name === name);
  state.current = t;
  for (const b of document.querySelectorAll("#templates button")) {
    b.setAttribute("aria-current", String(b.dataset.template === name));
  }
  $("template-name").textContent = name;
  const locale = $("locale");
  locale.replaceChildren(...t.locales.map((l) => el("option", { value: l, text: l })));
  const channel = $("channel");
  channel.replaceChildren(el("option", { value: "", text: "every channel" }),
    ...t.channels.map((c) => el("option", { value: c, text: c })));
  $("workspace").hidden = false;
  render();
}

async function render() {
  if (!state.current) return;
  const request = { template: state.current.name, locale: $("locale").value, channel: $("channel").value };
  const pasted = $("account").value.trim();
  if (pasted) {
    try {
      request.account = JSON.parse(pasted);
    } catch (e) {
      showError("account: not JSON: " + e.message);
      return;
    }
  }
  $("account-label").textContent = pasted ? "the pasted account" : "the sample account";
  const asked = ++state.asked; // only the latest request's answer is drawn, whatever the order
  try {
    const shown = await api("/render", request);
    if (asked !== state.asked) return;
    showError("");
    draw(shown);
  } catch (e) {
    if (asked !== state.asked) return;
    showError(e.message);
    $("output").replaceChildren();
  }
}

function draw(shown) {
  const out = $("output");
  out.replaceChildren();
  for (const r of shown.renders) {
    const box = el("section", { class: "render", "data-channel": r.channel },
      el("h3", { text: r.channel + " · " + r.locale + (r.used && r.used !== r.locale ? " (files: " + r.used + ")" : "") }));
    if (r.error) box.append(el("p", { class: "error", text: r.error }));
    for (const p of r.parts) box.append(drawPart(p));
    out.append(box);
  }
  if (shown.elsewhere.length) {
    out.append(el("section", { class: "render" }, el("h3", { text: "Other findings on " + shown.template }),
      findingList(shown.elsewhere)));
  }
}

function drawPart(p) {
  const main = p.name === "email.html"
    ? el("iframe", { sandbox: "", title: "the HTML email", srcdoc: p.text })
    : el("pre", { "data-part": p.name, text: p.text });
  const side = el("div", { class: "side" });
  if (p.sms) side.append(meter(p.sms));
  side.append(p.findings.length ? findingList(p.findings) : el("p", { class: "clean", text: "lint: no findings on this file" }));
  return el("div", { class: "part", "data-part": p.name },
    el("h4", {}, document.createTextNode(p.name + " "), el("code", { text: p.file })), main, side);
}

function meter(sms) {
  const single = sms.encoding === "GSM-7" ? [160, 153] : [70, 67];
  const per = sms.segments === 1 ? single[0] : single[1];
  const bar = el("div", { class: "bar", role: "img", "aria-label": sms.units + " of " + sms.capacity + " units" });
  for (let i = 0; i < sms.segments; i++) {
    const used = Math.min(per, Math.max(0, sms.units - i * per));
    const fill = el("span");
    fill.style.width = (100 * used / per).toFixed(1) + "%";
    bar.append(el("div", { class: "segment" }, fill));
  }
  const figures = el("div", { class: "figures" },
    el("strong", { "data-testid": "sms-encoding", text: sms.encoding }), document.createTextNode(" · "),
    el("strong", { "data-testid": "sms-segments", text: sms.segments + (sms.segments === 1 ? " segment" : " segments") }),
    document.createTextNode(" · " + sms.units + " / " + sms.capacity + " units"));
  const box = el("div", { class: "meter" + (sms.encoding === "UCS-2" ? " ucs2" : "") }, figures, bar,
    el("small", { text: sms.reason }));
  if (sms.characters.length) {
    box.append(el("ul", { class: "costly" }, ...sms.characters.map((c) =>
      el("li", { text: "character " + c.position + ": " + c.name + ": " + c.cost }))));
  }
  return box;
}

function findingList(findings) {
  return el("ul", { class: "findings" }, ...findings.map((f) =>
    el("li", { class: "finding-" + f.level, text: f.file + ":" + f.line + ": " + f.level + ": " + f.message + (f.fix ? " (fix: " + f.fix + ")" : "") })));
}

document.addEventListener("DOMContentLoaded", () => {
  $("key").value = state.key;
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.key = $("key").value.trim();
    sessionStorage.setItem(KEY_STORE, state.key);
    loadTemplates().catch((e) => showError(e.message === "unauthorised" ? "" : e.message));
  });
  $("render-form").addEventListener("submit", (event) => {
    event.preventDefault();
    render();
  });
  $("locale").addEventListener("change", render);
  $("channel").addEventListener("change", render);
  loadTemplates().catch((e) => showError(e.message === "unauthorised" ? "" : e.message));
});

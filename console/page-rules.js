// Rules: the live document, a draft editor whose errors point at their JSON
// path, a dry run of a sample transaction and member under the draft, the
// diff between two versions, and publishing.
import {h, clear, field} from "./dom.js";
import {t, num, date} from "./i18n.js";
import * as api from "./api.js";
import {heading, busy, errorLine, notice} from "./ui.js";

const sample = {type: "purchase", amount_minor: 12345, currency: "CNY"};

export async function render(view) {
  const place = h("div", {});
  clear(view).append(heading(t("nav.rules")), place);
  const all = await busy(place, (signal) => Promise.all([
    api.get("/v1/rules", signal), api.get("/v1/rules/versions", signal), api.get("/v1/partners", signal)]));
  if (!all) return;
  const [live, versions, partners] = all;
  const editor = h("textarea", {id: "rules-draft", rows: 22, spellcheck: "false", "aria-label": t("r.editor")});
  editor.value = JSON.stringify(live.rules, null, 2);
  const out = h("div", {id: "rules-out"});
  const can = api.allowed("publish");

  // The draft as JSON, or null after saying where it is not JSON.
  const draft = () => {
    try { return JSON.parse(editor.value); } catch (err) {
      clear(out).appendChild(errorLine(new Error(t("r.bad_json", {msg: err.message}))));
      return null;
    }
  };
  // An invalid_rules refusal names the JSON path first: show it and select it in the editor.
  const refused = (err) => {
    const m = err.code === "invalid_rules" && /^(\$\S*) (.*)$/.exec(err.message);
    if (!m) { clear(out).appendChild(errorLine(err)); return; }
    const at = locate(editor.value, m[1]);
    const line = at ? editor.value.slice(0, at[0]).split("\n").length : null;
    clear(out).appendChild(h("p", {class: "error", role: "alert", id: "rules-error"},
      t("r.error_at", {path: m[1] + (line ? ` (line ${line})` : ""), msg: m[2]})));
    if (at) { editor.focus(); editor.setSelectionRange(at[0], at[1]); }
  };

  const partner = h("select", {id: "dry-partner"}, partners.partners.map((p) => h("option", {value: p.id}, p.id)));
  const member = h("input", {id: "dry-member", value: "m0001"});
  const data = h("textarea", {id: "dry-data", rows: 4, spellcheck: "false"});
  data.value = JSON.stringify(sample);
  const simulate = async (rules) => {
    let d;
    try { d = JSON.parse(data.value); } catch (err) { clear(out).appendChild(errorLine(new Error(t("r.bad_json", {msg: err.message})))); return null; }
    return api.post("/v1/rules:simulate", {rules, transaction: {partner: partner.value, member: member.value || undefined, data: d}});
  };
  const check = async () => {
    const rules = draft();
    if (!rules) return;
    try {
      const r = await simulate(rules);
      if (!r) return;
      clear(out).append(notice(t("r.valid")), h("p", {id: "dry-result"}, h("strong", {}, t("r.result", {p: num(r.points)})), " · ",
        (r.lines || []).map((l) => `${l.category}: ${num(l.points)}`).join(" · ")));
    } catch (err) { refused(err); }
  };
  const publish = async () => {
    const rules = draft();
    if (!rules) return;
    try {
      const r = await api.put("/v1/rules", rules);
      await render(view);
      view.querySelector("#rules-out").appendChild(notice(t("r.published", {v: r.version})));
    } catch (err) { refused(err); }
  };

  const a = h("select", {id: "diff-a", "aria-label": "A"}), b = h("select", {id: "diff-b", "aria-label": "B"});
  const vs = [{version: 0, created_at: ""}, ...versions.versions];
  vs.forEach((v) => { a.appendChild(h("option", {value: v.version}, `v${v.version} ${v.created_at ? date(v.created_at) : ""}`)); b.appendChild(h("option", {value: v.version}, `v${v.version} ${v.created_at ? date(v.created_at) : ""}`)); });
  a.value = String(Math.max(0, live.version - 1));
  b.value = String(live.version);
  const diffOut = h("div", {id: "rules-diff"});
  const compare = async () => {
    const pair = await busy(diffOut, () => Promise.all([api.get(`/v1/rules/versions/${a.value}`), api.get(`/v1/rules/versions/${b.value}`)]));
    if (pair) diffOut.appendChild(diff(JSON.stringify(pair[0].rules, null, 2), JSON.stringify(pair[1].rules, null, 2)));
  };

  place.append(
    h("section", {}, h("h2", {}, t("r.live", {v: live.version})),
      h("p", {class: "muted"}, `${live.created_by} · ${date(live.created_at)}`),
      h("details", {}, h("summary", {}, "JSON"), h("pre", {class: "json", id: "rules-live", tabindex: 0}, JSON.stringify(live.rules, null, 2)))),
    h("section", {}, h("h2", {}, t("r.editor")), editor,
      h("div", {class: "row"},
        h("button", {type: "button", id: "rules-check", on: {click: check}}, t("r.check")),
        h("button", {type: "button", id: "rules-publish", disabled: !can, on: {click: publish}}, t("r.publish"))), out),
    h("section", {}, h("h2", {}, t("r.dry")),
      h("div", {class: "row"}, field(t("r.sample_partner"), partner), field(t("r.sample_member"), member)),
      field(t("r.sample_data"), data),
      h("button", {type: "button", id: "dry-run", on: {click: check}}, t("r.run"))),
    h("section", {}, h("h2", {}, t("r.diff")),
      h("div", {class: "row"}, a, b, h("button", {type: "button", id: "diff-run", on: {click: compare}}, t("r.compare"))), diffOut));
}

// Where the value at path ($.a.b[2].c) is in JSON text: [start, end] offsets, or null.
export function locate(text, path) {
  const want = path.replace(/^\$/, "").match(/\.[^.[]+|\[\d+\]/g) || [];
  const target = want.map((p) => (p[0] === "." ? p.slice(1) : Number(p.slice(1, -1))));
  let i = 0;
  const ws = () => { while (/\s/.test(text[i])) i++; };
  const str = () => { const s = i; i++; while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1; i++; return JSON.parse(text.slice(s, i)); };
  // Skips (or, when on the wanted path, descends into) one value.
  const value = (depth) => {
    ws();
    const start = i;
    if (depth === target.length) { skip(); return [start, i]; }
    if (text[i] === "{") {
      i++; ws();
      while (text[i] !== "}") {
        ws(); const k = str(); ws(); i++; // the colon
        if (k === target[depth]) return value(depth + 1);
        skip(); ws(); if (text[i] === ",") i++; ws();
      }
      return null;
    }
    if (text[i] === "[") {
      i++; ws();
      for (let n = 0; text[i] !== "]"; n++) {
        if (n === target[depth]) return value(depth + 1);
        skip(); ws(); if (text[i] === ",") i++; ws();
      }
      return null;
    }
    return null;
  };
  const skip = () => {
    ws();
    if (text[i] === '"') { str(); return; }
    if (text[i] === "{" || text[i] === "[") {
      let d = 0;
      do {
        if (text[i] === '"') { str(); continue; }
        if (text[i] === "{" || text[i] === "[") d++;
        if (text[i] === "}" || text[i] === "]") d--;
        i++;
      } while (d > 0 && i < text.length);
      return;
    }
    while (i < text.length && !/[,}\]\s]/.test(text[i])) i++;
  };
  try { return value(0); } catch { return null; }
}

// A line diff (longest common subsequence) of two texts, as text lines marked + and -.
function diff(a, b) {
  const x = a.split("\n"), y = b.split("\n");
  const n = x.length, m = y.length;
  const L = Array.from({length: n + 1}, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
    L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const lines = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { lines.push(["same", "  " + x[i]]); i++; j++; }
    else if (j < m && (i === n || L[i][j + 1] >= L[i + 1][j])) { lines.push(["add", "+ " + y[j]]); j++; }
    else { lines.push(["del", "- " + x[i]]); i++; }
  }
  return h("pre", {class: "diff", tabindex: 0}, lines.map(([k, s]) => h("span", {class: k}, s + "\n")));
}

// Settlement: draft a period, read its lines and the provenance matrix (a
// heat map), close and sign it, download the CSV and its signature; the
// statements so far.
import {h, clear, table, field, download} from "./dom.js";
import {t, num, money, date} from "./i18n.js";
import * as api from "./api.js";
import {heading, busy, errorLine} from "./ui.js";
import {heat} from "./charts.js";

// A datetime-local value read as UTC, in RFC 3339.
const utc = (v) => (v.length === 16 ? v + ":00Z" : v + "Z");

export async function render(view, [id]) {
  if (id) return statement(view, id);
  const today = new Date().toISOString().slice(0, 10);
  const start = h("input", {id: "period-start", type: "datetime-local", step: 1, value: today.slice(0, 8) + "01T00:00:00"});
  const end = h("input", {id: "period-end", type: "datetime-local", step: 1, value: new Date().toISOString().slice(0, 19)});
  const out = h("div", {});
  const list = h("div", {id: "statements"});
  const can = api.allowed("settle");
  clear(view).append(heading(t("nav.settlement")),
    h("section", {}, h("h2", {}, t("s.draft")),
      h("form", {class: "row", on: {submit: async (e) => {
        e.preventDefault();
        const s = await busy(out, (signal) => api.post("/v1/settlements", {period_start: utc(start.value), period_end: utc(end.value)}, signal));
        if (s) location.hash = `#/settlement/${s.id}`;
      }}}, field(t("s.start") + " (UTC)", start), field(t("s.end") + " (UTC)", end),
      h("button", {type: "submit", id: "draft", disabled: !can}, t("s.make"))), out),
    h("section", {}, h("h2", {}, t("s.list")), list));
  await statements(list);
}

async function statements(place, cursor) {
  const more = h("div", {});
  place.appendChild(more);
  const res = await busy(more, (signal) => api.get("/v1/settlements" + api.query({limit: 50, cursor}), signal));
  if (!res) return;
  place.appendChild(table([
    {label: t("col.id"), cell: (s) => h("a", {href: `#/settlement/${s.id}`}, String(s.id))},
    {label: t("col.status"), cell: (s) => s.status},
    {label: t("col.number"), cell: (s) => (s.number === null ? "—" : String(s.number))},
    {label: t("col.period"), cell: (s) => `${date(s.period_start)} – ${date(s.period_end)}`},
    {label: t("col.created"), cell: (s) => date(s.closed_at || s.created_at)},
  ], res.statements));
  if (res.next_cursor) place.appendChild(h("button", {type: "button", on: {click: (e) => { e.target.remove(); statements(place, res.next_cursor); }}}, t("more")));
}

async function statement(view, id) {
  const path = `/v1/settlements/${encodeURIComponent(id)}`;
  const place = h("div", {});
  clear(view).append(h("p", {}, h("a", {href: "#/settlement"}, "← " + t("s.list"))), place);
  const s = await busy(place, (signal) => api.get(path, signal));
  if (!s) return;
  const out = h("div", {});
  const closed = s.status === "closed";
  const close = async () => {
    const r = await busy(out, (signal) => api.post(`${path}/close`, {}, signal));
    if (r) await statement(view, id);
  };
  const csv = async (withSignature) => {
    try {
      const res = await api.getRaw(`${path}/statement.csv`);
      const text = await res.text();
      const sig = res.headers.get("X-Alliance-Signature");
      const name = `statement-${s.number || "draft-" + s.id}`;
      if (withSignature && sig) download(`${name}.csv.sig`, sig + "\n");
      else download(`${name}.csv`, text, "text/csv");
    } catch (err) { clear(out).appendChild(errorLine(err)); }
  };
  const issuers = [...new Set(s.provenance.map((p) => p.issuer))].sort();
  const redeemers = [...new Set(s.provenance.map((p) => p.redeemer))].sort();
  const cell = new Map(s.provenance.map((p) => [`${p.issuer}\u0000${p.redeemer}`, p.points]));
  place.append(
    h("h1", {id: "statement-title"}, closed ? t("s.closed", {n: s.number}) : t("s.draft_of", {id: s.id})),
    h("p", {}, `${date(s.period_start)} – ${date(s.period_end)} · `,
      h("span", {id: "statement-status"}, s.status), " · ",
      s.reconciliation && s.reconciliation.balanced ? t("s.balanced") : ""),
    h("div", {class: "row"},
      closed ? null : h("button", {type: "button", id: "close", disabled: !api.allowed("settle"), on: {click: close}}, t("s.close")),
      h("button", {type: "button", id: "download-csv", on: {click: () => csv(false)}}, t("s.csv")),
      closed ? h("button", {type: "button", id: "download-sig", on: {click: () => csv(true)}}, t("s.sig")) : null),
    out,
    h("section", {}, h("h2", {}, t("s.lines")), table([
      {label: t("col.partner"), cell: (l) => l.partner},
      {label: t("ov.issued"), cell: (l) => num(l.points_issued), num: true},
      {label: t("ov.reversed"), cell: (l) => num(l.points_reversed), num: true},
      {label: t("ov.redeemed"), cell: (l) => num(l.points_redeemed), num: true},
      {label: t("col.fee"), cell: (l) => money(l.fee_minor, l.currency), num: true},
      {label: t("col.reimb"), cell: (l) => money(l.reimbursement_minor, l.currency), num: true},
      {label: t("col.net"), cell: (l) => money(l.net_minor, l.currency), num: true},
    ], s.partners)),
    h("section", {}, h("h2", {}, t("s.provenance")),
      issuers.length ? heat(t("s.provenance"), issuers, redeemers, (a, b) => cell.get(`${a}\u0000${b}`) ?? null, num) : h("p", {class: "muted"}, t("none"))));
}

// Analytics: RFM (grid and segments), the Lorenz curve with the Gini
// coefficient, CLV (distribution and top members), churn (the list with its
// reasons), lifecycle stages, partner affinity (a heat map). Each report reads
// the whole history on the server: the page shows how long it has been
// working and stays usable; Cancel stops waiting.
import {h, clear, table} from "./dom.js";
import {t, num, money, percent} from "./i18n.js";
import * as api from "./api.js";
import {heading, busy} from "./ui.js";
import {bars, curve, heat} from "./charts.js";

const tabs = ["rfm", "pareto", "clv", "churn", "lifecycle", "affinity"];
const currency = "CNY"; // amounts of the reports are in minor units of the alliance's currency

export async function render(view, [tab = "rfm"]) {
  if (!tabs.includes(tab)) tab = "rfm";
  const place = h("div", {id: "analytics-" + tab});
  clear(view).append(heading(t("nav.analytics")),
    h("nav", {class: "tabs", "aria-label": t("nav.analytics")}, tabs.map((x) =>
      h("a", {href: `#/analytics/${x}`, "aria-current": x === tab ? "page" : null}, t("a." + x)))),
    place);
  await draw[tab](place);
}

const draw = {
  async rfm(place) {
    const r = await busy(place, (signal) => api.get("/v1/analytics/rfm?limit=20", signal));
    if (!r) return;
    const scores = [5, 4, 3, 2, 1];
    place.append(
      h("h2", {}, t("a.rfm_grid")),
      heat(t("a.rfm_grid"), scores.map((s) => `R${s}`), [1, 2, 3, 4, 5].map((s) => `F${s}`),
        (row, col) => r.grid[Number(row.slice(1)) - 1][Number(col.slice(1)) - 1], num),
      h("h2", {}, t("col.segment")),
      bars(t("col.segment"), r.segments.map((s) => s.segment), [{name: t("col.count"), values: r.segments.map((s) => s.members)}], num),
      table([{label: t("col.segment"), cell: (s) => s.segment}, {label: t("col.count"), cell: (s) => num(s.members), num: true}], r.segments));
  },
  async pareto(place) {
    const r = await busy(place, (signal) => api.get("/v1/analytics/pareto", signal));
    if (!r) return;
    place.append(
      h("p", {id: "gini"}, h("strong", {}, t("a.gini", {g: r.spend.gini.toFixed(3)}))),
      curve(t("a.pareto"), r.spend.lorenz.map((p) => [p.population, p.share]), t("a.population"), t("a.share")),
      table([{label: "%", cell: (x) => `${x.percent}%`}, {label: t("a.share"), cell: (x) => percent(x.share), num: true}], r.spend.top));
  },
  async clv(place) {
    const r = await busy(place, (signal) => api.get("/v1/analytics/clv?limit=20", signal));
    if (!r) return;
    place.append(
      h("p", {}, `${t("col.clv")}: ${money(r.totals.clv_minor, currency)} · ${num(r.members)} ${t("ov.members")}`),
      h("h2", {}, t("a.deciles")),
      bars(t("a.deciles"), r.deciles.map((d) => `${d.percentile}%`), [{name: t("col.clv"), values: r.deciles.map((d) => d.clv_minor / 100)}], (v) => num(Math.round(v))),
      h("h2", {}, t("a.top")),
      table([
        {label: t("col.member"), cell: (m) => h("a", {href: `#/members/${encodeURIComponent(m.member)}`}, m.member)},
        {label: t("col.clv"), cell: (m) => money(m.clv_minor, currency), num: true},
        {label: t("col.p_alive"), cell: (m) => percent(m.p_alive), num: true},
      ], r.items));
  },
  async churn(place) {
    const r = await busy(place, (signal) => api.get("/v1/analytics/churn?limit=50", signal));
    if (!r) return;
    place.append(
      h("p", {}, t("a.at_risk", {n: num(r.at_risk), v: money(r.value_at_risk_minor, currency)})),
      table([
        {label: t("col.member"), cell: (m) => h("a", {href: `#/members/${encodeURIComponent(m.member)}`}, m.member)},
        {label: t("col.at_risk"), cell: (m) => money(m.value_at_risk_minor, currency), num: true},
        {label: t("col.p_alive"), cell: (m) => percent(m.p_alive), num: true},
        {label: t("col.reasons"), cell: (m) => m.reasons.map((x) => x.code).join(", ")},
      ], r.items));
  },
  async lifecycle(place) {
    const r = await busy(place, (signal) => api.get("/v1/analytics/lifecycle?limit=20", signal));
    if (!r) return;
    const stages = Object.keys(r.stages);
    place.append(
      bars(t("a.lifecycle"), stages.map((s) => t("stage." + s)), [{name: t("col.count"), values: stages.map((s) => r.stages[s])}], num),
      table([
        {label: t("col.stage"), cell: (s) => h("a", {href: "#/members", on: {click: () => sessionStorage.setItem("m.stage", s)}}, t("stage." + s))},
        {label: t("col.count"), cell: (s) => num(r.stages[s]), num: true},
      ], stages));
  },
  async affinity(place) {
    const r = await busy(place, (signal) => api.get("/v1/analytics/affinity", signal));
    if (!r) return;
    const ids = r.partners.map((p) => p.partner);
    const shared = new Map();
    r.partners.forEach((p) => shared.set(`${p.partner}\u0000${p.partner}`, p.members));
    r.pairs.forEach((p) => { shared.set(`${p.a}\u0000${p.b}`, p.members); shared.set(`${p.b}\u0000${p.a}`, p.members); });
    place.append(
      h("h2", {}, t("a.affinity_map")),
      heat(t("a.affinity_map"), ids, ids, (a, b) => shared.get(`${a}\u0000${b}`) ?? 0, num),
      table([
        {label: "A", cell: (p) => p.a}, {label: "B", cell: (p) => p.b},
        {label: t("col.count"), cell: (p) => num(p.members), num: true},
        {label: "lift", cell: (p) => p.lift.toFixed(2), num: true},
      ], r.pairs));
  },
};

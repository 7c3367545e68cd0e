// Overview: members, the points outstanding and what they would cost at each
// partner's price, points per month, breakage, top partners.
import {h, clear, table} from "./dom.js";
import {t, num, money, bp} from "./i18n.js";
import * as api from "./api.js";
import {heading, busy} from "./ui.js";
import {bars} from "./charts.js";

export async function render(view) {
  const place = h("div", {});
  clear(view).append(heading(t("nav.overview")), place);
  const o = await busy(place, (signal) => api.get("/v1/analytics/overview?months=12", signal));
  if (!o) return;
  const card = (label, value, id) => h("div", {class: "card", id}, h("span", {class: "label"}, label), h("strong", {}, value));
  place.append(
    h("div", {class: "cards"},
      card(t("ov.members"), num(o.members), "kpi-members"),
      card(t("ov.outstanding"), num(o.points_outstanding), "kpi-outstanding"),
      card(t("ov.breakage"), bp(o.breakage_bp), "kpi-breakage"),
      card(t("ov.issued"), num(o.totals.issued)), card(t("ov.redeemed"), num(o.totals.redeemed)),
      card(t("ov.expired"), num(o.totals.expired))),
    h("section", {}, h("h2", {}, t("ov.monthly")),
      bars(t("ov.monthly"), o.months.map((m) => m.month), [
        {name: t("ov.issued"), values: o.months.map((m) => m.issued)},
        {name: t("ov.redeemed"), values: o.months.map((m) => m.redeemed)},
        {name: t("ov.expired"), values: o.months.map((m) => m.expired)}], num)),
    h("section", {}, h("h2", {}, t("ov.liability")),
      table([
        {label: t("col.partner"), cell: (r) => r.partner},
        {label: t("col.price"), cell: (r) => money(r.redeem_minor_per_1000, r.currency), num: true},
        {label: t("col.value"), cell: (r) => money(r.value_minor, r.currency), num: true},
      ], o.liability)),
    h("section", {}, h("h2", {}, t("ov.top")),
      bars(t("ov.top"), o.top_partners.map((p) => p.partner), [
        {name: t("ov.issued"), values: o.top_partners.map((p) => p.issued)},
        {name: t("ov.redeemed"), values: o.top_partners.map((p) => p.redeemed)}], num)));
}

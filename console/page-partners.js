// Partners: the list, and one partner's plugin config, contracts with their
// effective dates, keys (a new one, revoke) and suspension.
import {h, clear, table} from "./dom.js";
import {t, date, money} from "./i18n.js";
import * as api from "./api.js";
import {heading, busy, errorLine, notice} from "./ui.js";

export async function render(view, [id]) {
  if (id) return partner(view, id);
  const place = h("div", {});
  clear(view).append(heading(t("nav.partners")), place);
  const res = await busy(place, (signal) => api.get("/v1/partners", signal));
  if (!res) return;
  place.appendChild(table([
    {label: t("col.id"), cell: (p) => h("a", {href: `#/partners/${encodeURIComponent(p.id)}`}, p.id)},
    {label: t("col.name"), cell: (p) => p.name},
    {label: t("col.plugin"), cell: (p) => p.plugin},
    {label: t("col.status"), cell: (p) => p.status},
    {label: t("col.issue_price"), cell: (p) => money(p.contract.issue_minor_per_1000, p.contract.currency), num: true},
    {label: t("col.redeem_price"), cell: (p) => money(p.contract.redeem_minor_per_1000, p.contract.currency), num: true},
  ], res.partners));
}

async function partner(view, id) {
  const path = `/v1/partners/${encodeURIComponent(id)}`;
  const place = h("div", {});
  clear(view).append(h("p", {}, h("a", {href: "#/partners"}, "← " + t("nav.partners"))), heading(id), place);
  const all = await busy(place, (signal) => Promise.all([
    api.get(path, signal), api.get(`${path}/contracts`, signal), api.get(`${path}/keys`, signal)]));
  if (!all) return;
  const [p, contracts, keys] = all;
  const can = api.allowed("partners");
  const out = h("div", {});
  const act = async (fn, keep) => {
    try {
      const r = await fn();
      await partner(view, id);
      if (keep) view.appendChild(keep(r));
    } catch (err) { clear(out).appendChild(errorLine(err)); }
  };
  place.append(
    h("p", {}, `${p.name} · ${p.plugin} · `, h("strong", {id: "partner-status"}, p.status), " ",
      h("button", {type: "button", disabled: !can, on: {click: () => act(() => api.post(`${path}/${p.status === "suspended" ? "resume" : "suspend"}`))}},
        p.status === "suspended" ? t("p.resume") : t("p.suspend"))),
    out,
    h("section", {}, h("h2", {}, t("p.config")), h("pre", {class: "json", tabindex: 0}, JSON.stringify(p.config, null, 2))),
    h("section", {}, h("h2", {}, t("p.contracts")), table([
      {label: t("col.from"), cell: (c) => date(c.effective_from)},
      {label: t("col.currency"), cell: (c) => c.currency},
      {label: t("col.issue_price"), cell: (c) => money(c.issue_minor_per_1000, c.currency), num: true},
      {label: t("col.redeem_price"), cell: (c) => money(c.redeem_minor_per_1000, c.currency), num: true},
    ], contracts.contracts)),
    h("section", {}, h("h2", {}, t("p.keys")), table([
      {label: t("col.id"), cell: (k) => k.key_id},
      {label: t("col.created"), cell: (k) => date(k.created_at)},
      {label: t("col.expires"), cell: (k) => date(k.expires_at)},
      {label: t("col.active"), cell: (k) => (k.active ? t("yes") : t("no"))},
      {label: "", cell: (k) => (k.active ? h("button", {type: "button", disabled: !can,
        on: {click: () => act(() => api.del(`${path}/keys/${encodeURIComponent(k.key_id)}`))}}, t("p.revoke")) : "")},
    ], keys.keys),
    h("button", {type: "button", disabled: !can, on: {click: () => act(() => api.post(`${path}/keys`),
      (r) => notice(t("p.secret", {id: r.key_id, secret: r.secret})))}}, t("p.rotate"))));
}

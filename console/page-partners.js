// Partners: the list, and one partner's plugin config (read and changed: the
// plugin checks it), contracts with their effective dates (a new one from a
// date), keys (a new one, revoke) and suspension.
import {h, clear, table, field} from "./dom.js";
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
  const config = h("textarea", {id: "partner-config", rows: 8, spellcheck: "false", "aria-label": t("p.config")});
  config.value = JSON.stringify(p.config, null, 2);
  const last = contracts.contracts[contracts.contracts.length - 1] || p.contract;
  const from = h("input", {id: "contract-from", type: "datetime-local", required: true});
  const currency = h("input", {id: "contract-currency", value: last.currency, size: 4, maxlength: 3, required: true});
  const issue = h("input", {id: "contract-issue", type: "number", min: 0, step: 1, value: last.issue_minor_per_1000, required: true});
  const redeem = h("input", {id: "contract-redeem", type: "number", min: 0, step: 1, value: last.redeem_minor_per_1000, required: true});
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
    h("section", {}, h("h2", {}, t("p.config")), config,
      h("button", {type: "button", id: "config-save", disabled: !can, on: {click: () => {
        let parsed;
        try { parsed = JSON.parse(config.value); } catch (err) { clear(out).appendChild(errorLine(new Error(t("r.bad_json", {msg: err.message})))); return; }
        act(() => api.patch(path, {config: parsed}));
      }}}, t("save"))),
    h("section", {}, h("h2", {}, t("p.contracts")), table([
      {label: t("col.from"), cell: (c) => date(c.effective_from)},
      {label: t("col.currency"), cell: (c) => c.currency},
      {label: t("col.issue_price"), cell: (c) => money(c.issue_minor_per_1000, c.currency), num: true},
      {label: t("col.redeem_price"), cell: (c) => money(c.redeem_minor_per_1000, c.currency), num: true},
    ], contracts.contracts),
      h("form", {class: "row", on: {submit: (e) => {
        e.preventDefault();
        act(() => api.patch(path, {contract: {currency: currency.value, issue_minor_per_1000: Number(issue.value),
          redeem_minor_per_1000: Number(redeem.value), effective_from: from.value + ":00Z"}}));
      }}}, field(t("col.from") + " (UTC)", from), field(t("col.currency"), currency),
      field(t("col.issue_price") + " (minor)", issue), field(t("col.redeem_price") + " (minor)", redeem),
      h("button", {type: "submit", id: "contract-add", disabled: !can}, t("p.new_contract")))),
    h("section", {}, h("h2", {}, t("p.keys")), table([
      {label: t("col.id"), cell: (k) => k.key_id},
      {label: t("col.created"), cell: (k) => date(k.created_at)},
      {label: t("col.expires"), cell: (k) => date(k.expires_at)},
      {label: t("col.active"), cell: (k) => (k.active ? t("yes") : t("no"))},
      {label: t("col.actions"), cell: (k) => (k.active ? h("button", {type: "button", disabled: !can,
        on: {click: () => act(() => api.del(`${path}/keys/${encodeURIComponent(k.key_id)}`))}}, t("p.revoke")) : "")},
    ], keys.keys),
    h("button", {type: "button", disabled: !can, on: {click: () => act(() => api.post(`${path}/keys`),
      (r) => notice(t("p.secret", {id: r.key_id, secret: r.secret})))}}, t("p.rotate"))));
}

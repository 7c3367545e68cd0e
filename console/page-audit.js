// The audit log: every change, who made it, before and after; and the check
// of its hash chain.
import {h, clear, table} from "./dom.js";
import {t, date} from "./i18n.js";
import * as api from "./api.js";
import {heading, busy, notice, errorLine} from "./ui.js";

export async function render(view) {
  const out = h("div", {});
  const list = h("div", {id: "audit-list"});
  clear(view).append(heading(t("nav.audit")),
    h("button", {type: "button", id: "audit-verify", on: {click: async () => {
      const r = await busy(out, (signal) => api.get("/v1/audit/verify", signal));
      if (r) out.appendChild(r.intact ? notice(t("au.ok", {n: r.rows})) : errorLine(new Error(t("au.broken", {seq: r.first_broken}))));
    }}}, t("au.verify")), out, list);
  await entries(list);
}

const json = (v) => (v === null || v === undefined ? "" : h("code", {}, JSON.stringify(v)));

async function entries(place, cursor) {
  const more = h("div", {});
  place.appendChild(more);
  const res = await busy(more, (signal) => api.get("/v1/audit" + api.query({limit: 50, cursor}), signal));
  if (!res) return;
  place.appendChild(table([
    {label: "#", cell: (e) => String(e.seq), num: true},
    {label: t("col.when"), cell: (e) => date(e.at)},
    {label: t("col.actor"), cell: (e) => e.actor},
    {label: t("col.action"), cell: (e) => e.action},
    {label: t("col.target"), cell: (e) => e.target},
    {label: "before → after", cell: (e) => h("span", {class: "change"}, json(e.before), e.before ? " → " : "", json(e.after))},
  ], res.entries));
  if (res.next_cursor) place.appendChild(h("button", {type: "button", on: {click: (e) => { e.target.remove(); entries(place, res.next_cursor); }}}, t("more")));
}

// People (owner): colleagues' admin keys with their roles; a new key is shown
// once; revoking one ends its console sessions.
import {h, clear, table, field} from "./dom.js";
import {t, date} from "./i18n.js";
import * as api from "./api.js";
import {heading, busy, notice, errorLine} from "./ui.js";

export async function render(view) {
  const place = h("div", {});
  const out = h("div", {});
  const name = h("input", {id: "key-name", required: true, maxlength: 128});
  const role = h("select", {id: "key-role"}, ["viewer", "finance", "program", "owner"].map((r) => h("option", {value: r}, t("role." + r))));
  clear(view).append(heading(t("nav.people")),
    h("section", {}, h("h2", {}, t("k.new")),
      h("form", {class: "row", on: {submit: async (e) => {
        e.preventDefault();
        try {
          const k = await api.post("/v1/admin-keys", {name: name.value, role: role.value});
          await render(view);
          view.querySelector("#key-made").appendChild(notice(t("k.shown", {name: k.name, key: k.key})));
        } catch (err) { clear(out).appendChild(errorLine(err)); }
      }}}, field(t("col.name"), name), field(t("col.role"), role), h("button", {type: "submit", id: "key-create"}, t("k.make"))),
      h("div", {id: "key-made"}), out),
    place);
  const res = await busy(place, (signal) => api.get("/v1/admin-keys", signal));
  if (!res) return;
  place.appendChild(table([
    {label: t("col.id"), cell: (k) => k.id},
    {label: t("col.name"), cell: (k) => k.name},
    {label: t("col.role"), cell: (k) => t("role." + k.role)},
    {label: t("col.created"), cell: (k) => `${date(k.created_at)} · ${k.created_by}`},
    {label: t("col.revoked"), cell: (k) => (k.revoked_at ? date(k.revoked_at) : h("button", {type: "button",
      on: {click: async () => { try { await api.del(`/v1/admin-keys/${k.id}`); await render(view); } catch (err) { clear(out).appendChild(errorLine(err)); } }}}, t("p.revoke")))},
  ], res.keys));
}

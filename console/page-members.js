// Members: search by id prefix (and tier, status, stage), and one member's
// 360 view: profile, balance, tier and lifecycle, each partner, expiries,
// tier history, the history with each booking's breakdown; tier floor, block.
import {h, clear, table, field} from "./dom.js";
import {t, num, date} from "./i18n.js";
import * as api from "./api.js";
import {heading, busy, errorLine, notice} from "./ui.js";

export async function render(view, [id]) {
  if (id) return member(view, id);
  const prefix = h("input", {id: "member-prefix", type: "search", value: sessionStorage.getItem("m.prefix") || ""});
  const stage = h("select", {id: "member-stage"}, h("option", {value: ""}, "—"),
    ["new", "growing", "mature", "declining", "lapsed"].map((s) => h("option", {value: s}, t("stage." + s))));
  const list = h("div", {id: "member-list"});
  const search = async (e) => {
    if (e) e.preventDefault();
    sessionStorage.setItem("m.prefix", prefix.value);
    await page(list, {prefix: prefix.value, stage: stage.value, limit: 50});
  };
  clear(view).append(heading(t("nav.members")),
    h("form", {class: "row", role: "search", on: {submit: search}},
      field(t("m.search"), prefix), field(t("m.stage"), stage),
      h("button", {type: "submit", id: "member-search"}, t("search"))), list);
  await search();
}

async function page(place, params, cursor) {
  const more = h("div", {});
  const res = await busy(more, (signal) => api.get("/v1/members" + api.query({...params, cursor}), signal));
  if (!cursor) clear(place);
  if (!res) { place.appendChild(more); return; }
  if (res.members.length === 0 && !cursor) { place.appendChild(notice(t("none"))); return; }
  place.appendChild(table([
    {label: t("col.member"), cell: (m) => h("a", {href: `#/members/${encodeURIComponent(m.id)}`}, m.id)},
    {label: t("col.status"), cell: (m) => m.status},
    {label: t("col.tier"), cell: (m) => m.tier},
    {label: t("col.available"), cell: (m) => num(m.available), num: true},
    {label: t("col.earned"), cell: (m) => num(m.lifetime_earned), num: true},
    {label: t("col.last"), cell: (m) => date(m.last_activity_at)},
  ], res.members));
  if (res.next_cursor) place.appendChild(h("button", {type: "button", on: {click: (e) => { e.target.remove(); page(place, params, res.next_cursor); }}}, t("more")));
}

// A profile's fields as a definition list, every value as text.
function profile(p) {
  const entries = Object.entries(p || {});
  if (entries.length === 0) return h("p", {class: "muted"}, t("none"));
  return h("dl", {class: "profile", id: "member-profile"}, entries.map(([k, v]) =>
    [h("dt", {}, k), h("dd", {}, typeof v === "string" ? v : JSON.stringify(v))]));
}

function breakdown(d) {
  if (!d) return "";
  const lines = (d.lines || []).map((l) => `${l.category}: ${num(l.points)}`);
  const extra = [d.plugin, d.tier && `${t("col.tier")} ${d.tier}`, d.rules_version && `v${d.rules_version}`].filter(Boolean);
  return h("span", {class: "breakdown"}, [...lines, ...extra].join(" · "));
}

async function member(view, id) {
  const path = `/v1/members/${encodeURIComponent(id)}`;
  const place = h("div", {});
  clear(view).append(h("p", {}, h("a", {href: "#/members"}, "← " + t("m.back"))), heading(`${t("col.member")} ${id}`), place);
  const m = await busy(place, (signal) => api.get(path, signal));
  if (!m) return;
  const b = m.balance;
  const actions = h("div", {});
  const tiers = h("select", {id: "floor-tier"});
  const until = h("input", {id: "floor-until", type: "date"});
  api.get("/v1/rules").then((r) => (r.rules.tiers?.levels || []).forEach((l) => tiers.appendChild(h("option", {value: l.name}, l.name)))).catch(() => {});
  const can = api.allowed("members");
  const act = async (fn) => {
    try { await fn(); await member(view, id); } catch (err) { clear(actions).appendChild(errorLine(err)); }
  };
  place.append(
    h("div", {class: "cards"},
      h("div", {class: "card"}, h("span", {class: "label"}, t("col.available")), h("strong", {id: "member-available"}, num(b.available))),
      h("div", {class: "card"}, h("span", {class: "label"}, t("col.held")), h("strong", {}, num(b.held))),
      h("div", {class: "card"}, h("span", {class: "label"}, t("col.tier")), h("strong", {id: "member-tier"}, m.tier)),
      h("div", {class: "card"}, h("span", {class: "label"}, t("col.status")), h("strong", {id: "member-status"}, m.status)),
      h("div", {class: "card"}, h("span", {class: "label"}, t("m.stage")), h("strong", {}, m.lifecycle_stage ? t("stage." + m.lifecycle_stage) : "—"))),
    h("section", {}, h("h2", {}, t("m.profile")), profile(m.profile)),
    h("section", {}, h("h2", {}, t("m.partners")), table([
      {label: t("col.partner"), cell: (p) => p.partner},
      {label: t("ov.issued"), cell: (p) => num(p.points_earned), num: true},
      {label: t("ov.redeemed"), cell: (p) => num(p.points_redeemed), num: true},
      {label: t("ov.reversed"), cell: (p) => num(p.points_reversed), num: true},
      {label: t("col.last"), cell: (p) => date(p.last_activity_at)},
    ], m.partners || [])),
    h("section", {}, h("h2", {}, t("m.next_expiries")), table([
      {label: t("col.points"), cell: (e) => num(e.points), num: true},
      {label: t("col.expires"), cell: (e) => date(e.expires_at)},
    ], b.next_expiries || [])),
    h("section", {}, h("h2", {}, t("m.tier_history")), table([
      {label: t("col.when"), cell: (e) => date(e.at)},
      {label: t("col.tier"), cell: (e) => `${e.from} → ${e.to}`},
      {label: t("col.reasons"), cell: (e) => e.reason},
    ], m.tier_history || [])),
    h("section", {}, h("h2", {}, `${t("m.tier_floor")} · ${t("m.block")}`),
      h("form", {class: "row", on: {submit: (e) => { e.preventDefault(); act(() => api.put(`${path}/tier`, {tier: tiers.value, until: new Date(until.value + "T23:59:59Z").toISOString()})); }}},
        field(t("col.tier"), tiers), field(t("col.expires"), until),
        h("button", {type: "submit", disabled: !can}, t("m.set_floor")),
        h("button", {type: "button", id: "member-block", disabled: !can, on: {click: () => act(() => api.post(`${path}/${m.status === "blocked" ? "unblock" : "block"}`))}},
          m.status === "blocked" ? t("m.unblock") : t("m.block"))), actions),
    h("section", {}, h("h2", {}, t("m.history")), h("div", {id: "member-history"})));
  await history(place.querySelector("#member-history"), path);
}

async function history(place, path, cursor) {
  const more = h("div", {});
  place.appendChild(more);
  const res = await busy(more, (signal) => api.get(`${path}/history` + api.query({limit: 50, cursor}), signal));
  if (!res) return;
  place.appendChild(table([
    {label: t("col.when"), cell: (e) => date(e.booked_at)},
    {label: t("col.kind"), cell: (e) => e.kind},
    {label: t("col.partner"), cell: (e) => e.partner || "—"},
    {label: t("col.points"), cell: (e) => num(e.points), num: true},
    {label: t("col.ref"), cell: (e) => e.ref || ""},
    {label: t("col.breakdown"), cell: (e) => breakdown(e.detail)},
  ], res.entries));
  if (res.next_cursor) place.appendChild(h("button", {type: "button", on: {click: (e) => { e.target.remove(); history(place, path, res.next_cursor); }}}, t("more")));
}

// Pieces every page uses: a heading, an error or notice line, and long work
// that shows its progress and can be cancelled without freezing the page.
import {h, clear} from "./dom.js";
import {t} from "./i18n.js";
import {ApiError, current} from "./api.js";

export function heading(text) { return h("h1", {}, text); }

export function errorLine(err) {
  let text = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err && err.message || err);
  if (err instanceof ApiError && err.status === 403 && err.code === "forbidden" && current())
    text = `${t("forbidden.role", {role: t("role." + current().role)})} (${err.code})`;
  return h("p", {class: "error", role: "alert"}, text);
}

export function notice(text) { return h("p", {class: "notice", role: "status"}, text); }

// Runs work(signal) (a promise) while place shows how long it has taken and a
// Cancel button; the page stays usable meanwhile. Resolves to work's value, or
// null when cancelled or failed (the error is shown in place).
export async function busy(place, work) {
  const ctl = new AbortController();
  const started = Date.now();
  const label = h("span", {}, t("working", {s: 0}));
  const bar = h("progress", {"aria-label": t("loading")});
  const box = h("div", {class: "busy", role: "status"}, bar, " ", label, " ",
    h("button", {type: "button", on: {click: () => ctl.abort()}}, t("cancel")));
  clear(place).appendChild(box);
  const tick = setInterval(() => { label.textContent = t("working", {s: Math.round((Date.now() - started) / 1000)}); }, 500);
  try {
    const value = await work(ctl.signal);
    clear(place);
    return value;
  } catch (err) {
    clear(place).appendChild(err.name === "AbortError" ? notice(t("cancelled")) : errorLine(err));
    return null;
  } finally {
    clearInterval(tick);
  }
}

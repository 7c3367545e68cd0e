// The console: signs in, draws the navigation, and shows the page the
// address names (#/page/...). Pages are modules of their own (page-*.js).
import {h, clear} from "./dom.js";
import {t, getLang, setLang} from "./i18n.js";
import * as api from "./api.js";
import {errorLine, notice} from "./ui.js";
import * as overview from "./page-overview.js";
import * as members from "./page-members.js";
import * as partners from "./page-partners.js";
import * as rules from "./page-rules.js";
import * as settlement from "./page-settlement.js";
import * as analytics from "./page-analytics.js";
import * as audit from "./page-audit.js";
import * as people from "./page-people.js";

const pages = {overview, members, partners, rules, settlement, analytics, audit, people};
const view = document.getElementById("view");

function drawNav() {
  const nav = clear(document.getElementById("nav"));
  const s = api.current();
  document.getElementById("brand").textContent = t("app.title");
  document.getElementById("lang-label").textContent = t("lang");
  document.getElementById("sign-out").textContent = t("sign.out");
  document.getElementById("sign-out").hidden = !s;
  document.getElementById("who").textContent = s ? `${s.tenant} · ${t("role." + s.role)}` : "";
  document.documentElement.lang = getLang() === "zh" ? "zh-CN" : "en";
  if (!s) return;
  const here = (location.hash.split("/")[1] || "overview");
  nav.appendChild(h("ul", {}, Object.keys(pages)
    .filter((p) => p !== "people" || api.allowed("people"))
    .map((p) => h("li", {}, h("a", {href: `#/${p}`, "aria-current": p === here ? "page" : null}, t("nav." + p))))));
}

function signInForm(message) {
  const key = h("input", {id: "key", type: "password", autocomplete: "off", required: true, spellcheck: "false"});
  const out = h("div", {});
  const form = h("form", {class: "sign-in", on: {submit: async (e) => {
    e.preventDefault();
    try {
      await api.signIn(key.value.trim());
      key.value = "";
      if (!location.hash || location.hash === "#/") location.hash = "#/overview";
      else route();
    } catch (err) {
      clear(out).appendChild(err.status === 401 ? errorLine(new Error(t("sign.failed"))) : errorLine(err));
    }
  }}},
  h("h1", {}, t("sign.in")),
  message ? notice(message) : null,
  h("p", {}, t("sign.hint")),
  h("label", {for: "key"}, t("sign.key")), key,
  h("button", {type: "submit", id: "sign-in"}, t("sign.in")), out);
  clear(view).appendChild(form);
  drawNav();
  key.focus();
}

async function route() {
  if (!api.current()) { signInForm(); return; }
  drawNav();
  const [, name = "overview", ...rest] = location.hash.split("/");
  const page = pages[name] || overview;
  clear(view).appendChild(h("p", {class: "muted"}, t("loading")));
  try {
    await page.render(view, rest.map(decodeURIComponent));
  } catch (err) {
    if (api.current()) clear(view).appendChild(errorLine(err));
  }
  view.focus({preventScroll: true});
}

document.getElementById("lang").value = getLang();
document.getElementById("lang").addEventListener("change", (e) => { setLang(e.target.value); route(); });
document.getElementById("sign-out").addEventListener("click", async () => {
  await api.signOut().catch(() => {});
  location.hash = "";
  signInForm();
});
api.onSessionEnd(() => signInForm(t("sign.expired")));
window.addEventListener("hashchange", route);
api.resume().then(route);

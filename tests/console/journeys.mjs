// The console's user journeys in a real browser (Debian's Chromium, driven by
// playwright-core), against a real allianced: make test runs them through
// scripts/console-test.sh, which starts the server on a fresh database.
//
//   node journeys.mjs BASE_URL OPERATOR_TOKEN SCREENSHOT_DIR
//
// The alliance is made through the API (a tenant, two partners, members, one
// with an XSS payload in its profile, earnings and a redemption through the
// partners' signed calls); then people use the console: sign in, find a member
// and read the 360 view, publish a rule and see the next earning apply it,
// draft and close a settlement and download its CSV and signature, open every
// analytics page, switch to Chinese, make a viewer's key, sign out; the viewer
// cannot publish or close (the buttons are off, and the server refuses when
// they are forced); a change without the CSRF token is refused. axe-core
// checks every page; any serious or critical violation fails. Screenshots of
// every page go to SCREENSHOT_DIR. Exits non-zero on the first failure.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {createRequire} from "node:module";
import {chromium} from "playwright-core";

const [base, operator, shots] = process.argv.slice(2);
if (!base || !operator || !shots) {
  console.error("usage: node journeys.mjs BASE_URL OPERATOR_TOKEN SCREENSHOT_DIR");
  process.exit(2);
}
fs.mkdirSync(shots, {recursive: true});
const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

let checks = 0;
let shown = null; // the page in use: a failure keeps its screenshot
function ok(cond, what) {
  if (!cond) throw new Error(`journey failed: ${what}`);
  checks++;
}

// Every answer, the browser's and ours, is recorded for make test's OpenAPI check
// (ALLIANCE_TEST_RECORD, as the C suites do).
const recordTo = process.env.ALLIANCE_TEST_RECORD;
function record(method, url, status, contentType, body) {
  if (!recordTo) return;
  const u = new URL(url, base);
  if (!u.pathname.startsWith("/v1/") && !u.pathname.startsWith("/console")) return;
  fs.appendFileSync(recordTo, JSON.stringify({method, path: u.pathname + u.search, status,
    content_type: contentType || "", body: body !== null && body.length <= 1 << 20 ? body : null}) + "\n");
}

// ---- the alliance, through the API ----

async function call(method, p, {bearer, body, partner} = {}) {
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers = {"Content-Type": "application/json"};
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (partner) {
    const ts = String(Math.floor(Date.now() / 1000));
    const bodyHash = crypto.createHash("sha256").update(text).digest("hex");
    headers["X-Alliance-Key"] = partner.key;
    headers["X-Alliance-Timestamp"] = ts;
    headers["X-Alliance-Signature"] = crypto.createHmac("sha256", partner.secret)
      .update(`${method}\n${p}\n${ts}\n${bodyHash}`).digest("hex");
  }
  const res = await fetch(base + p, {method, headers, body: body === undefined ? undefined : text});
  const answer = await res.text();
  record(method, p, res.status, res.headers.get("content-type"), answer);
  let json = null;
  try { json = JSON.parse(answer); } catch { json = null; }
  return {status: res.status, json};
}

async function must(method, p, opts, status = [200, 201]) {
  const r = await call(method, p, opts);
  if (!status.includes(r.status)) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

const xss = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>"'&`;
const tenant = await must("POST", "/v1/tenants", {bearer: operator, body: {id: "console", name: "Console Alliance"}});
const owner = tenant.admin_key;
const contract = {currency: "CNY", issue_minor_per_1000: 800, redeem_minor_per_1000: 600};
const bankMade = await must("POST", "/v1/partners", {bearer: owner, body: {id: "bank", name: "Bank", plugin: "bank",
  config: {currency: "CNY", spend_minor_per_point: 100}, contract}});
const shopMade = await must("POST", "/v1/partners", {bearer: owner, body: {id: "shop", name: "Shop", plugin: "retailer",
  config: {currency: "CNY", minor_per_point: 100}, contract}});
const bank = {key: bankMade.key_id, secret: bankMade.secret}, shop = {key: shopMade.key_id, secret: shopMade.secret};
await must("PUT", "/v1/rules", {bearer: owner, body: {tiers: {window_months: 12, levels: [
  {name: "normal", threshold: 0}, {name: "silver", threshold: 500, multiplier_pct: 110}]}}});
await must("POST", "/v1/members", {bearer: owner, body: {id: "alice", profile: {name: "Alice", note: xss}}});
const members = ["alice", "bob", "carol", "dave", "erin", "frank"];
let n = 0;
for (const m of members)
  for (let i = 0; i < 3; i++)
    await must("POST", "/v1/transactions", {partner: i % 2 ? shop : bank, body: {id: `t-${++n}`, member: m,
      data: i % 2 ? {type: "purchase", currency: "CNY", lines: [{sku: "tea", category: "fresh", qty: 2, unit_minor: 2500 + n * 100}]}
        : {type: "purchase", amount_minor: 10000 + n * 1000, currency: "CNY", mcc: "5411"}}});
await must("POST", "/v1/redemptions", {partner: shop, body: {id: "r-1", member: "alice", points: 100}});
// Up to 18 months of history for 240 more members, active, lapsing, lost and new, each at
// their own pace and basket (imported; scripts/demo.sh's story, smaller): enough for the
// CLV and churn models.
let seed = 2026;
const rand = () => { // mulberry32: the same history every run
  let z = (seed = (seed + 0x6d2b79f5) | 0);
  z = Math.imul(z ^ (z >>> 15), z | 1);
  z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
  return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
};
const history = [];
const more = 240;
for (let m = 1; m <= more; m++) {
  let first, last;
  if (m <= 120) { first = 300 + Math.floor(rand() * 240); last = Math.floor(rand() * 14); }
  else if (m <= 170) { first = 420 + Math.floor(rand() * 120); last = 120 + Math.floor(rand() * 90); }
  else if (m <= 210) { last = 400 + Math.floor(rand() * 140); first = last + 200 + Math.floor(rand() * 100); }
  else { first = 5 + Math.floor(rand() * 55); last = Math.floor(rand() * 5); }
  const pace = 6 + Math.floor(-Math.log(1 - rand()) * 25), basket = 3000 + Math.floor(-Math.log(1 - rand()) * 12000);
  for (let day = last; day <= first; day += 1 + Math.floor(-Math.log(1 - rand()) * pace)) {
    const amount = Math.floor(basket * (0.5 + rand()));
    history.push(JSON.stringify({id: `h-${history.length + 1}`, partner: rand() < 0.7 ? "bank" : "shop",
      member: `h${String(m).padStart(3, "0")}`, occurred_at: new Date(Date.now() - day * 86400000 - 3600000).toISOString(),
      amount_minor: amount, points: Math.floor(amount / 100)}));
  }
}
const imported = await fetch(`${base}/v1/import/transactions`, {method: "POST",
  headers: {Authorization: `Bearer ${owner}`}, body: history.join("\n") + "\n"});
const importAnswer = await imported.text();
record("POST", "/v1/import/transactions", imported.status, imported.headers.get("content-type"), importAnswer);
if (imported.status !== 200) throw new Error(`import: ${imported.status} ${importAnswer}`);
members.push(...Array.from({length: more}, (_, i) => `h${String(i + 1).padStart(3, "0")}`));
const alice = await must("GET", "/v1/members/alice", {bearer: owner});
console.log(`console: alliance made: ${members.length} members, ${n} earnings, ${history.length} imported, alice has ${alice.balance.available} points`);

// ---- the browser ----

const browser = await chromium.launch({executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]});
const problems = [];

async function newPage() {
  const context = await browser.newContext({acceptDownloads: true, viewport: {width: 1280, height: 900}, locale: "en-GB"});
  const page = await context.newPage();
  shown = page;
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", async (res) => {
    const body = res.status() === 301 ? "" : await res.text().catch(() => null);
    record(res.request().method(), res.url(), res.status(), res.headers()["content-type"], body);
  });
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 40[13]|status of 400/.test(m.text())) problems.push(`console error: ${m.text()}`);
  });
  return {context, page};
}

const axeReports = [];
async function look(page, name) {
  await page.waitForFunction(() => !document.querySelector(".busy"), null, {timeout: 60000});
  await page.screenshot({path: path.join(shots, `${name}.png`), fullPage: true});
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, {resultTypes: ["violations"]}));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  axeReports.push(`${name}: ${result.violations.length} violations, ${bad.length} serious or critical` +
    result.violations.map((v) => ` [${v.id}, ${v.impact}]`).join(""));
  ok(bad.length === 0, `${name}: accessibility: ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((x) => x.target).join(" ")}`).join("; ")}`);
}

async function signIn(page, key) {
  await page.goto(`${base}/console/`);
  await page.waitForSelector("#key");
  await page.fill("#key", key);
  await page.click("#sign-in");
  await page.waitForSelector("#nav a");
}

const go = async (page, hash, selector) => {
  await page.evaluate((h) => { location.hash = h; }, hash);
  if (selector) await page.waitForSelector(selector, {timeout: 60000});
  await page.waitForFunction(() => !document.querySelector(".busy"), null, {timeout: 60000});
};

async function journeys() {
  const {context, page} = await newPage();

  // 1. Sign in: the key becomes a session cookie, HttpOnly and SameSite=Strict.
  await page.goto(`${base}/console/`);
  await page.waitForSelector("#key");
  await look(page, "01-sign-in");
  const csp = (await page.request.get(`${base}/console/`)).headers()["content-security-policy"];
  ok(/script-src 'self'/.test(csp) && !/unsafe-inline/.test(csp), "a strict Content-Security-Policy");
  await page.fill("#key", "ak_" + "0".repeat(64));
  await page.click("#sign-in");
  await page.waitForSelector(".error");
  ok((await page.textContent(".error")).includes("does not sign in"), "a wrong key is refused");
  await page.fill("#key", owner);
  await page.click("#sign-in");
  await page.waitForSelector("#kpi-members");
  const cookie = (await context.cookies()).find((c) => c.name === "alliance_session");
  ok(cookie && cookie.httpOnly && cookie.sameSite === "Strict", "the session cookie is HttpOnly and SameSite=Strict");
  ok(!(await page.evaluate(() => document.cookie)).includes("alliance_session"), "scripts cannot read the session");
  ok((await page.textContent("#kpi-members strong")) === String(members.length), "the overview counts the members");
  ok((await page.textContent("#who")).includes("owner"), "signed in as the owner");
  await look(page, "02-overview");

  // A change without the session's CSRF token is refused, and changes nothing.
  const forged = await page.evaluate(async () => {
    const r = await fetch("/v1/members", {method: "POST", body: JSON.stringify({id: "mallory"})});
    return {status: r.status, body: await r.json()};
  });
  ok(forged.status === 403 && forged.body.error.code === "csrf_token_mismatch", "a change without the CSRF token is refused");
  ok((await call("GET", "/v1/members/mallory", {bearer: owner})).status === 404, "the refused change made nothing");

  // 2. Find a member and read the 360 view; the XSS payload stays text.
  await go(page, "#/members", "#member-prefix");
  await page.fill("#member-prefix", "ali");
  await page.click("#member-search");
  await page.waitForSelector("#member-list a[href='#/members/alice']");
  ok((await page.$$("#member-list tbody tr")).length === 1, "the search finds alice only");
  await look(page, "03-members");
  await page.click("#member-list a[href='#/members/alice']");
  await page.waitForSelector("#member-available");
  await page.waitForSelector("#member-history table");
  ok((await page.textContent("#member-available")).replace(/\D/g, "") === String(alice.balance.available), "the 360 view's balance is the ledger's");
  ok((await page.textContent("#member-profile")).includes(xss), "the profile's payload is shown as text");
  ok(await page.evaluate(() => window.__xss === undefined && !document.querySelector("#member-profile img, #member-profile script")),
    "the payload made no element and ran nothing");
  ok((await page.textContent("#member-history")).includes("mcc:5411"), "the history shows each booking's breakdown");
  await look(page, "04-member-360");

  // 3. Rules: an error at its JSON path; a dry run; publish; the next earning applies it.
  await go(page, "#/rules", "#rules-draft");
  const live = JSON.parse(await page.inputValue("#rules-draft"));
  const broken = structuredClone(live);
  broken.tiers.levels[1].threshold = "lots";
  await page.fill("#rules-draft", JSON.stringify(broken, null, 2));
  await page.click("#rules-check");
  await page.waitForSelector("#rules-error");
  ok((await page.textContent("#rules-error")).includes("$.tiers.levels[1].threshold"), "the error names its JSON path");
  const selected = await page.evaluate(() => { const e = document.getElementById("rules-draft"); return e.value.slice(e.selectionStart, e.selectionEnd); });
  ok(selected === '"lots"', "the editor selects the value at fault");
  const next = structuredClone(live);
  next.promotions = [{id: "bank-bonus", bonus_points: 77, partners: ["bank"]}];
  await page.fill("#rules-draft", JSON.stringify(next, null, 2));
  await page.selectOption("#dry-partner", "bank");
  await page.fill("#dry-member", "bob");
  await page.fill("#dry-data", JSON.stringify({type: "purchase", amount_minor: 10000, currency: "CNY", mcc: "5411"}));
  await page.click("#dry-run");
  await page.waitForSelector("#dry-result");
  ok((await page.textContent("#dry-result")).includes("bank-bonus"), "the dry run applies the draft");
  await page.click("#rules-publish");
  await page.waitForSelector("#rules-out .notice:has-text('Published')");
  ok((await page.textContent("#rules-out")).includes("version 2"), "publishing makes version 2");
  await page.selectOption("#diff-a", "1");
  await page.selectOption("#diff-b", "2");
  await page.click("#diff-run");
  await page.waitForSelector("#rules-diff .add");
  ok((await page.textContent("#rules-diff .add:has-text('bonus_points')")).includes("77"), "the diff shows the new promotion");
  await look(page, "05-rules");
  const earned = await must("POST", "/v1/transactions", {partner: bank, body: {id: "t-after-rule", member: "bob",
    data: {type: "purchase", amount_minor: 10000, currency: "CNY", mcc: "5411"}}});
  const booked = await must("GET", "/v1/transactions/t-after-rule", {partner: bank});
  ok(earned.points === 100 + 77 && JSON.stringify(booked).includes("bank-bonus"),
    "the next earning applies the published rule (100 points and the 77 of bank-bonus)");

  // 4. Settlement: draft a period, its lines and provenance, close, download the CSV and signature.
  await go(page, "#/settlement", "#period-end");
  const end = new Date(Date.now() + 1000).toISOString().slice(0, 19);
  await page.fill("#period-start", new Date(Date.now() - 86400000).toISOString().slice(0, 19));
  await page.fill("#period-end", end);
  await page.waitForTimeout(6500); // a period closes once its end is 5 s past
  await page.click("#draft");
  await page.waitForSelector("#statement-title");
  ok((await page.textContent("#statement-status")) === "draft", "a draft statement");
  ok(await page.$("svg.chart[aria-label^='Provenance'] rect"), "the provenance heat map is drawn");
  ok((await page.textContent("main")).includes("bank"), "the lines name the partners");
  await look(page, "06-settlement-draft");
  await page.click("#close");
  await page.waitForSelector("#download-sig");
  ok((await page.textContent("#statement-status")) === "closed", "the statement is closed");
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-csv")]);
  const csv = fs.readFileSync(await csvDownload.path(), "utf8");
  ok(csvDownload.suggestedFilename() === "statement-1.csv" && csv.includes("partner,bank"), "the CSV downloads");
  const [sigDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download-sig")]);
  const signature = fs.readFileSync(await sigDownload.path(), "utf8").trim();
  ok(signature.length >= 64, "the signature downloads");
  await look(page, "07-settlement-closed");
  await go(page, "#/settlement", "#statements table");
  ok((await page.textContent("#statements")).includes("closed"), "closed statements are listed");

  // 5. Every analytics page.
  for (const tab of ["rfm", "pareto", "clv", "churn", "lifecycle", "affinity"]) {
    await go(page, `#/analytics/${tab}`, `#analytics-${tab} table, #analytics-${tab} svg`);
    ok(!(await page.$(`#analytics-${tab} .error`)), `analytics ${tab} answers`);
    await look(page, `08-analytics-${tab}`);
  }
  ok(/Gini coefficient: 0\.\d{3}/.test(await (await go(page, "#/analytics/pareto", "#gini"), page.textContent("#gini"))), "the Gini coefficient is shown");

  // 6. Partners, the audit log, people (a viewer's key for later).
  await go(page, "#/partners", "main table");
  await look(page, "09-partners");
  await go(page, "#/partners/bank", "main table");
  ok((await page.textContent("main")).includes("Effective from"), "a partner's contracts with their dates");
  await page.fill("#contract-from", "2031-01-01T00:00");
  await page.fill("#contract-redeem", "650");
  await page.click("#contract-add");
  await page.waitForSelector("main table:has-text('2031')");
  const contracts = await must("GET", "/v1/partners/bank/contracts", {bearer: owner});
  ok(contracts.contracts.length === 2 && contracts.contracts[1].effective_from === "2031-01-01T00:00:00Z" &&
    contracts.contracts[1].redeem_minor_per_1000 === 650, "a new contract from a date");
  const cfg = JSON.parse(await page.inputValue("#partner-config"));
  await page.fill("#partner-config", JSON.stringify({...cfg, spend_minor_per_point: -5}));
  await page.click("#config-save");
  await page.waitForSelector("main .error");
  ok((await must("GET", "/v1/partners/bank", {bearer: owner})).config.spend_minor_per_point === 100,
    "the plugin refuses a bad config; nothing changes");
  await look(page, "10-partner");
  await go(page, "#/audit", "#audit-list table");
  await page.click("#audit-verify");
  await page.waitForSelector("main .notice");
  ok((await page.textContent("main .notice")).includes("The chain holds"), "the audit chain verifies");
  ok((await page.textContent("#audit-list")).includes("rules.publish"), "the audit log records the publication");
  await look(page, "11-audit");
  await go(page, "#/people", "#key-name");
  await page.fill("#key-name", "Vera <b>Viewer</b>");
  await page.selectOption("#key-role", "viewer");
  await page.click("#key-create");
  await page.waitForSelector("#key-made .notice");
  const viewerKey = /ak_[0-9a-f]{64}/.exec(await page.textContent("#key-made"))[0];
  await look(page, "12-people");

  // 7. Chinese: labels and numbers for the locale.
  await page.selectOption("#lang", "zh");
  await go(page, "#/overview", "#kpi-members");
  ok((await page.textContent("#nav")).includes("概览") && (await page.textContent("#kpi-outstanding")).includes("未兑换积分"), "the console speaks Chinese");
  await look(page, "13-overview-zh");
  await page.selectOption("#lang", "en");

  // 8. Sign out: the session is gone.
  await page.click("#sign-out");
  await page.waitForSelector("#key");
  const after = await page.evaluate(async () => (await fetch("/v1/console/session")).status);
  ok(after === 401, "signed out: the session no longer answers");
  await context.close();

  // 9. A viewer reads but cannot publish or close, even with the buttons forced.
  const draft = await must("POST", "/v1/settlements", {bearer: owner, body: {period_start: end + "Z",
    period_end: new Date().toISOString()}}); // after the closed one
  const v = await newPage();
  await signIn(v.page, viewerKey);
  ok((await v.page.textContent("#who")).includes("viewer"), "signed in as a viewer");
  await go(v.page, "#/rules", "#rules-publish");
  ok(await v.page.isDisabled("#rules-publish"), "a viewer's publish button is off");
  await v.page.evaluate(() => document.getElementById("rules-publish").removeAttribute("disabled"));
  await v.page.click("#rules-publish");
  await v.page.waitForSelector("#rules-out .error");
  ok((await v.page.textContent("#rules-out .error")).includes("forbidden"), "the server refuses a viewer's publication");
  ok((await must("GET", "/v1/rules", {bearer: owner})).version === 2, "the rules are unchanged");
  await look(v.page, "14-viewer-rules");
  await go(v.page, `#/settlement/${draft.id}`, "#close");
  ok(await v.page.isDisabled("#close"), "a viewer's close button is off");
  await v.page.evaluate(() => document.getElementById("close").removeAttribute("disabled"));
  await v.page.click("#close");
  await v.page.waitForSelector("main .error");
  ok((await v.page.textContent("main .error")).includes("forbidden"), "the server refuses a viewer's close");
  ok((await must("GET", `/v1/settlements/${draft.id}`, {bearer: owner})).status === "draft", "the statement stays a draft");
  await look(v.page, "15-viewer-settlement");
  ok(!(await v.page.$("#nav a[href='#/people']")), "a viewer has no people page");
  await v.context.close();

  // Revoking the viewer's key ends its sessions at once.
  const keys = await must("GET", "/v1/admin-keys", {bearer: owner});
  const vk = keys.keys.find((k) => k.role === "viewer");
  ok(vk && vk.name === "Vera <b>Viewer</b>", "the viewer's key is listed under its name");
  await must("DELETE", `/v1/admin-keys/${vk.id}`, {bearer: owner});
  ok((await call("GET", "/v1/rules", {bearer: viewerKey})).status === 401, "a revoked key no longer works");

  await browser.close();
  ok(problems.length === 0, `no script errors and no CSP violations: ${problems.join("; ")}`);
  for (const line of axeReports) console.log(`console: axe ${line}`);
  console.log(`console: ${checks} checks passed; screenshots of ${fs.readdirSync(shots).length} pages in ${shots}`);
}

try {
  await journeys();
} catch (err) {
  console.error(err.message);
  if (shown) await shown.screenshot({path: path.join(shots, "failure.png"), fullPage: true}).catch(() => {});
  await browser.close();
  process.exit(1);
}

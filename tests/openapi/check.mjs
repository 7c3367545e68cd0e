// The OpenAPI check (make test): docs/openapi.json must be a valid OpenAPI 3.1
// document, name exactly the routes of server/api/routes.c, and describe every
// answer the integration tests received (recorded by the harness, one JSON line
// each: method, path, status, content type, body). It fails on a status an
// operation does not list, a body its schema refuses, a content type it does
// not give, or a route the document leaves out.
//
//   node check.mjs docs/openapi.json records.jsonl server/api/routes.c
import fs from "node:fs";
import readline from "node:readline";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { Validator } from "@seriousme/openapi-schema-validator";

const [docPath, recordsPath, routesPath] = process.argv.slice(2);
if (!docPath || !recordsPath || !routesPath) {
  console.error("usage: node check.mjs openapi.json records.jsonl routes.c");
  process.exit(2);
}
const doc = JSON.parse(fs.readFileSync(docPath, "utf8"));
const problems = [];
const fail = (msg) => {
  if (problems.length < 200) problems.push(msg);
};

// 1. The document itself.
const shape = await new Validator().validate(structuredClone(doc));
if (!shape.valid) {
  console.error("openapi: docs/openapi.json is not a valid OpenAPI 3.1 document:");
  console.error(JSON.stringify(shape.errors, null, 2).slice(0, 4000));
  process.exit(1);
}

// 2. The routes the server has, and the document's operations.
const METHODS = ["get", "put", "post", "delete", "patch"];
const routes = [];
for (const line of fs.readFileSync(routesPath, "utf8").split("\n")) {
  const m = line.match(/^\s*\{"([A-Z]+)", "([^"]+)"/);
  if (m) routes.push(`${m[1].toLowerCase()} ${m[2]}`);
}
const operations = [];
for (const [path, item] of Object.entries(doc.paths))
  for (const m of METHODS) if (item[m]) operations.push(`${m} ${path}`);
for (const r of routes) if (!operations.includes(r)) fail(`route ${r} is not in the document`);
for (const o of operations) if (!routes.includes(o)) fail(`the document's ${o} is no route`);

// 3. Every answer recorded.
const templates = Object.keys(doc.paths)
  .map((p) => ({
    path: p,
    params: (p.match(/\{/g) || []).length,
    re: new RegExp(
      "^" + p.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]+") + "$",
    ),
  }))
  .sort((a, b) => a.params - b.params); // /settlements/public-key before /settlements/{id}
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema({ ...doc, $id: "openapi.json" });
const compiled = new Map();
const validatorOf = (pointer) => {
  if (!compiled.has(pointer)) compiled.set(pointer, ajv.compile({ $ref: `openapi.json#${pointer}` }));
  return compiled.get(pointer);
};
const escape = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");
const seen = new Set();
let answers = 0,
  bodies = 0,
  unmatched = 0;

function checkBody(where, pointer, rec) {
  if (rec.body === null) return; // too large to record: the status was checked
  let value;
  try {
    value = JSON.parse(rec.body);
  } catch {
    return fail(`${where}: the body is not JSON: ${rec.body.slice(0, 120)}`);
  }
  const v = validatorOf(pointer);
  bodies++;
  if (!v(value))
    fail(`${where}: ${ajv.errorsText(v.errors)}; body ${rec.body.slice(0, 300)}`);
}

const lines = readline.createInterface({ input: fs.createReadStream(recordsPath) });
for await (const line of lines) {
  if (!line.trim()) continue;
  const rec = JSON.parse(line);
  answers++;
  const path = rec.path.split("?")[0].split("#")[0]; // a fragment is never sent: the server saw the rest
  const method = rec.method.toLowerCase();
  const where = `${rec.method} ${rec.path.slice(0, 120)} -> ${rec.status}`;
  const t = templates.find((x) => x.re.test(path));
  const ct = (rec.content_type || "").split(";")[0].trim();
  if (!t || !doc.paths[t.path][method]) {
    // Not an operation: the server must refuse it with its error envelope.
    unmatched++;
    if (![400, 404, 405, 413, 414, 431].includes(rec.status))
      fail(`${where}: no operation, yet not refused`);
    else if (ct !== "application/json") fail(`${where}: an error that is not JSON`);
    else checkBody(where, "/components/schemas/Error", rec);
    continue;
  }
  const op = doc.paths[t.path][method];
  seen.add(`${method} ${t.path} ${rec.status}`);
  const status = String(rec.status);
  const response = op.responses[status] ?? op.responses.default;
  if (!response) {
    fail(`${where}: status ${status} is not documented for ${method} ${t.path}`);
    continue;
  }
  let pointer = `/paths/${escape(t.path)}/${method}/responses/${op.responses[status] ? status : "default"}`;
  let resolved = response;
  if (response.$ref) {
    pointer = response.$ref.slice(1);
    resolved = pointer.split("/").slice(1).reduce((o, k) => o[k.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
  }
  if (!resolved.content) continue;
  if (!resolved.content[ct]) {
    fail(`${where}: content type "${ct}" is not one of ${Object.keys(resolved.content)}`);
    continue;
  }
  if (ct === "application/json" && resolved.content[ct].schema)
    checkBody(where, `${pointer}/content/${escape(ct)}/schema`, rec);
}

const exercised = new Set([...seen].map((s) => s.split(" ").slice(0, 2).join(" ")));
const idle = operations.filter((o) => !exercised.has(o));
console.log(
  `openapi: ${operations.length} operations, ${routes.length} routes; ${answers} answers checked ` +
    `(${bodies} bodies against their schemas, ${unmatched} to no operation); ` +
    `${exercised.size} operations exercised${idle.length ? `, not by the suite: ${idle.join(", ")}` : ""}`,
);
if (problems.length) {
  console.error(`openapi: ${problems.length} mismatches:`);
  for (const p of problems) console.error("  " + p);
  process.exit(1);
}

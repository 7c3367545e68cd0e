// The console's calls to the server's API. A session cookie (HttpOnly, set by
// POST /v1/console/session) goes with each call by itself; every change also
// carries the session's CSRF token. Errors come back as ApiError with the
// server's stable code.

let session = null; // {tenant, role, key_id, csrf_token, expires_in}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function current() { return session; }

// Which roles may make which change (the server checks it again on every call).
const may = {
  publish: ["owner", "program"], members: ["owner", "program"],
  settle: ["owner", "finance"], partners: ["owner"], people: ["owner"],
};
export function allowed(what) { return session !== null && may[what].includes(session.role); }

// Listeners told when the session ends (the app shows the sign-in form).
const ended = [];
export function onSessionEnd(fn) { ended.push(fn); }

async function call(method, path, body, signal, raw) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session) headers["X-CSRF-Token"] = session.csrf_token;
  const res = await fetch(path, {
    method, headers, signal, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (raw && res.ok) return res;
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    const err = json && json.error ? json.error : {code: "http_" + res.status, message: text};
    if (res.status === 401 && session && path !== "/v1/console/session") {
      session = null;
      ended.forEach((fn) => fn());
    }
    throw new ApiError(res.status, err.code, err.message);
  }
  return json;
}

export const get = (path, signal) => call("GET", path, undefined, signal);
export const post = (path, body, signal) => call("POST", path, body === undefined ? {} : body, signal);
export const put = (path, body) => call("PUT", path, body);
export const patch = (path, body) => call("PATCH", path, body);
export const del = (path) => call("DELETE", path);
export const getRaw = (path) => call("GET", path, undefined, undefined, true);

export async function signIn(key) {
  session = await call("POST", "/v1/console/session", {key});
  return session;
}

// The session this browser already holds (a reloaded page), or null.
export async function resume() {
  try {
    session = await call("GET", "/v1/console/session");
  } catch {
    session = null;
  }
  return session;
}

export async function signOut() {
  try { await call("DELETE", "/v1/console/session"); } finally { session = null; }
}

// "?a=1&b=2" of the set values of params.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

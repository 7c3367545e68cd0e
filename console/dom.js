// Building the page from data, safely: every string a member, partner or
// admin supplied goes in as text (a Text node), never as markup. No innerHTML.

// h("tag", {attr: value, on: {click: fn}}, child, ...): an element. A child is
// a node, a string or number (made text), null (skipped) or an array of them.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// A table: columns [{label, cell(row) -> node|string, num: bool}], rows.
export function table(columns, rows, caption) {
  return h("table", {class: "grid"},
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {scope: "col", class: c.num ? "num" : null}, c.label)))),
    h("tbody", {}, rows.length === 0 ? h("tr", {}, h("td", {colspan: columns.length, class: "muted"}, "—"))
      : rows.map((r) => h("tr", {}, columns.map((c) => h("td", {class: c.num ? "num" : null}, c.cell(r)))))));
}

// A labelled field: <label>text <input ...></label>.
export function field(label, input) {
  return h("label", {class: "field"}, h("span", {}, label), input);
}

// Saves text as a file the browser downloads.
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], {type: type || "text/plain"}));
  const a = h("a", {href: url, download: name, hidden: true});
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// The run page's Lamport diagram (inlined into index.html by run_page.rs; the data comes from
// run-data.js, see run_data.rs). One row per journal event, as in Maelstrom's net/viz.clj, drawn
// into one <canvas> the size of the visible area: each frame draws only the rows in view, found
// through buckets of rows, so a run of 60,000 messages costs what one screen of it costs.
"use strict";
(function () {
  const D = window.RUN_DATA;
  const $ = (id) => document.getElementById(id);
  if (!D) {
    $("status").textContent = "run-data.js did not load: this page needs it beside index.html.";
    return;
  }
  const HEADER = 22, GUTTER = 64, BUCKET = 64, MIN_COL = 40;
  const COLORS = ["#6DB6FE", "#FEB5DA", "#FFAA26", "#cccccc"]; // ok, fail, info, no completion
  const OUTCOMES = ["ok", "fail", "info", "no completion"];
  const M = D.m, T = D.t, nMsgs = M.length / 7, nRows = T.length;
  const isClient = (name) => /^c[0-9]+$/.test(name);
  const nodeOn = new Uint8Array(D.nodes.length).fill(1);
  const typeOn = new Uint8Array(D.types.length).fill(1);
  const highlight = new Uint8Array(nMsgs);
  let rowH = 14, highlighted = 0, selMsg = -1, selOp = -1;
  let L = null; // the layout for the current filters
  let frame = { segments: [], bars: [], headers: [] };
  const diagram = $("diagram"), canvas = $("canvas"), spacer = $("spacer"), panel = $("panel");
  const ctx = canvas.getContext("2d");

  // Which rows, columns, messages and ops the filters leave, and the buckets that find them.
  function layout() {
    const col = new Int32Array(D.nodes.length).fill(-1);
    let ncols = 0;
    // Servers and services first, clients after them: with 25 nodes and their clients the
    // first screen shows the nodes, not only clients.
    D.nodes.forEach((n, i) => { if (nodeOn[i] && !isClient(n)) col[i] = ncols++; });
    D.nodes.forEach((n, i) => { if (nodeOn[i] && isClient(n)) col[i] = ncols++; });
    const rowOn = new Uint8Array(nRows);
    const msgs = [];
    for (let i = 0; i < nMsgs; i++) {
      const b = i * 7;
      if (col[M[b]] < 0 || col[M[b + 1]] < 0 || !typeOn[M[b + 2]]) continue;
      msgs.push(i);
      rowOn[M[b + 3]] = 1;
      if (M[b + 4] >= 0) rowOn[M[b + 4]] = 1;
    }
    // row[r]: the new row of the first kept row at or after old row r.
    const row = new Int32Array(nRows + 1), rows = [];
    for (let r = 0; r < nRows; r++) { row[r] = rows.length; if (rowOn[r]) rows.push(r); }
    row[nRows] = rows.length;
    const buckets = [], opBuckets = [];
    const add = (list, a, b, i) => {
      for (let k = Math.floor(a / BUCKET); k <= Math.floor(b / BUCKET); k++) (list[k] || (list[k] = [])).push(i);
    };
    for (const i of msgs) {
      const s = row[M[i * 7 + 3]], r = M[i * 7 + 4];
      add(buckets, s, r >= 0 ? row[r] : s + 2, i);
    }
    const opRows = D.ops.map((op) => {
      const a = row[Math.min(nRows, op[2])], b = Math.max(a, row[Math.min(nRows, op[3] + 1)] - 1);
      return [a, b];
    });
    D.ops.forEach((op, i) => { if (col[op[0]] >= 0) add(opBuckets, opRows[i][0], opRows[i][1], i); });
    return { col, ncols, rows, row, msgs, buckets, opBuckets, opRows };
  }

  function colW() { return Math.max(MIN_COL, Math.floor((diagram.clientWidth - GUTTER) / Math.max(1, L.ncols))); }
  function xOf(node) { return GUTTER + (L.col[node] + 0.5) * colW() - diagram.scrollLeft; }
  function yOf(row) { return HEADER + (row + 0.5) * rowH - diagram.scrollTop; }

  function resize() {
    const w = diagram.clientWidth, h = diagram.clientHeight, dpr = window.devicePixelRatio || 1;
    canvas.width = w * dpr; canvas.height = h * dpr;
    canvas.style.width = w + "px"; canvas.style.height = h + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    spacer.style.width = GUTTER + L.ncols * colW() + "px";
    spacer.style.height = Math.max(0, HEADER + L.rows.length * rowH + 40 - h) + "px";
  }

  function draw() {
    const w = diagram.clientWidth, h = diagram.clientHeight, cw = colW();
    ctx.clearRect(0, 0, w, h);
    ctx.font = "11px sans-serif";
    const r0 = Math.max(0, Math.floor((diagram.scrollTop - HEADER) / rowH));
    const r1 = Math.min(L.rows.length, Math.ceil((diagram.scrollTop + h) / rowH));
    const next = { segments: [], bars: [], headers: [] };
    // Faults: spans shaded in their fault's colour over the rows between start and end.
    for (const s of D.spans) {
      const a = L.row[s[0]], b = L.row[Math.min(nRows, s[1] + 1)];
      if (b < r0 || a > r1) continue;
      const fault = D.faults[s[4]] || { name: "fault", color: "#CCCCCC" };
      ctx.globalAlpha = 0.4;
      ctx.fillStyle = fault.color;
      ctx.fillRect(GUTTER, yOf(a) - rowH / 2, w, (b - a) * rowH);
      ctx.globalAlpha = 1;
      ctx.fillStyle = "#555";
      ctx.fillText(fault.name + " " + s[2] + "\u2013" + s[3] + " ms", GUTTER + 4, Math.max(HEADER + 12, yOf(a) + 4));
    }
    ctx.strokeStyle = "#ddd"; ctx.lineWidth = 1;
    D.nodes.forEach((_, n) => {
      if (L.col[n] < 0) return;
      const x = xOf(n);
      ctx.beginPath(); ctx.moveTo(x, HEADER); ctx.lineTo(x, h); ctx.stroke();
    });
    // Node lifetimes: a band in the fault's colour over a node's line while it was dead
    // (kill) or stopped (pause).
    for (const d of D.downs || []) {
      if (L.col[d[0]] < 0) continue;
      const a = L.row[Math.min(nRows, d[1])], b = L.row[Math.min(nRows, d[2] + 1)];
      if (b < r0 || a > r1) continue;
      const fault = D.faults[d[5]] || { name: "fault", color: "#CCCCCC" };
      ctx.fillStyle = fault.color;
      ctx.fillRect(xOf(d[0]) - 3, yOf(a) - rowH / 2, 6, Math.max(rowH, (b - a) * rowH));
      ctx.fillStyle = "#555";
      ctx.fillText(fault.name === "kill" ? "dead" : fault.name + "d", xOf(d[0]) + 5, Math.max(HEADER + 24, yOf(a) + 4));
    }
    // Ops: a bar left of their node's line from invocation to completion.
    const seenOp = new Set();
    for (let k = Math.floor(r0 / BUCKET); k <= Math.floor(r1 / BUCKET); k++) {
      for (const i of L.opBuckets[k] || []) {
        if (seenOp.has(i)) continue;
        seenOp.add(i);
        const op = D.ops[i], [a, b] = L.opRows[i];
        if (b < r0 || a > r1) continue;
        const x = xOf(op[0]) - 7 - 5 * op[1], y = yOf(a) - rowH / 2, bh = (b - a + 1) * rowH;
        ctx.fillStyle = COLORS[op[4]];
        ctx.fillRect(x, y, 4, bh);
        if (i === selOp) { ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.strokeRect(x - 1, y, 6, bh); }
        next.bars.push([x - 1, y, 6, bh, i]);
      }
    }
    // Messages: an arrow from the send row to the delivery row; dropped ones end in a cross.
    const seen = new Set(), labels = rowH >= 12;
    for (let k = Math.floor(r0 / BUCKET); k <= Math.floor(r1 / BUCKET); k++) {
      for (const i of L.buckets[k] || []) {
        if (seen.has(i)) continue;
        seen.add(i);
        const b = i * 7, s = L.row[M[b + 3]], dropped = M[b + 4] < 0;
        const r = dropped ? s + 1 : L.row[M[b + 4]];
        if (r < r0 || s > r1) continue;
        const x0 = xOf(M[b]), y0 = yOf(s);
        let x1 = xOf(M[b + 1]), y1 = yOf(r);
        if (dropped) x1 = x0 + (x1 - x0) * 0.4;
        const color = M[b + 5] & 4 ? "#FF1E90" : M[b + 5] & 1 ? "#81BFFC" : "#000";
        ctx.globalAlpha = highlighted && !highlight[i] ? 0.15 : 1;
        ctx.strokeStyle = i === selMsg ? "#D96918" : highlight[i] ? "#7A3DB8" : color;
        ctx.fillStyle = ctx.strokeStyle;
        ctx.lineWidth = i === selMsg || highlight[i] ? 3 : 1.2;
        ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
        if (dropped) {
          ctx.strokeStyle = "#FF1E90";
          ctx.beginPath(); ctx.moveTo(x1 - 4, y1 - 4); ctx.lineTo(x1 + 4, y1 + 4);
          ctx.moveTo(x1 - 4, y1 + 4); ctx.lineTo(x1 + 4, y1 - 4); ctx.stroke();
        } else {
          const a = Math.atan2(y1 - y0, x1 - x0);
          ctx.beginPath(); ctx.moveTo(x1, y1);
          ctx.lineTo(x1 - 8 * Math.cos(a - 0.4), y1 - 8 * Math.sin(a - 0.4));
          ctx.lineTo(x1 - 8 * Math.cos(a + 0.4), y1 - 8 * Math.sin(a + 0.4));
          ctx.fill();
        }
        if (labels && seen.size < 600) {
          ctx.fillStyle = "#333";
          ctx.fillText(D.types[M[b + 2]], (x0 + x1) / 2 + 3, (y0 + y1) / 2 - 3);
        }
        ctx.globalAlpha = 1;
        next.segments.push([x0, y0, x1, y1, i]);
      }
    }
    // The time gutter, then the header with the node names, drawn over the rest.
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, GUTTER - 2, h);
    ctx.fillStyle = "#666";
    const every = Math.max(1, Math.ceil(40 / rowH));
    for (let r = r0 - (r0 % every); r < r1; r += every) {
      if (r >= 0 && r < L.rows.length) ctx.fillText(T[L.rows[r]] + " ms", 2, yOf(r) + 4);
    }
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, HEADER);
    ctx.fillStyle = "#000"; ctx.textAlign = "center";
    // Left to right, in column order.
    const shown = D.nodes.map((_, n) => n).filter((n) => L.col[n] >= 0).sort((a, b) => L.col[a] - L.col[b]);
    for (const n of shown) {
      const x = xOf(n);
      if (x < GUTTER - cw / 2 || x > w + cw / 2) continue;
      ctx.fillText(D.nodes[n], x, 15);
      next.headers.push(D.nodes[n]);
    }
    ctx.textAlign = "left";
    frame = next;
  }

  let pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }
  function relayout() { L = layout(); resize(); draw(); status(); }

  function status() {
    $("status").textContent = L.msgs.length + " of " + nMsgs + " messages, " + L.rows.length + " rows" +
      (D.cut ? "; only the first " + nRows + " of the run's " + D.cut.rows + " rows are drawn (journal.jsonl has every event)" : "");
  }

  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  function ms(row) { return row >= 0 ? T[row] + " ms" : "never (dropped by a partition, or sent to a dead node)"; }

  // The body's JSON text laid out one member a line, its numbers kept as the node wrote them
  // (JSON.parse would turn 9007199254740993 into ...992 and 1.0 into 1).
  function indent(json) {
    let out = "", depth = 0, inString = false, escaped = false;
    const pad = () => "\n" + " ".repeat(depth);
    for (const c of json) {
      if (inString) {
        out += c;
        if (escaped) escaped = false;
        else if (c === "\\") escaped = true;
        else if (c === '"') inString = false;
      } else if (c === '"') { inString = true; out += c; }
      else if (c === "{" || c === "[") { depth++; out += c + pad(); }
      else if (c === "}" || c === "]") { depth--; out += pad() + c; }
      else if (c === ",") out += "," + pad();
      else if (c === ":") out += ": ";
      else if (c !== " " && c !== "\n" && c !== "\t" && c !== "\r") out += c;
    }
    // `[]` and `{}` stay on one line (a JSON string holds no raw newline, so this is safe).
    return out.replace(/([[{])\n *\n *([\]}])/g, "$1$2");
  }

  function showMessage(i) {
    selMsg = i;
    const b = i * 7, body = window.RUN_BODIES ? window.RUN_BODIES[i] : null;
    let text;
    if (M[b + 5] & 2) text = body ? indent(body) : "(loading the body from run-bodies.js)";
    else text = "(the journal keeps the bodies of the first 100,000 messages only)";
    const lat = M[b + 4] >= 0 ? " (" + (T[M[b + 4]] - T[M[b + 3]]) + " ms later)" : "";
    panel.innerHTML = "<h3>Message " + M[b + 6] + ": " + esc(D.types[M[b + 2]]) + "</h3><p>" +
      esc(D.nodes[M[b]]) + " \u2192 " + esc(D.nodes[M[b + 1]]) + "</p><p>sent at " + ms(M[b + 3]) +
      "<br>delivered " + (M[b + 4] >= 0 ? "at " + ms(M[b + 4]) + lat : ms(-1)) +
      "</p><pre id=\"body\">" + esc(text) + "</pre>";
    draw(); // at once: the next click must find what this one shows
  }

  // An op: highlight the messages its node sent or received between its invocation and completion.
  function showOp(i, scroll) {
    selOp = i; selMsg = -1;
    const op = D.ops[i];
    highlight.fill(0); highlighted = 0;
    for (let m = 0; m < nMsgs; m++) {
      const b = m * 7;
      if (M[b] !== op[0] && M[b + 1] !== op[0]) continue;
      const s = M[b + 3], r = M[b + 4];
      if ((s >= op[2] && s <= op[3]) || (r >= op[2] && r <= op[3])) { highlight[m] = 1; highlighted++; }
    }
    if (L.col[op[0]] < 0) { nodeOn[op[0]] = 1; syncBoxes(); relayout(); }
    panel.innerHTML = "<h3>Op: " + esc(op[5]) + " (" + OUTCOMES[op[4]] + ")</h3><p>process " + op[6] +
      " on " + esc(D.nodes[op[0]]) + "<br>from " + ms(op[2]) + " to " + ms(op[3]) + "</p><pre id=\"op\">" +
      esc(op[7]) + "</pre><p id=\"op-messages\">" + highlighted + " messages of " + esc(D.nodes[op[0]]) +
      " in between, highlighted</p>";
    if (scroll) {
      diagram.scrollTop = Math.max(0, L.opRows[i][0] * rowH - diagram.clientHeight / 3);
      diagram.scrollLeft = Math.max(0, GUTTER + L.col[op[0]] * colW() - diagram.clientWidth / 2);
      diagram.scrollIntoView({ block: "nearest" });
    }
    draw(); // at once: the next click must find what this one shows
  }

  canvas.addEventListener("click", (e) => {
    const box = canvas.getBoundingClientRect(), x = e.clientX - box.left, y = e.clientY - box.top;
    for (const [bx, by, bw, bh, i] of frame.bars) {
      if (x >= bx - 2 && x <= bx + bw + 2 && y >= by && y <= by + bh) return showOp(i, false);
    }
    let best = -1, bestD = 6;
    for (const [x0, y0, x1, y1, i] of frame.segments) {
      const dx = x1 - x0, dy = y1 - y0, len = dx * dx + dy * dy || 1;
      const t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / len));
      const d = Math.hypot(x - x0 - t * dx, y - y0 - t * dy);
      if (d < bestD) { bestD = d; best = i; }
    }
    if (best >= 0) showMessage(best);
  });
  diagram.addEventListener("scroll", redraw);
  window.addEventListener("resize", () => { resize(); redraw(); });

  // Filters: one box per server and service, one for all clients, one per message type.
  const boxes = [];
  function syncBoxes() { for (const [box, on] of boxes) box.checked = on(); }
  function checkbox(parent, id, label, on, set) {
    const l = document.createElement("label"), box = document.createElement("input");
    box.type = "checkbox"; box.id = id; box.checked = on();
    box.addEventListener("change", () => { set(box.checked); relayout(); });
    l.append(box, " " + label);
    // A space between labels, where a long row of them may wrap.
    parent.append(l, " ");
    boxes.push([box, on]);
  }
  const clients = D.nodes.map((n, i) => (isClient(n) ? i : -1)).filter((i) => i >= 0);
  if (clients.length) {
    checkbox($("node-filter"), "node-clients", "clients (" + clients.length + ")",
      () => clients.every((i) => nodeOn[i]), (on) => clients.forEach((i) => { nodeOn[i] = on; }));
  }
  D.nodes.forEach((n, i) => {
    if (!isClient(n)) checkbox($("node-filter"), "node-" + n, n, () => nodeOn[i] === 1, (on) => { nodeOn[i] = on ? 1 : 0; });
  });
  D.types.forEach((t, i) => checkbox($("type-filter"), "type-" + t, t || "(no type)", () => typeOn[i] === 1, (on) => { typeOn[i] = on ? 1 : 0; }));
  $("row-height").addEventListener("change", (e) => {
    const top = diagram.scrollTop / rowH;
    rowH = Number(e.target.value); relayout(); diagram.scrollTop = top * rowH;
  });

  // Lost and late values: links to the op that added each and to the last read per node that lacked it.
  if (D.lacks.length) {
    const rows = D.lacks.map((v, k) => {
      const link = (op, text) => op < 0 ? "" : "<a href=\"#diagram\" data-op=\"" + op + "\">" + esc(text) + "</a>";
      return "<tr id=\"lack-" + k + "\"><td>" + esc(v.v) + "</td><td>" + v.kind + "</td><td>" +
        link(v.add, "added") + "</td><td>" + v.last.map(([n, op]) => link(op, D.nodes[n])).join(" ") + "</td></tr>";
    });
    // Only late (stale) values, which are allowed: folded, so a valid run opens on its diagram.
    const lost = D.lacks.filter((v) => v.kind === "lost").length;
    const title = lost ? "Lost and late values" :
      D.lacks.length + " values seen late (stale, allowed): when each reached each node";
    $("lacks").innerHTML = "<details id=\"lacks-details\"" + (lost ? " open" : "") + "><summary><h2 style=\"display: inline\">" +
      title + "</h2></summary><p>Each value's add, and on each node the last read " +
      "that lacked it: click to see it in the diagram.</p><div id=\"lacks-box\"><table><thead><tr><th>value</th><th></th>" +
      "<th></th><th>last read without it, per node</th></tr></thead><tbody>" + rows.join("") + "</tbody></table></div></details>";
    $("lacks").addEventListener("click", (e) => {
      const op = e.target.dataset && e.target.dataset.op;
      if (op !== undefined) { e.preventDefault(); showOp(Number(op), true); }
    });
  }

  // Figures for scripts/bench-run-page.sh: when the first frame was drawn (ms since the page
  // was requested), and what the layout and one frame cost.
  const t0 = performance.now();
  L = layout();
  const t1 = performance.now();
  resize(); draw(); status();
  const dataset = document.documentElement.dataset;
  dataset.layoutMs = (t1 - t0).toFixed(0);
  dataset.drawMs = (performance.now() - t1).toFixed(0);
  dataset.firstPaintMs = performance.now().toFixed(0);
  // For the browser test: what the last frame drew (segments, op bars, node names) and the
  // messages highlighted.
  window.runPage = {
    get frame() { return frame; },
    highlightedMessages() { const out = []; highlight.forEach((h, i) => { if (h) out.push(i); }); return out; },
  };
  // Bodies after the first paint: the diagram does not wait for them.
  setTimeout(() => {
    const s = document.createElement("script");
    s.src = "run-bodies.js";
    s.onload = () => { if (selMsg >= 0) showMessage(selMsg); };
    document.head.append(s);
  }, 0);
})();

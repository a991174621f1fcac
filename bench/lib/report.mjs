// Markdown table and hand-written SVG bar chart from the results object.
import { BASELINE, WORKLOAD_BY_ID } from "./workloads.mjs";

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function num(x) {
  if (x >= 1000) return x.toFixed(0);
  if (x >= 100) return x.toFixed(1);
  if (x >= 10) return x.toFixed(2);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

/** the value shown in a cell, in the workload's unit */
export function cellValue(w, m) {
  if (w.unit === "GFLOPS") return m.gflops;
  if (w.unit === "img/s" || w.unit === "tok/s") return m.img_per_s; // tok/s: images = tokens per step
  if (w.unit === "MB") return m.peak_rss_mb; // peak memory rows
  return m.median_ms;
}

export function cell(w, m) {
  if (!m) return "–";
  if (m.status === "n/a") return m.skipped ? "skipped (too slow)" : "n/a";
  if (m.status === "not measured") return "not measured";
  if (m.status !== "ok") {
    const e = String(m.error ?? m.status).replace(/\|/g, "/");
    return `error: ${e.length > 48 ? e.slice(0, 47) + "…" : e}`;
  }
  const v = cellValue(w, m);
  let s = v == null ? "?" : num(v);
  // MB rows: peak RSS (Δ over the process's RSS before the model; wasm = its WebAssembly memory)
  if (w.unit === "MB" && m.delta_rss_mb != null)
    s += ` (Δ ${num(m.delta_rss_mb)}${m.wasm_mb != null ? `; wasm ${num(m.wasm_mb)}` : ""})`;
  if (m.ratio != null) s += ` (${m.ratio.toFixed(2)}×)`;
  if (m.no_tidy_vs_tidy != null) s += ` [no-tidy ${m.no_tidy_vs_tidy.toFixed(2)}×]`; // "… (tidy)" rows
  if (m.note) s += " †";
  return s;
}

export function markdown(results) {
  const { engines, workloads, meta } = results;
  const by = new Map(results.measurements.map((m) => [`${m.engine}|${m.workload}`, m]));
  const lines = [];
  lines.push(`# torchlet bench — ${meta.date}`);
  lines.push("");
  lines.push(
    `Node ${meta.node}, ${meta.cpu} (${meta.cores} cores)` +
      (meta.peak_1t_gflops != null
        ? `, single-core FMA peak ${meta.peak_1t_gflops.toFixed(1)} GFLOPS (${meta.peak?.isa})` +
          (meta.peak_avx2_gflops != null && meta.peak?.isa !== "avx2"
            ? `, ${meta.peak_avx2_gflops.toFixed(1)} with AVX2`
            : "")
        : `, FMA peak: ${meta.peak_error ?? "not measured"}`) +
      (meta.quick ? " — **--quick run**" : ""),
  );
  const load = Math.max(meta.loadavg_before?.[0] ?? 0, meta.loadavg_after?.[0] ?? 0);
  if (load > meta.cores * 0.5) {
    lines.push("");
    lines.push(
      `**Warning:** the machine was busy (1-min load average ${meta.loadavg_before?.[0]} before, ` +
        `${meta.loadavg_after?.[0]} after, on ${meta.cores} cores): numbers are noisy, 2-thread ones most.`,
    );
  }
  lines.push("");
  const header = ["workload", ...engines];
  lines.push(`| ${header.join(" | ")} |`);
  lines.push(`|${header.map((_, i) => (i ? "---:" : "---")).join("|")}|`);
  for (const wid of workloads) {
    const w = WORKLOAD_BY_ID[wid];
    const row = [`${w.label} [${w.unit}]`];
    for (const e of engines) row.push(cell(w, by.get(`${e}|${wid}`)));
    lines.push(`| ${row.join(" | ")} |`);
  }
  lines.push("");
  lines.push(
    `Cells: GFLOPS (higher is better), ms = median wall time per run (lower is better), img/s (higher is better). ` +
      `(x.xx×) = speed vs ${BASELINE} on the same workload = ${BASELINE} time / engine time (>1 = faster). ` +
      `n/a = engine cannot run it; † = see note in latest.json.`,
  );
  if (workloads.some((wid) => WORKLOAD_BY_ID[wid].unit === "MB"))
    lines.push(
      "",
      `MB rows (peak memory, 2²⁰ bytes, lower is better): peak RSS (VmHWM) of a fresh process that made the model ` +
        `and ran it 4 times, 2 with --quick (Δ = over its RSS after the engine's init, before the model; wasm = WebAssembly memory ` +
        `at the end); (x.xx×) there = ${BASELINE}'s peak / the engine's (>1 = less memory).`,
    );
  if (workloads.some((wid) => WORKLOAD_BY_ID[wid].tidyOf))
    lines.push(
      "",
      `"… inside torch.tidy" rows: the row above's training step inside torch.tidy; [no-tidy x.xx×] = ` +
        `no-tidy throughput / tidy throughput, the two steps alternating run by run in one process (≥ 0.90 = within 10%).`,
    );
  const notes = results.measurements.filter((m) => m.note);
  for (const m of notes) lines.push(`- † ${m.engine} / ${m.workload}: ${m.note}`);
  lines.push(...browserSection(results, by));
  if (meta.versions && Object.keys(meta.versions).length) {
    lines.push("");
    lines.push(
      "Engines: " +
        Object.entries(meta.versions)
          .map(([k, v]) => `${k} = ${v}`)
          .join("; "),
    );
  }
  return lines.join("\n") + "\n";
}

/** The Chromium columns (`--browser`): what each loaded, and torchlet vs ORT-web in the same browser
 *  (same thread count), since the main table's ratios are vs tfjs-wasm in Node. */
function browserSection(results, by) {
  const { engines, workloads, meta } = results;
  const cols = engines.filter((e) => e.endsWith("@chromium"));
  if (!cols.length) return [];
  const out = [
    "",
    `**In Chromium** (${meta.browser?.version ?? "headless Chromium"}, a cross-origin isolated page; ` +
      `≥ ${meta.browser?.min_warmup ?? 15} warm-up runs per workload):`,
  ];
  for (const e of cols) {
    const i = meta.engines?.[e] ?? {};
    const parts = [];
    if (i.variant) parts.push(`torchlet-${i.variant}.wasm (${i.isa})`);
    if (i.multithread !== undefined) parts.push(i.multithread ? "threaded build" : "non-threaded build");
    if (i.threads !== undefined) parts.push(`threads ${i.threads}`);
    if (i.crossOriginIsolated !== undefined) parts.push(`crossOriginIsolated ${i.crossOriginIsolated}`);
    if (i.error) parts.push(`error: ${i.error}`);
    out.push(`- ${e}: ${parts.join(", ") || "not run"}`);
  }
  const ours = cols.filter((e) => e.startsWith("wasm-"));
  const peer = (e) => (/-2t@/.test(e) ? "ort-web-2t@chromium" : "ort-web-1t@chromium");
  const rows = workloads.filter((wid) =>
    ours.some((e) => by.get(`${e}|${wid}`)?.status === "ok" && by.get(`${peer(e)}|${wid}`)?.status === "ok"),
  );
  if (!rows.length) return out;
  out.push("");
  out.push(
    "torchlet vs ORT-web in the same browser (ORT-web time / torchlet time at the same thread count; > 1 = torchlet faster):",
  );
  out.push("");
  out.push(`| workload | ${ours.map((e) => `${e} vs ${peer(e).replace("@chromium", "")}`).join(" | ")} |`);
  out.push(`|---|${ours.map(() => "---:").join("|")}|`);
  for (const wid of rows) {
    const cells = ours.map((e) => {
      const a = by.get(`${e}|${wid}`),
        b = by.get(`${peer(e)}|${wid}`);
      return a?.status === "ok" && b?.status === "ok" ? `${(b.median_ms / a.median_ms).toFixed(2)}×` : "–";
    });
    out.push(`| ${WORKLOAD_BY_ID[wid].short} | ${cells.join(" | ")} |`);
  }
  return out;
}

const PALETTE = [
  "#4e79a7",
  "#a0cbe8",
  "#f28e2b",
  "#ffbe7d",
  "#59a14f",
  "#8cd17d",
  "#b6992d",
  "#f1ce63",
  "#499894",
  "#86bcb6",
  "#e15759",
  "#ff9d9a",
  "#79706e",
  "#d37295",
  "#9d7660",
  "#d7b5a6",
  "#7b4f9e",
  "#c9a3e0",
  "#2f6f3e",
  "#a6d96a",
  "#1f3a5f",
  "#fabfd2",
];

/** grouped bars of ratio vs baseline, log2 scale, bars grow up/down from 1× */
export function svg(results) {
  const engines = results.engines.filter((e) => e !== BASELINE);
  const by = new Map(results.measurements.map((m) => [`${m.engine}|${m.workload}`, m]));
  const workloads = results.workloads.filter((wid) => by.get(`${BASELINE}|${wid}`)?.status === "ok");
  const ratios = [];
  for (const wid of workloads)
    for (const e of engines) {
      const r = by.get(`${e}|${wid}`)?.ratio;
      if (r != null && r > 0) ratios.push(r);
    }
  const CLIP = 6; // ±2^6 = 64× clipped
  let hi = Math.min(CLIP, Math.max(1, Math.ceil(Math.log2(Math.max(1, ...ratios)))));
  let lo = Math.max(-CLIP, Math.min(-1, Math.floor(Math.log2(Math.min(1, ...ratios)))));
  const barW = 12,
    gap = 28,
    padL = 70,
    padR = 20,
    padT = 56,
    plotH = 360,
    labelH = 56;
  const groupW = Math.max(1, engines.length) * barW + gap;
  const width = Math.max(640, padL + padR + Math.max(1, workloads.length) * groupW);
  const legendW = engines.some((e) => e.length > 14) ? 180 : 120;
  const legendCols = Math.max(1, Math.floor((width - padL - padR) / legendW));
  const legendRows = Math.ceil(engines.length / legendCols);
  const height = padT + plotH + labelH + legendRows * 20 + 20;
  const y = (l2) => padT + ((hi - l2) / (hi - lo)) * plotH;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(
    `<text x="${padL}" y="22" font-size="16" font-weight="bold">Speed vs ${BASELINE} (×, log scale; &gt;1 = faster)</text>`,
  );
  out.push(
    `<text x="${padL}" y="40" fill="#555">${esc(results.meta.date)} · Node ${esc(results.meta.node)} · ${esc(results.meta.cpu)}${results.meta.quick ? " · --quick" : ""}${Math.max(results.meta.loadavg_before?.[0] ?? 0, results.meta.loadavg_after?.[0] ?? 0) > results.meta.cores * 0.5 ? " · machine busy: noisy" : ""}</text>`,
  );
  for (let l2 = lo; l2 <= hi; l2++) {
    const yy = y(l2);
    const label = l2 >= 0 ? `${2 ** l2}×` : `1/${2 ** -l2}×`;
    out.push(
      `<line x1="${padL}" x2="${width - padR}" y1="${yy}" y2="${yy}" stroke="${l2 === 0 ? "#333" : "#ddd"}" stroke-width="${l2 === 0 ? 1.5 : 1}"/>`,
    );
    out.push(`<text x="${padL - 6}" y="${yy + 4}" text-anchor="end" fill="#333">${label}</text>`);
  }
  workloads.forEach((wid, gi) => {
    const gx = padL + gap / 2 + gi * groupW;
    engines.forEach((e, ei) => {
      const m = by.get(`${e}|${wid}`);
      const x = gx + ei * barW;
      const color = PALETTE[ei % PALETTE.length];
      if (!m || m.ratio == null) {
        if (m && m.status === "error")
          out.push(`<text x="${x + barW / 2}" y="${y(0) - 3}" text-anchor="middle" font-size="9" fill="#c00">×</text>`);
        return;
      }
      const l2 = Math.log2(m.ratio);
      const c = Math.max(lo, Math.min(hi, l2));
      const y0 = y(0),
        y1 = y(c);
      const top = Math.min(y0, y1),
        h = Math.max(1, Math.abs(y1 - y0));
      out.push(
        `<rect x="${x + 1}" y="${top.toFixed(1)}" width="${barW - 2}" height="${h.toFixed(1)}" fill="${color}"><title>${esc(e)} · ${esc(WORKLOAD_BY_ID[wid].label)}: ${m.ratio.toFixed(2)}×</title></rect>`,
      );
      if (c !== l2) {
        const ty = l2 > 0 ? top - 3 : top + h + 10;
        out.push(
          `<text x="${x + barW / 2}" y="${ty}" text-anchor="middle" font-size="9" fill="#000">${m.ratio >= 10 ? m.ratio.toFixed(0) : m.ratio.toFixed(2)}</text>`,
        );
      }
    });
    const lx = gx + (engines.length * barW) / 2;
    const ly = padT + plotH + 30;
    out.push(
      `<text x="${lx}" y="${ly}" text-anchor="middle" font-size="11" fill="#222">${esc(WORKLOAD_BY_ID[wid].short)}<title>${esc(WORKLOAD_BY_ID[wid].label)}</title></text>`,
    );
  });
  const ly0 = padT + plotH + labelH;
  engines.forEach((e, ei) => {
    const col = ei % legendCols,
      row = Math.floor(ei / legendCols);
    const x = padL + col * legendW,
      yy = ly0 + row * 20;
    out.push(`<rect x="${x}" y="${yy - 10}" width="12" height="12" fill="${PALETTE[ei % PALETTE.length]}"/>`);
    out.push(`<text x="${x + 16}" y="${yy}" fill="#222">${esc(e)}</text>`);
  });
  if (!workloads.length) {
    out.push(
      `<text x="${padL}" y="${padT + 40}" fill="#c00">no ${BASELINE} measurements in this run: no ratios to plot</text>`,
    );
  }
  if (workloads.some((wid) => WORKLOAD_BY_ID[wid].unit === "MB"))
    out.push(
      `<text x="${padL}" y="${height - 6}" fill="#555">MB groups (peak memory): ${BASELINE}'s peak RSS / the engine's (&gt;1 = less memory)</text>`,
    );
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

// The training page: the worker trains, this thread only draws (and measures its own frame rate).
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"];
const $ = (id) => document.getElementById(id);
const state = (window.__train = { done: false, fps: [], accuracy: null, log: [] });
const loss = [[], []],
  acc = [[], []];
const lp = new uPlot(
  {
    title: "training loss",
    width: 420,
    height: 220,
    scales: { x: { time: false } },
    series: [{}, { label: "loss", stroke: "#c33" }],
  },
  loss,
  $("lossplot"),
);
const ap = new uPlot(
  {
    title: "test accuracy",
    width: 420,
    height: 220,
    scales: { x: { time: false }, y: { range: [0, 1] } },
    series: [{}, { label: "accuracy", stroke: "#36c" }],
  },
  acc,
  $("accplot"),
);
let frames = 0,
  t0 = performance.now();
(function tick() {
  frames++;
  const t = performance.now();
  if (t - t0 >= 1000) {
    const f = (frames * 1000) / (t - t0);
    $("fps").textContent = `page: ${f.toFixed(0)} frames/s`;
    if (!state.done && state.running) state.fps.push(f);
    frames = 0;
    t0 = t;
  }
  requestAnimationFrame(tick);
})();

let worker = null;
$("start").onclick = () => {
  worker = new Worker(new URL("./train-worker.js", import.meta.url), { type: "module" });
  state.running = true;
  $("start").disabled = true;
  $("stop").disabled = false;
  worker.onmessage = ({ data: m }) => {
    if (m.type === "env") {
      state.backend = m.info;
      $("env").textContent = m.line + (m.info.crossOriginIsolated ? "" : " — not cross-origin isolated: one thread");
    }
    if (m.type === "progress") {
      loss[0].push(m.step);
      loss[1].push(m.loss);
      lp.setData(loss);
      $("rate").textContent = `${m.rate.toFixed(0)} images/s`;
      $("status").textContent = `epoch ${m.epoch}, ${m.seen}/${m.total}`;
    }
    if (m.type === "eval") {
      acc[0].push(m.step);
      acc[1].push(m.accuracy);
      ap.setData(acc);
      state.accuracy = m.accuracy;
      state.log.push(m);
    }
    if (m.type === "error") {
      $("status").textContent = "error: " + m.error;
      console.error(m.error);
    }
    if (m.type === "done") {
      state.done = true;
      state.running = false;
      $("stop").disabled = true;
      $("start").disabled = false;
      $("status").textContent = `done: test accuracy ${(m.accuracy * 100).toFixed(2)}% on ${m.nTest} test images`;
      const g = $("grid");
      g.innerHTML = "";
      for (const s of m.samples) {
        const c = document.createElement("canvas");
        c.width = 28;
        c.height = 28;
        c.className = "hm";
        c.style.width = c.style.height = "56px";
        const ctx = c.getContext("2d"),
          im = ctx.createImageData(28, 28);
        for (let k = 0; k < 784; k++) {
          im.data[4 * k] = im.data[4 * k + 1] = im.data[4 * k + 2] = s.pixels[k];
          im.data[4 * k + 3] = 255;
        }
        ctx.putImageData(im, 0, 0);
        const d = document.createElement("span");
        d.style.display = "inline-block";
        d.style.margin = "4px";
        d.style.color = s.pred === s.label ? "#262" : "#c22";
        d.append(c, document.createElement("br"), `${CLASSES[s.pred]} / ${CLASSES[s.label]}`);
        g.append(d);
      }
      worker.terminate();
    }
  };
  worker.postMessage({ epochs: +$("epochs").value });
};
$("stop").onclick = () => worker?.postMessage({ stop: true });

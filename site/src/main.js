// The site's router and pages. Every number comes from torchlet, computed in this page (see demos.js).
import * as torch from "torchlet";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import * as D from "./demos.js";

window.__demo = {};
const $ = (h) => {
  const t = document.createElement("template");
  t.innerHTML = h.trim();
  return t.content.firstChild;
};
function heat(data, h, w, scale = 6, lo = null, hi = null) {
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  c.className = "hm";
  c.style.width = `${w * scale}px`;
  c.style.height = `${h * scale}px`;
  const mn = lo ?? Math.min(...data),
    mx = hi ?? Math.max(...data),
    ctx = c.getContext("2d"),
    im = ctx.createImageData(w, h);
  for (let k = 0; k < h * w; k++) {
    const v = (data[k] - mn) / (mx - mn || 1);
    im.data[4 * k] = 255 * Math.min(1, 2 * v);
    im.data[4 * k + 1] = 255 * v;
    im.data[4 * k + 2] = 255 * Math.max(0, 1 - 2 * v);
    im.data[4 * k + 3] = 255;
  }
  ctx.putImageData(im, 0, 0);
  return c;
}
function plot(el, title, xs, series) {
  const opts = {
    title,
    width: 360,
    height: 220,
    scales: { x: { time: false } },
    series: [{}, ...series.map(([label], k) => ({ label, stroke: ["#c33", "#36c", "#393", "#a6a"][k % 4] }))],
  };
  return new uPlot(opts, [xs, ...series.map(([, ys]) => ys)], el);
}
const fmt = (a) => "[" + a.map((v) => v.toFixed(3)).join(", ") + "]";
const code = (s) => $(`<pre class="torch">${s.replace(/</g, "&lt;")}</pre>`);
function controls(spec, onChange) {
  const box = $(`<div class="controls"></div>`),
    vals = {};
  for (const [name, opts, def] of spec) {
    const sel = $(
      `<label>${name} <select name="${name}">${opts.map((o) => `<option${o === def ? " selected" : ""}>${o}</option>`).join("")}</select></label>`,
    );
    vals[name] = def;
    sel.querySelector("select").addEventListener("change", (e) => {
      vals[name] = Number.isNaN(+e.target.value) ? e.target.value : +e.target.value;
      onChange(vals);
    });
    box.append(sel);
  }
  return [box, vals];
}

const PAGES = [
  [
    "linear",
    "Fully connected",
    (el) => {
      const r = D.linear(torch, {});
      window.__demo.linear = r;
      el.append(
        $(
          `<p>nn.Linear(6, 4): every output neuron sees every input. Weights (4x6) as a heat map, then y = x Wᵀ + b.</p>`,
        ),
        heat(r.weight, 4, 6, 30),
        $(`<p>x = ${fmt(r.x)}<br>y = <b id="out">${fmt(r.y)}</b></p>`),
        code(
          `lin = nn.Linear(6, 4)\nwith torch.no_grad():\n    lin.weight.copy_(torch.sin(torch.arange(24.) * 0.9).view(4, 6))\n    lin.bias.copy_(torch.sin(torch.arange(4.) * 1.3))\nx = torch.sin(torch.arange(6.) * 0.37).view(1, 6)\nprint(lin(x))`,
        ),
      );
    },
  ],
  [
    "conv2d",
    "Conv2d",
    (el) => {
      const [box] = controls(
        [
          ["k", [1, 3, 5], 3],
          ["stride", [1, 2, 3], 1],
          ["padding", [0, 1, 2], 1],
          ["dilation", [1, 2], 1],
          ["groups", [1, 3], 1],
        ],
        draw,
      );
      const out = $(`<div></div>`);
      el.append(
        $(
          `<p>A 3-channel 32x32 image (generated) through nn.Conv2d(3, 6, k). A <b>kernel</b> is one k×k matrix over one input channel; a <b>filter</b> stacks one kernel per input channel (3/groups of them) and makes one output map.</p>`,
        ),
        box,
        out,
      );
      function draw(v) {
        out.innerHTML = "";
        const r = D.conv2d(torch, { ...v, outC: 6 });
        window.__demo.conv2d = { params: v, ...r };
        const [, C, H, W] = r.inShape,
          [, O, OH, OW] = r.outShape,
          [, ci, kh, kw] = r.weightShape;
        const inRow = $(`<div>input channels: </div>`);
        for (let c = 0; c < C; c++) inRow.append(heat(r.input.slice(c * H * W, (c + 1) * H * W), H, W, 3));
        const fRow = $(`<div>filter 0 = ${ci} kernel(s) of ${kh}x${kw}: </div>`);
        for (let c = 0; c < ci; c++) fRow.append(heat(r.weight.slice(c * kh * kw, (c + 1) * kh * kw), kh, kw, 16));
        const oRow = $(`<div>output ${O}x${OH}x${OW}: </div>`);
        for (let o = 0; o < O; o++) oRow.append(heat(r.out.slice(o * OH * OW, (o + 1) * OH * OW), OH, OW, 3));
        out.append(
          inRow,
          fRow,
          oRow,
          $(
            `<p id="shape">weight ${JSON.stringify(r.weightShape)}, output ${JSON.stringify(r.outShape)}, ${r.numParams} parameters</p>`,
          ),
          code(
            `conv = nn.Conv2d(3, 6, kernel_size=${v.k}, stride=${v.stride}, padding=${v.padding}, dilation=${v.dilation}, groups=${v.groups})\ny = conv(img)  # img: (1, 3, 32, 32)\nprint(conv.weight.shape, y.shape)`,
          ),
        );
      }
      draw({ k: 3, stride: 1, padding: 1, dilation: 1, groups: 1 });
    },
  ],
  [
    "transposed",
    "Transposed convolution",
    (el) => {
      const inp = $(`<label>input 2x2 <input id="ti" value="0,1,2,3"></label>`),
        ker = $(`<label>kernel 2x2 <input id="tk" value="0,1,2,3"></label>`),
        out = $(`<div></div>`);
      const draw = () => {
        const p = (s) => s.value.split(",").map(Number);
        const r = D.convTranspose(torch, {
          input: p(inp.querySelector("input")),
          kernel: p(ker.querySelector("input")),
        });
        window.__demo.transposed = r;
        out.innerHTML = "";
        out.append(
          $(`<pre id="out">${[0, 1, 2].map((i) => r.out.slice(3 * i, 3 * i + 3).join("\t")).join("\n")}</pre>`),
          heat(r.out, 3, 3, 30),
        );
      };
      inp.addEventListener("change", draw);
      ker.addEventListener("change", draw);
      el.append(
        $(
          `<p>The glossary's example: each input value scales the whole kernel, and the shifted copies add up to a 3x3 output.</p>`,
        ),
        inp,
        ker,
        out,
        code(
          `x = torch.tensor([[[[0., 1.], [2., 3.]]]])\nk = torch.tensor([[[[0., 1.], [2., 3.]]]])\nprint(F.conv_transpose2d(x, k))`,
        ),
      );
      draw();
    },
  ],
  [
    "onebyone",
    "1x1 and atrous convolutions",
    (el) => {
      const [box] = controls([["dilation", [1, 2, 3, 4], 2]], draw);
      const out = $(`<div></div>`);
      el.append(box, out);
      function draw(v) {
        const r = D.oneByOne(torch, v);
        window.__demo.onebyone = { params: v, ...r };
        const rf = new Array(15 * 15).fill(0);
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) rf[(7 + (a - 1) * v.dilation) * 15 + 7 + (b - 1) * v.dilation] = 1;
        out.innerHTML = "";
        out.append(
          $(
            `<p>1x1: nn.Conv2d(8, 3, 1) maps 8 channels to ${r.oneShape[1]} at every pixel: output ${JSON.stringify(r.oneShape)}.</p>`,
          ),
          $(
            `<p>Atrous 3x3 with dilation ${v.dilation}: receptive field ${r.rf}x${r.rf} (taps drawn), output ${JSON.stringify(r.atrousShape)}.</p>`,
          ),
          heat(rf, 15, 15, 10),
          heat(r.atrousOut, r.atrousShape[2], r.atrousShape[3], 10),
          code(
            `y1 = F.conv2d(x8, w1)                  # w1: (3, 8, 1, 1)\nya = F.conv2d(x, w3, dilation=${v.dilation})  # w3: (1, 1, 3, 3)`,
          ),
        );
      }
      draw({ dilation: 2 });
    },
  ],
  [
    "conv3d",
    "3D convolution",
    (el) => {
      const r = D.conv3d(torch, {});
      window.__demo.conv3d = r;
      const [, , Dd, H, W] = r.outShape;
      el.append(
        $(
          `<p>nn.Conv3d slides a 3x3x3 filter along depth too: input (1, 1, 6, 8, 8) → output ${JSON.stringify(r.outShape)}. Filter 0, depth slices:</p>`,
        ),
      );
      for (let d = 0; d < Dd; d++) el.append(heat(r.out.slice(d * H * W, (d + 1) * H * W), H, W, 12));
      el.append(code(`conv = nn.Conv3d(1, 2, 3, bias=False)\ny = conv(x)  # x: (1, 1, 6, 8, 8) -> (1, 2, 4, 6, 6)`));
    },
  ],
  [
    "pooling",
    "Pooling",
    (el) => {
      const [box] = controls([["k", [2, 3, 4], 2]], draw);
      const out = $(`<div></div>`);
      el.append(box, out);
      function draw(v) {
        const r = D.pooling(torch, v);
        window.__demo.pooling = { params: v, ...r };
        const [, , h, w] = r.outShape;
        out.innerHTML = "";
        out.append(
          $(`<div>input, max pool, avg pool:</div>`),
          heat(r.input, 32, 32, 4),
          heat(r.max, h, w, 128 / w),
          heat(r.avg, h, w, 128 / w),
          $(`<p>global max per channel ${fmt(r.globalMax)}, global average ${fmt(r.globalAvg)}</p>`),
          code(
            `F.max_pool2d(x, ${v.k}); F.avg_pool2d(x, ${v.k})\nF.adaptive_max_pool2d(img, 1); F.adaptive_avg_pool2d(img, 1)`,
          ),
        );
      }
      draw({ k: 2 });
    },
  ],
  [
    "activations",
    "Activation functions",
    (el) => {
      const [box] = controls(
        [
          ["range", [2, 4, 8], 4],
          ["points", [21, 81, 161], 81],
        ],
        draw,
      );
      const grid = $(`<div class="row"></div>`);
      el.append(box, grid);
      function draw(v) {
        grid.innerHTML = "";
        window.__demo.activations = {};
        window.__demo.activationParams = { ...v };
        for (const name of D.ACTIVATIONS) {
          const r = D.activation(torch, { name, n: v.points, lo: -v.range, hi: v.range });
          window.__demo.activations[name] = r;
          const d = $(`<div></div>`);
          grid.append(d);
          plot(d, `F.${name} and its autograd derivative`, r.x, [
            [name, r.y],
            ["d/dx", r.dy],
          ]);
        }
      }
      draw({ range: 4, points: 81 });
      el.append(
        $(`<table><tr><th>Use case</th><th>Activation</th><th>When</th><th>Drawbacks</th></tr>
<tr><td>General use</td><td>ReLU</td><td>default for hidden layers</td><td>dead neurons</td></tr>
<tr><td>Binary classification</td><td>Sigmoid</td><td>output layer</td><td>vanishing gradients</td></tr>
<tr><td>Multi-class classification</td><td>Softmax</td><td>output layer</td><td>not for hidden layers</td></tr>
<tr><td>Zero-centred data</td><td>Tanh</td><td>hidden layers</td><td>vanishing gradients</td></tr></table>`),
        code(
          `x = torch.linspace(-range, range, points, requires_grad=True)\ny = F.gelu(x); y.sum().backward(); x.grad`,
        ),
      );
    },
  ],
  [
    "simplecnn",
    "SimpleCNN",
    (el) => {
      const r = D.simpleCNN(torch, {});
      window.__demo.simplecnn = r;
      const [, C, H, W] = r.maps.conv1Shape;
      el.append($(`<div class="row"></div>`));
      const row = el.lastChild;
      row.append(
        $(`<pre id="print">${r.text}</pre>`),
        $(`<pre id="shapes">${r.shapes.map(([n, s]) => `${n.padEnd(6)} ${JSON.stringify(s)}`).join("\n")}</pre>`),
      );
      el.append($(`<div>conv1 feature maps for the generated image:</div>`));
      for (let c = 0; c < C; c++) el.append(heat(r.maps.conv1.slice(c * H * W, (c + 1) * H * W), H, W, 3));
      el.append($(`<p>logits ${fmt(r.logits)}</p>`), code(`model = SimpleCNN(num_classes=10)\nprint(model)`));
    },
  ],
  [
    "norm",
    "BatchNorm vs LayerNorm",
    (el) => {
      const [box] = controls(
        [
          ["batch", [1, 2, 4, 8], 4],
          ["mode", ["train", "eval"], "train"],
        ],
        draw,
      );
      const out = $(`<div></div>`);
      el.append(box, out);
      function draw(v) {
        const r = D.norms(torch, { batch: v.batch, train: v.mode === "train" });
        window.__demo.norm = { params: v, ...r };
        out.innerHTML = "";
        out.append(
          $(
            `<p>x: (${v.batch}, 3, 2, 2). BatchNorm2d normalises each channel over the batch (and H, W); LayerNorm([3, 2, 2]) each sample over its features.</p>`,
          ),
          $(
            `<p>BatchNorm (${v.mode}): ${r.bn ? fmt(r.bn.slice(0, 8)) + "…" : `<span class="warn">${r.bnError}</span>`}</p>`,
          ),
          $(`<p>running_mean after: ${fmt(r.runningMean)}, running_var: ${fmt(r.runningVar)}</p>`),
          $(`<p>LayerNorm: ${fmt(r.ln.slice(0, 8))}…</p>`),
          code(`bn = nn.BatchNorm2d(3); ln = nn.LayerNorm([3, 2, 2])\nbn.${v.mode}(); bn(x); ln(x)`),
        );
      }
      draw({ batch: 4, mode: "train" });
    },
  ],
  [
    "embedding",
    "Embeddings",
    (el) => {
      const r = D.embedding(torch, {});
      window.__demo.embedding = r;
      const d1 = $(`<div></div>`),
        d2 = $(`<div></div>`);
      el.append(
        $(`<p>nn.Embedding(8, 2) trained live (150 SGD steps) so tokens 0-3 and 4-7 separate.</p>`),
        $(`<div class="row"></div>`),
      );
      el.lastChild.append(d1, d2);
      plot(
        d1,
        "loss",
        r.losses.map((_, k) => k),
        [["cross-entropy", r.losses]],
      );
      const pts = [0, 1, 2, 3, 4, 5, 6, 7]
        .map((k) => [r.weight[2 * k], r.weight[2 * k + 1], k])
        .sort((a, b) => a[0] - b[0]);
      new uPlot(
        {
          title: "embedding vectors (2-D)",
          width: 360,
          height: 260,
          scales: { x: { time: false } },
          series: [
            {},
            { label: "tokens 0-3", stroke: "#c33", width: 0, points: { size: 10 } },
            { label: "tokens 4-7", stroke: "#36c", width: 0, points: { size: 10 } },
          ],
        },
        [pts.map((p) => p[0]), pts.map((p) => (p[2] < 4 ? p[1] : null)), pts.map((p) => (p[2] >= 4 ? p[1] : null))],
        d2,
      );
      el.append(
        code(
          `emb = nn.Embedding(8, 2); head = nn.Linear(2, 2)\nopt = torch.optim.SGD([*emb.parameters(), *head.parameters()], lr=0.5)\nfor _ in range(150):\n    loss = F.cross_entropy(head(emb(ids)), labels); opt.zero_grad(); loss.backward(); opt.step()`,
        ),
      );
    },
  ],
  [
    "recurrent",
    "LSTM / GRU",
    (el) => {
      const [box] = controls([["kind", ["LSTM", "GRU"], "LSTM"]], draw);
      const out = $(`<div class="row"></div>`);
      el.append(box, out);
      function draw(v) {
        const r = D.recurrent(torch, v);
        window.__demo.recurrent = { params: v, ...r };
        out.innerHTML = "";
        const ts = r.xs.map((_, t) => t),
          d0 = $(`<div></div>`),
          d1 = $(`<div></div>`);
        out.append(d0, d1);
        plot(d0, "input x_t and hidden h_t[0]", ts, [
          ["x", r.xs],
          ["h0", r.hs.map((h) => h[0])],
          ["h1", r.hs.map((h) => h[1])],
        ]);
        const names = Object.keys(r.gates[0]);
        plot(
          d1,
          `${v.kind} gates (unit 0)`,
          ts,
          names.map((g) => [g, r.gates.map((G) => G[g][0])]),
        );
        out.append(
          code(
            `cell = nn.${v.kind}Cell(1, 3)\nfor x_t in xs:\n    ${v.kind === "LSTM" ? "h, c = cell(x_t, (h, c))" : "h = cell(x_t, h)"}`,
          ),
        );
      }
      draw({ kind: "LSTM" });
    },
  ],
  [
    "lastlayer",
    "The last layer",
    (el) => {
      const inp = $(`<label>logits <input value="2,1,0.1,-1"></label>`),
        out = $(`<div></div>`);
      el.append(inp, out);
      const draw = () => {
        const r = D.lastLayer(torch, { logits: inp.querySelector("input").value.split(",").map(Number) });
        window.__demo.lastlayer = r;
        out.innerHTML = `<table>${Object.entries(r)
          .map(([k, v]) => `<tr><td>${k}</td><td>${fmt(v)}</td></tr>`)
          .join("")}</table>`;
      };
      inp.addEventListener("change", draw);
      draw();
      el.append(
        code(
          `z = torch.tensor([2., 1., 0.1, -1.])\nF.softmax(z, 0); F.log_softmax(z, 0); torch.sigmoid(z); torch.tanh(z); nn.Identity()(z)`,
        ),
      );
    },
  ],
  [
    "losses",
    "Losses",
    (el) => {
      const r = D.losses(torch, {});
      window.__demo.losses = r;
      const row = $(`<div class="row"></div>`);
      el.append(row);
      const a = $(`<div></div>`),
        b = $(`<div></div>`),
        c = $(`<div></div>`);
      row.append(a, b, c);
      plot(a, "BCE(p, 1) and d/dp", r.p, [
        ["bce", r.bce],
        ["grad", r.dbce.map((g) => Math.max(g, -10))],
      ]);
      plot(b, "MSE(z, 0) and d/dz", r.z, [
        ["mse", r.mse],
        ["grad", r.dmse],
      ]);
      plot(c, "CE([z, 0, 0], class 0) and d/dz", r.z, [
        ["ce", r.ce],
        ["grad", r.dce],
      ]);
      el.append(
        code(
          `F.binary_cross_entropy(p, torch.ones(41), reduction="none")\nF.mse_loss(z, torch.zeros(41), reduction="none")\nF.cross_entropy(logits, target, reduction="none")`,
        ),
      );
    },
  ],
];

async function main() {
  await torch.init({
    backend: "wasm",
    threads: crossOriginIsolated ? Math.min(navigator.hardwareConcurrency || 1, 4) : 1,
  });
  const info = torch.backendInfo();
  window.__backend = info;
  document.getElementById("env").innerHTML =
    D.backendLine(info) +
    (info.crossOriginIsolated
      ? ""
      : ` <span class="warn">— not cross-origin isolated (no COOP/COEP headers): running on one thread</span>`);
  const nav = document.getElementById("nav");
  nav.innerHTML =
    PAGES.map(([id, title]) => `<a href="#${id}">${title}</a>`).join("") +
    `<a href="./train.html">Train SimpleCNN on Fashion-MNIST</a><a href="./api/">API reference</a>`;
  const show = () => {
    const id = location.hash.slice(1) || PAGES[0][0],
      p = PAGES.find((q) => q[0] === id) ?? PAGES[0],
      el = document.getElementById("page");
    for (const a of nav.querySelectorAll("a")) a.classList.toggle("on", a.getAttribute("href") === `#${p[0]}`);
    el.innerHTML = `<h2>${p[1]}</h2>`;
    el.dataset.page = p[0];
    el.dataset.ready = "0";
    p[2](el);
    el.dataset.ready = "1";
  };
  addEventListener("hashchange", show);
  show();
}
main().catch((e) => {
  document.getElementById("page").textContent = "error: " + (e?.stack ?? e);
  console.error(e);
});

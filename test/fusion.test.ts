// Fusion is a pass any chain of modules can use (ts/nn/fusion.ts), and an option of the op
// (F.conv2d(x, w, b, { activation: "relu" })); nn.Sequential knows nothing about convolutions.

import { it, expect } from "vitest";
import { readFileSync } from "node:fs";
import * as torch from "../ts/index.js";
import { backendImpl } from "../ts/runtime.js";
import { fuseStep } from "../ts/nn/fusion.js";
import { describeBackends, values } from "./util.js";

const { nn, F } = torch;

/** Runs fn and returns the `relu` flag of every conv kernel call it made. */
function convCalls(fn: () => void): boolean[] {
  const b = backendImpl() as unknown as Record<string, unknown>;
  const orig = b.conv as (...a: unknown[]) => void;
  const calls: boolean[] = [];
  b.conv = function (this: unknown, ...a: unknown[]) {
    calls.push(!!a[5]);
    return orig.apply(this, a);
  };
  try {
    fn();
  } finally {
    b.conv = orig;
  }
  return calls;
}

describeBackends("fusion", (name) => {
  it("F.conv2d({ activation: 'relu' }) is relu(conv) exactly, one fused kernel without grad", () => {
    torch.manualSeed(3);
    const x = torch.randn(2, 3, 9, 9),
      w = torch.randn(8, 3, 3, 3),
      b = torch.randn(8);
    const want = torch.noGrad(() => F.relu(F.conv2d(x, w, b, { padding: 1 })));
    let got!: torch.Tensor;
    const calls = convCalls(() => {
      got = torch.noGrad(() => F.conv2d(x, w, b, { padding: 1, activation: "relu" }));
    });
    expect(calls).toEqual([true]);
    expect(values(got)).toEqual(values(want));
    // conv1d/conv3d take it too
    const x1 = torch.randn(2, 3, 11),
      w1 = torch.randn(4, 3, 3);
    expect(values(torch.noGrad(() => F.conv1d(x1, w1, null, { activation: "relu" })))).toEqual(
      values(torch.noGrad(() => F.relu(F.conv1d(x1, w1)))),
    );
  });

  it("with autograd the activation is recorded as its own op, with the same values", () => {
    torch.manualSeed(4);
    const x = torch.randn(1, 2, 6, 6).requiresGrad_(),
      w = torch.randn(3, 2, 3, 3).requiresGrad_();
    const y = F.conv2d(x, w, null, { activation: "relu" });
    expect(y.gradFn?.name).toBe("ReluBackward");
    y.sum().backward();
    const x2 = x.detach().requiresGrad_(),
      w2 = w.detach().requiresGrad_();
    F.relu(F.conv2d(x2, w2)).sum().backward();
    expect(values(x.grad!)).toEqual(values(x2.grad!));
    expect(values(w.grad!)).toEqual(values(w2.grad!));
  });

  it("an unknown activation is refused", () => {
    const x = torch.randn(1, 1, 4, 4),
      w = torch.randn(1, 1, 3, 3);
    expect(() => F.conv2d(x, w, null, { activation: "gelu" as never })).toThrow(TypeError);
  });

  it(`nn.Sequential fuses conv + ReLU through fuseStep; an overridden forward opts out [${name}]`, () => {
    torch.manualSeed(5);
    const conv = new nn.Conv2d(2, 4, 3, { padding: 1 }),
      x = torch.randn(1, 2, 5, 5);
    const seq = new nn.Sequential(conv, new nn.ReLU());
    expect(fuseStep(conv, new nn.ReLU())).not.toBeNull();
    expect(convCalls(() => torch.noGrad(() => seq.forward(x)))).toEqual([true]);
    class MyReLU extends nn.ReLU {
      forward(t: torch.Tensor) {
        return F.relu(t);
      }
    }
    expect(convCalls(() => torch.noGrad(() => new nn.Sequential(conv, new MyReLU()).forward(x)))).toEqual([false]);
    class MyConv extends nn.Conv2d {
      forward(t: torch.Tensor) {
        return super.forward(t);
      }
    }
    const mc = new MyConv(2, 4, 3);
    expect(convCalls(() => torch.noGrad(() => new nn.Sequential(mc, new nn.ReLU()).forward(x)))).toEqual([false]);
  });

  it("any module can take part: a producer declaring withActivation is fused by Sequential", () => {
    const seen: string[] = [];
    class Producer extends nn.Module {
      forward(t: torch.Tensor) {
        seen.push("plain");
        return torch.mul(t, 2);
      }
      withActivation(act: "relu") {
        return (t: torch.Tensor) => {
          seen.push(act);
          return F.relu(torch.mul(t, 2));
        };
      }
    }
    const y = torch.noGrad(() => new nn.Sequential(new Producer(), new nn.ReLU()).forward(torch.tensor([-1, 2])));
    expect(seen).toEqual(["relu"]);
    expect(values(y)).toEqual([0, 4]);
  });
});

it("nn.Sequential's source does not mention convolutions", () => {
  const src = readFileSync(new URL("../ts/nn/layers.ts", import.meta.url), "utf8");
  const seq = src.slice(src.indexOf("export class Sequential"));
  // (comments may name the example; the code may not)
  const code = (t: string) =>
    t
      .split("\n")
      .map((l) => l.replace(/\/\/.*$/, ""))
      .join("\n");
  expect(code(seq.slice(0, seq.indexOf("\n}\n")))).not.toMatch(/conv/i);
  expect(src).not.toMatch(/ConvForward|from "\.\/conv\.js"/);
});

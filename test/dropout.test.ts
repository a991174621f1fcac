// Dropout: inactive in eval, in training zeroes about p of the elements and scales the rest by
// 1/(1-p), with the gradient flowing through the same mask.
import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { nn, F } from "../ts/index.js";
import { describeBackends } from "./util.js";

describeBackends("dropout", () => {
  it("is the identity in eval mode and with p = 0", () => {
    const d = new nn.Dropout(0.5);
    d.eval();
    const x = torch.randn(4, 5);
    expect(Array.from(d.forward(x).toFloat32Array())).toEqual(Array.from(x.toFloat32Array()));
    expect(F.dropout(x, 0, { training: true })).toBe(x);
    expect(d.toString()).toBe("Dropout(p=0.5, inplace=False)");
  });
  it("zeroes ~p of the elements, scales the rest by 1/(1-p), and backprops through the mask", () => {
    torch.manualSeed(3);
    const p = 0.3,
      n = 20000;
    const x = torch.ones(n).requiresGrad_();
    const y = new nn.Dropout(p).forward(x);
    const v = y.toFloat32Array();
    let zeros = 0;
    for (const e of v) {
      if (e === 0) zeros++;
      else expect(e).toBeCloseTo(1 / (1 - p), 5);
    }
    expect(Math.abs(zeros / n - p)).toBeLessThan(0.02);
    y.sum().backward();
    expect(Array.from(x.grad!.toFloat32Array())).toEqual(Array.from(v));
  });
  it("rejects p outside [0, 1] and gives all zeros for p = 1", () => {
    expect(() => new nn.Dropout(1.5)).toThrow("dropout probability has to be between 0 and 1, but got 1.5");
    expect(Array.from(F.dropout(torch.ones(3), 1).toFloat32Array())).toEqual([0, 0, 0]);
  });
});

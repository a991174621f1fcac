// The graph is freed after backward() as in PyTorch; backward() is all or nothing.
import { expect, it } from "vitest";
import * as torch from "../ts/index.js";
import { describeBackends, values } from "./util.js";

describeBackends("autograd graph lifetime", () => {
  it("a second backward through a freed graph throws PyTorch's message", () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const loss = x.mul(x).sum();
    loss.backward();
    expect(values(x.grad!)).toEqual([2, 4, 6]);
    expect(() => loss.backward()).toThrow(/Trying to backward through the graph a second time/);
    expect(values(x.grad!)).toEqual([2, 4, 6]); // not doubled
  });
  it("retainGraph keeps it, and gradients accumulate as in PyTorch", () => {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const loss = x.mul(x).sum();
    loss.backward(null, { retainGraph: true });
    loss.backward({ retainGraph: true });
    expect(values(x.grad!)).toEqual([4, 8, 12]);
    loss.backward();
    expect(values(x.grad!)).toEqual([6, 12, 18]);
    expect(() => loss.backward()).toThrow(/second time/);
  });
  it("carrying a recurrent state across batches without detach() throws on the second step", () => {
    const lstm = new torch.nn.LSTM(3, 4);
    let state: [torch.Tensor, torch.Tensor] | undefined;
    const step = (detach: boolean) => {
      const [out, [h, c]] = lstm.forward(torch.randn(5, 2, 3), state);
      state = detach ? [h.detach(), c.detach()] : [h, c];
      out.sum().backward();
    };
    step(false);
    expect(() => step(false)).toThrow(/Trying to backward through the graph a second time/);
    state = undefined;
    step(true);
    step(true);
    step(true);
  });
  it("a backward that fails leaves every .grad as it was", () => {
    const a = torch.tensor([1, 2], { requiresGrad: true });
    const b = torch.tensor([3, 4], { requiresGrad: true });
    a.mul(b).sum().backward();
    const before = [values(a.grad!), values(b.grad!)];
    const y = a.mul(2).add(b.mul(3));
    // a node whose backward throws midway (after the first leaf's gradient is known)
    const bad = torch.tensor([0, 0], { requiresGrad: true }).mul(1);
    bad.gradFn!.backward = () => {
      throw new Error("boom");
    };
    expect(() => y.add(bad).sum().backward()).toThrow("boom");
    expect([values(a.grad!), values(b.grad!)]).toEqual(before);
  });
  it("createGraph is refused loudly; bad arguments name the function", () => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    expect(() => x.sum().backward(null, { createGraph: true })).toThrow(/createGraph .* not supported/);
    expect(() => x.sum().backward(null, { retain_graph: true } as any)).toThrow(
      `unknown option "retain_graph" for Tensor.backward; did you mean "retainGraph"?`,
    );
  });
});

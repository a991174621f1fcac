import { it, expect } from "vitest";
import * as torch from "../ts/index.js";
import { nn, optim, F } from "../ts/index.js";
import { describeBackends, expectClose, values } from "./util.js";

describeBackends("smoke", () => {
  it("adds, matmuls and backprops", () => {
    const a = torch.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const b = torch.tensor([
      [5, 6],
      [7, 8],
    ]);
    const c = a.matmul(b).add(1).sum();
    c.backward();
    expect(c.item()).toBe(19 + 22 + 43 + 50 + 4);
    expectClose(values(a.grad!), [11, 15, 11, 15]);
  });
  it("trains an MLP", () => {
    torch.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = torch.randn(32, 4);
    const y = torch.tensor(
      Array.from({ length: 32 }, (_, k) => k % 3),
      { dtype: "int64" },
    );
    const lossFn = new nn.CrossEntropyLoss();
    let first = 0,
      last = 0;
    for (let s = 0; s < 50; s++) {
      const loss = lossFn.forward(model.forward(x), y);
      if (s === 0) first = loss.item();
      last = loss.item();
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }
    expect(last).toBeLessThan(first * 0.7);
    expect(model.toString()).toBe(`Sequential(
  (0): Linear(in_features=4, out_features=16, bias=True)
  (1): ReLU()
  (2): Linear(in_features=16, out_features=3, bias=True)
)`);
  });
});

// A user's program, type-checked in strict mode against the built declarations (test/types.test.ts).
// `is<T>()(v)` fails to compile when v's type is not assignable to T, or is any.
import * as torch from "torchlet";
import { nn, optim, F } from "torchlet";

type IsAny<T> = 0 extends 1 & T ? true : false;
const is =
  <T>() =>
  <V extends T>(v: IsAny<V> extends true ? never : V): void => {
    void v;
  };

async function main(): Promise<void> {
  const name = await torch.init({ backend: "wasm", threads: 1 });
  is<"native" | "wasm" | "js">()(name);
  is<number>()(torch.threads());
  const info: torch.BackendInfo = torch.backendInfo();
  is<boolean>()(info.relaxedSimd);
  is<string | undefined>()(info.variant);

  const x = torch.randn(4, 3);
  is<torch.Tensor>()(x);
  is<number[]>()(x.shape);
  is<number>()(x.size(0));
  is<number[]>()(x.size());
  is<number>()(x.sum().item());
  const m = x.max(1);
  is<torch.Tensor>()(m.values);
  is<torch.Tensor>()(m.indices);
  const [v, i] = x.max(1);
  is<torch.Tensor>()(v);
  is<torch.Tensor>()(i);
  is<torch.Tensor>()(x.index(":", -1));
  is<torch.Tensor>()(x.gt(0));

  const model = new nn.Sequential(new nn.Linear(3, 8), new nn.ReLU(), new nn.Linear(8, 2));
  const out = model.forward(x);
  is<torch.Tensor>()(out);
  const lin = new nn.Linear(3, 2);
  is<torch.Tensor>()(lin.forward(x));
  const conv = new nn.Conv2d(1, 2, 3, { padding: 1 });
  is<torch.Tensor>()(conv.forward(torch.randn(1, 1, 5, 5)));
  const pool = new nn.MaxPool2d(2, { returnIndices: true });
  const [pv, pi] = pool.forward(torch.randn(1, 1, 4, 4));
  is<torch.Tensor>()(pv);
  is<torch.Tensor>()(pi);
  const lstm = new nn.LSTM(3, 5, { batchFirst: true });
  const [seq, [h, c]] = lstm.forward(torch.randn(2, 7, 3));
  is<torch.Tensor>()(seq);
  is<torch.Tensor>()(h);
  is<torch.Tensor>()(c);

  class Net extends nn.Module {
    fc = new nn.Linear(3, 2);
    forward(t: torch.Tensor): torch.Tensor {
      return F.relu(this.fc.forward(t));
    }
  }
  const net = new Net();
  is<torch.Tensor>()(net.forward(x));

  const opt = new optim.AdamW([{ params: net.parameters(), weightDecay: 0 }], { lr: 1e-3 });
  is<number>()(opt.paramGroups[0].lr);
  const sched = new optim.lrScheduler.StepLR(opt, 10);
  const loss = F.crossEntropy(net.forward(x), torch.tensor([0, 1, 0, 1], { dtype: "int64" }));
  is<torch.Tensor>()(loss);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  sched.step();
  is<number[]>()(sched.getLastLr());

  const bytes = torch.save(net.stateDict());
  is<Uint8Array>()(bytes);
  const res = net.loadStateDict(torch.load(bytes) as Record<string, torch.Tensor>);
  is<string[]>()(res.missingKeys);
  is<string>()(String(model));
  is<{ numTensors: number; numBytes: number }>()(torch.memory());
}
void main;

// Finite-difference gradient checks in float64 on the js backend (as torch.autograd.gradcheck).

import { expect } from "vitest";
import * as torch from "../ts/index.js";
import type { Tensor } from "../ts/index.js";

/** Makes the float64 js backend active (call in beforeAll of a gradcheck suite). */
export function useFloat64(): void {
  torch._internal.useBackend(new torch._internal.JsBackend("float64"));
}

/**
 * Checks d(sum(f(inputs) * w))/d(input) against central differences for every input that
 * requires grad. f may return a tensor or an array of tensors (each gets its own random weight).
 */
export function gradcheck(
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  inputs: Tensor[],
  opts: { eps?: number; atol?: number; rtol?: number } = {},
) {
  const eps = opts.eps ?? 1e-6,
    atol = opts.atol ?? 1e-5,
    rtol = opts.rtol ?? 1e-3;
  const outs = () => {
    const o = f(...inputs);
    return Array.isArray(o) ? o : [o];
  };
  const first = outs();
  const weights = first.map((o) => torch.randn(o.shape.length ? o.shape : [1]).reshape(o.shape));
  const objective = (os: Tensor[]) =>
    os.reduce<Tensor | null>((acc, o, k) => {
      const term = o.mul(weights[k]).sum();
      return acc ? acc.add(term) : term;
    }, null)!;
  for (const x of inputs) x.grad = null;
  objective(first).backward();
  inputs.forEach((x, idx) => {
    if (!x.requiresGrad) return;
    const analytic = Array.from(x.grad!.dataSync() as ArrayLike<number>);
    const data = x.backendView();
    const numeric: number[] = [];
    for (let k = 0; k < data.length; k++) {
      const orig = data[k];
      data[k] = orig + eps;
      const fp = torch.noGrad(() => objective(outs()).item());
      data[k] = orig - eps;
      const fm = torch.noGrad(() => objective(outs()).item());
      data[k] = orig;
      numeric.push((fp - fm) / (2 * eps));
    }
    for (let k = 0; k < numeric.length; k++) {
      const ok = Math.abs(analytic[k] - numeric[k]) <= atol + rtol * Math.abs(numeric[k]);
      if (!ok) expect.fail(`gradcheck input ${idx} element ${k}: analytic ${analytic[k]} vs numeric ${numeric[k]}`);
    }
  });
}

// Backward scaffolding, so a gradient reads like its formula (PyTorch's derivatives.yaml):
// - every GradFn's backward runs in `backwardScope` (runBackward in tensor.ts): the tensors it
//   creates and does not return are disposed, so a backward composes ops without dispose calls;
// - `grads` computes each input's gradient only when that input needs one;
// - `kernel` / `kernelOp` do the dense / allocate / call / record scaffold of a kernel-backed op.
//
//   // before: const t = binaryRaw("div", out, b), t2 = binaryRaw("mul", g, t); t.dispose(); ...
//   return record(out, "DivBackward", [a, b], (g) => grads([a, b],
//     () => sumTo(binaryRaw("div", g, b), a.shape),
//     () => sumTo(scalarRaw("mul", binaryRaw("mul", g, binaryRaw("div", out, b)), -1), b.shape)));

import type { Backend, DType, Storage } from "./backends/types.js";
import { backendImpl, tidy } from "./runtime.js";
import { Tensor } from "./tensor.js";
import { record, willRecord } from "./ops.js";

/** Runs one backward: every tensor created inside and not reachable from the result is disposed
 *  (also when it throws). */
export function backwardScope<T>(run: () => T): T {
  return tidy(run);
}

/** The gradient of each input from its formula, evaluated only for inputs that need one (null
 *  for the others). `formulas[i]` belongs to `inputs[i]`. */
export function grads(inputs: readonly (Tensor | null)[], ...formulas: (() => Tensor | null)[]): (Tensor | null)[] {
  return inputs.map((t, i) => (t?.requiresGrad ? formulas[i]() : null));
}

/** Kernel call over dense storages: `call(backend, ...inputs, out)`. */
export type KernelCall = (k: Backend, ...storages: Storage[]) => void;

/**
 * A new dense tensor of `shape` written by `call(backend, ...dense input storages, out storage)`.
 * Strided inputs get dense copies for the call, freed after it; the output is uninitialised
 * (the kernel writes every element) unless `zero`.
 */
export function kernel(
  shape: readonly number[],
  inputs: readonly Tensor[],
  call: KernelCall,
  o: { dtype?: DType; zero?: boolean } = {},
): Tensor {
  const dense = inputs.map((t) => t.dense());
  const out = Tensor.empty(shape.slice(), o.dtype ?? "float32", !o.zero);
  try {
    call(backendImpl(), ...dense.map((d) => d.storage), out.storage);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    dense.forEach((d, i) => {
      if (d !== inputs[i]) d.dispose();
    });
  }
  return out;
}

/**
 * A kernel-backed differentiable op in one call: out = kernel(shape, inputs, call), recorded as
 * `name` when an input needs a gradient. `backward(g, out, dense)` gets the output gradient, the
 * output and the dense inputs the forward read (kept alive for it only when recorded) and returns
 * each input's gradient (null for none); it runs in a backwardScope.
 *
 *   const y = kernelOp("ReluBackward", [x], x.shape, (k, xs, ys) => k.unary("relu", xs, ys),
 *     (g, y, [xd]) => [kernel(x.shape, [g], (k, gs, gx) => k.unaryGrad("relu", xd.storage, y.storage, gs, gx))]);
 */
export function kernelOp(
  name: string,
  inputs: readonly Tensor[],
  shape: readonly number[],
  call: KernelCall,
  backward: (g: Tensor, out: Tensor, dense: Tensor[]) => (Tensor | null)[],
  o: { dtype?: DType; zero?: boolean } = {},
): Tensor {
  if (!willRecord(inputs as Tensor[])) return kernel(shape, inputs, call, o);
  const dense = inputs.map((t) => t.dense());
  const out = kernel(shape, dense, call, o);
  return record(out, name, inputs as Tensor[], (g) => backward(g, out, dense));
}

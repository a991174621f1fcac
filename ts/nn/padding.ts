// Padding modules: ZeroPad2d, ConstantPad1d/2d/3d, ReflectionPad1d/2d/3d, ReplicationPad1d/2d/3d
// (PyTorch's modules and print texts over F.pad).

import type { Tensor } from "../tensor.js";
import { pad } from "./functional/resize.js";
import type { PadMode } from "../backends/types.js";
import { Module, pyRepr } from "./module.js";
import { A, parseArgs } from "../utils/args.js";

type Padding = number | number[];

/** An int padding repeated to 2n values; a tuple must have exactly 2n. */
function expandPadding(name: string, p: Padding, n: number): number[] {
  if (typeof p === "number") return new Array(2 * n).fill(p);
  if (p.length !== 2 * n)
    throw new TypeError(`${name}: padding must be an int or a tuple of ${2 * n} ints, got [${p.join(", ")}]`);
  return p.slice();
}

abstract class PadNd extends Module {
  readonly padding: number[];
  constructor(
    name: string,
    n: number,
    padding: Padding,
    private readonly mode: PadMode,
    readonly value = 0,
  ) {
    super();
    this.padding = expandPadding(name, parseArgs(name, [padding], { padding: A.intOrTuple }).padding, n);
  }
  forward(x: Tensor): Tensor {
    return this.mode === "constant"
      ? pad(x, this.padding, { mode: "constant", value: this.value })
      : pad(x, this.padding, { mode: this.mode });
  }
  extraRepr(): string {
    return pyRepr(this.padding);
  }
}

/** Constant padding (the value printed as given: 3 or 2.5, as Python prints an int or a float). */
abstract class ConstantPadNd extends PadNd {
  constructor(name: string, n: number, args: unknown[]) {
    const o = parseArgs(name, args, { padding: A.intOrTuple, value: A.num });
    super(name, n, o.padding, "constant", o.value);
  }
  extraRepr(): string {
    return `padding=${pyRepr(this.padding)}, value=${pyRepr(this.value)}`;
  }
}
type ConstCtor = [padding: Padding, value: number] | [padding: Padding, opts: { value: number }];
/** `new nn.ConstantPad1d(2, 3.5)` pads the last dim by 2 on each side with 3.5. Mirrors `torch.nn.ConstantPad1d`. */
export class ConstantPad1d extends ConstantPadNd {
  constructor(...args: ConstCtor) {
    super("nn.ConstantPad1d", 1, args);
  }
}
/** `new nn.ConstantPad2d([1, 1, 2, 0], 0.5)`: [left, right, top, bottom]. Mirrors `torch.nn.ConstantPad2d`. */
export class ConstantPad2d extends ConstantPadNd {
  constructor(...args: ConstCtor) {
    super("nn.ConstantPad2d", 2, args);
  }
}
/** `new nn.ConstantPad3d(1, 0)`: [left, right, top, bottom, front, back]. Mirrors `torch.nn.ConstantPad3d`. */
export class ConstantPad3d extends ConstantPadNd {
  constructor(...args: ConstCtor) {
    super("nn.ConstantPad3d", 3, args);
  }
}

/** Zero padding of the last two dims: `new nn.ZeroPad2d([1, 1, 2, 0])`. Mirrors `torch.nn.ZeroPad2d`. */
export class ZeroPad2d extends PadNd {
  constructor(padding: Padding) {
    super("nn.ZeroPad2d", 2, padding, "constant", 0);
  }
}

/** Reflection padding of the last dim: `new nn.ReflectionPad1d(2)`. Mirrors `torch.nn.ReflectionPad1d`. */
export class ReflectionPad1d extends PadNd {
  constructor(padding: Padding) {
    super("nn.ReflectionPad1d", 1, padding, "reflect");
  }
}
/** Reflection padding of the last two dims. Mirrors `torch.nn.ReflectionPad2d`. */
export class ReflectionPad2d extends PadNd {
  constructor(padding: Padding) {
    super("nn.ReflectionPad2d", 2, padding, "reflect");
  }
}
/** Reflection padding of the last three dims. Mirrors `torch.nn.ReflectionPad3d`. */
export class ReflectionPad3d extends PadNd {
  constructor(padding: Padding) {
    super("nn.ReflectionPad3d", 3, padding, "reflect");
  }
}
/** Replication (edge) padding of the last dim. Mirrors `torch.nn.ReplicationPad1d`. */
export class ReplicationPad1d extends PadNd {
  constructor(padding: Padding) {
    super("nn.ReplicationPad1d", 1, padding, "replicate");
  }
}
/** Replication padding of the last two dims. Mirrors `torch.nn.ReplicationPad2d`. */
export class ReplicationPad2d extends PadNd {
  constructor(padding: Padding) {
    super("nn.ReplicationPad2d", 2, padding, "replicate");
  }
}
/** Replication padding of the last three dims. Mirrors `torch.nn.ReplicationPad3d`. */
export class ReplicationPad3d extends PadNd {
  constructor(padding: Padding) {
    super("nn.ReplicationPad3d", 3, padding, "replicate");
  }
}

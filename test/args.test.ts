// The one argument convention (ts/utils/args.ts): positional in PyTorch's order or a trailing options object.
import { describe, expect, it } from "vitest";
import { A, parseArgs, suggest } from "../ts/utils/args.js";
import * as torch from "../ts/index.js";

const spec = {
  inFeatures: A.int,
  outFeatures: A.int,
  bias: [A.bool, true],
  device: A.kw(A.nullable(A.str), null),
} as const;
const f = (...a: unknown[]) => parseArgs("nn.Linear", a, spec);

describe("parseArgs", () => {
  it("reads positional values, options and defaults", () => {
    expect(f(3, 4)).toEqual({ inFeatures: 3, outFeatures: 4, bias: true, device: null });
    expect(f(3, 4, false).bias).toBe(false);
    expect(f(3, 4, { bias: false }).bias).toBe(false);
    expect(f({ inFeatures: 1, outFeatures: 2 })).toEqual({ inFeatures: 1, outFeatures: 2, bias: true, device: null });
    expect(f(3, 4, { device: "cpu" }).device).toBe("cpu");
    expect(f(3, 4, undefined, { bias: false }).bias).toBe(false);
  });
  it("refuses what PyTorch code could not mean", () => {
    expect(() => f(3)).toThrow(/nn.Linear: missing required argument "outFeatures"/);
    expect(() => f(3, "4")).toThrow(/nn.Linear: argument "outFeatures" must be an int, got "4"/);
    expect(() => f(3, 4, true, "cpu")).toThrow(/at most 3 positional arguments/);
    expect(() => f(3, 4, false, { bias: true })).toThrow(/multiple values for argument "bias"/);
    expect(() => f(3, 4, { in_features: 3 })).toThrow(
      /multiple values|unknown option "in_features" for nn.Linear; did you mean "inFeatures"\?/,
    );
    expect(() => f(3, 4, { biass: true })).toThrow(`unknown option "biass" for nn.Linear; did you mean "bias"?`);
    expect(() => f(3, 4, { zzz: true })).toThrow(/unknown option "zzz" for nn.Linear \(it takes/);
  });
  it("suggests camelCase for snake_case and near misses", () => {
    expect(suggest("batch_first", ["batchFirst", "bias"])).toBe("batchFirst");
    expect(suggest("weight_decay", ["lr", "weightDecay"])).toBe("weightDecay");
    expect(suggest("strides", ["stride", "padding"])).toBe("stride");
    expect(suggest("kernel", ["stride", "padding"])).toBeUndefined();
  });
  it("takes a Tensor positionally, never as options", () => {
    const g = (...a: unknown[]) => parseArgs("F.x", a, { input: A.tensor, weight: [A.optTensor, null] });
    const t = torch.zeros(2);
    expect(g(t).weight).toBe(null);
    expect(g(t, t).weight).toBe(t);
    expect(g(t, null).weight).toBe(null);
    expect(() => g(t, 3)).toThrow(/argument "weight" must be a Tensor or null, got 3/);
  });
});

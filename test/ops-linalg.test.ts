// Linear algebra (ts/ops/linalg.ts): matmul family and einsum against PyTorch 1.13, gradchecks.
import { describe, it, expect, beforeAll } from "vitest";
import * as torch from "../ts/index.js";
import { opFixtureCases } from "./ops-fixtures.js";
import { describeBackends, expectClose, values } from "./util.js";
import { gradcheck, useFloat64 } from "./gradcheck.js";

describeBackends("ops fixtures: linear algebra", () => {
  opFixtureCases("linalg.json");

  it("einsum attention scores equal q @ k^T", () => {
    const q = torch.randn(2, 3, 5, 8),
      k = torch.randn(2, 3, 7, 8);
    expectClose(values(torch.einsum("bhqd,bhkd->bhqk", q, k)), values(q.matmul(k.transpose(-1, -2))), 1e-4, 1e-4);
  });
  it("einsum errors", () => {
    const a = torch.randn(2, 3);
    expect(() => torch.einsum("ij,jk->ik", a, torch.randn(4, 2))).toThrow(
      "einsum(): subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3",
    );
    expect(() => torch.einsum("ijk->i", a)).toThrow(
      "einsum(): the number of subscripts in the equation (3) does not match the number of dimensions (2) for operand 0 and no ellipsis was given",
    );
    expect(() => torch.einsum("ij->iz", a)).toThrow(
      "einsum(): output subscript z does not appear in the equation for any input operand",
    );
  });
});

describe("gradcheck (float64): linear algebra", () => {
  beforeAll(() => useFloat64());
  const r = (...s: number[]) => torch.randn(...s).requiresGrad_();
  it("bmm, baddbmm, addmm, outer, dot, mv", () => {
    gradcheck((a, b) => a.bmm(b), [r(2, 3, 4), r(2, 4, 2)]);
    gradcheck((c, a, b) => c.baddbmm(a, b, { beta: 0.5, alpha: 2 }), [r(2, 3, 2), r(2, 3, 4), r(2, 4, 2)]);
    gradcheck((c, a, b) => torch.addmm(c, a, b), [r(2), r(3, 4), r(4, 2)]);
    gradcheck((a, b) => a.outer(b), [r(3), r(2)]);
    gradcheck((a, b) => a.dot(b), [r(4), r(4)]);
    gradcheck((a, b) => a.mv(b), [r(2, 4), r(4)]);
  });
  it("einsum: contraction, batch, diagonal, ellipsis broadcast, three operands", () => {
    gradcheck((a, b) => torch.einsum("bij,bjk->bik", a, b), [r(2, 2, 3), r(2, 3, 2)]);
    gradcheck((a) => torch.einsum("ii->i", a), [r(3, 3)]);
    gradcheck((a, b) => torch.einsum("...ij,jk->...ik", a, b), [r(2, 1, 2, 3), r(3, 2)]);
    gradcheck((a, b) => torch.einsum("...,...->...", a, b), [r(3, 1), r(1, 2)]);
    gradcheck((a, b, c) => torch.einsum("ij,jk,kl->il", a, b, c), [r(2, 3), r(3, 2), r(2, 2)]);
    gradcheck((a, b) => torch.einsum("abc,cb->a", a, b), [r(2, 3, 2), r(2, 3)]);
  });
});

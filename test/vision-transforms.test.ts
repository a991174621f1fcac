// torch.vision.transforms against torchvision 0.14 on tensors (Resize without antialias, as
// torchvision does for tensors; CenterCrop with its rounding and zero padding; flips; Normalize).

import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import * as torch from "../ts/index.js";
import { describeBackends, expectClose } from "./util.js";

const T = torch.vision.transforms;
const ref = JSON.parse(
  execFileSync(
    "/usr/bin/python3",
    [
      "-c",
      `
import json, torch, warnings
import torchvision.transforms as T
import torchvision.transforms.functional as TF
warnings.filterwarnings("ignore")
torch.manual_seed(0)
x = torch.rand(3, 10, 13)
img = (torch.rand(4, 5, 3) * 255).to(torch.uint8)
cases = {
  "resize7": T.Resize(7)(x), "resize_5x9": T.Resize([5, 9])(x), "resize_nearest8": T.Resize(8, T.InterpolationMode.NEAREST)(x),
  "resize_bicubic12": T.Resize(12, T.InterpolationMode.BICUBIC)(x), "resize6_max8": T.Resize(6, max_size=8)(x),
  "resize_up20": T.Resize(20)(x), "center5": T.CenterCrop(5)(x), "center_4x7": T.CenterCrop([4, 7])(x),
  "center_pad_12x15": T.CenterCrop([12, 15])(x), "hflip": TF.hflip(x),
  "normalize": T.Normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.3])(x), "to_tensor": T.ToTensor()(img.numpy()),
  "to_uint8": T.ConvertImageDtype(torch.uint8)(x).long(),
}
print(json.dumps({"x": x.flatten().tolist(), "img": img.flatten().tolist(),
                  "cases": {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in cases.items()}}))
`,
    ],
    { encoding: "utf8" },
  ),
);

describeBackends("vision transforms", () => {
  const x = () => torch.tensor(Float32Array.from(ref.x), { shape: [3, 10, 13] });
  const check = (name: string, y: torch.Tensor) => {
    const c = ref.cases[name];
    expect(y.shape, name).toEqual(c.shape);
    expectClose(y.toFloat32Array(), c.data, 1e-5, 1e-5, name);
  };
  it("Resize: smaller edge, explicit size, nearest, bicubic, maxSize, upscaling", () => {
    check("resize7", new T.Resize(7).call(x()));
    check("resize_5x9", new T.Resize([5, 9]).call(x()));
    check("resize_nearest8", new T.Resize(8, { interpolation: "nearest" }).call(x()));
    check("resize_bicubic12", new T.Resize(12, { interpolation: "bicubic" }).call(x()));
    check("resize6_max8", new T.Resize(6, { maxSize: 8 }).call(x()));
    check("resize_up20", new T.Resize(20).call(x()));
  });
  it("CenterCrop (rounding, padding), hflip, Normalize, ToTensor, ConvertImageDtype", () => {
    check("center5", new T.CenterCrop(5).call(x()));
    check("center_4x7", new T.CenterCrop([4, 7]).call(x()));
    check("center_pad_12x15", new T.CenterCrop([12, 15]).call(x()));
    check("hflip", T.hflip(x()));
    check("normalize", new T.Normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.3]).call(x()));
    check("to_tensor", new T.ToTensor().call({ data: Uint8Array.from(ref.img), shape: [4, 5, 3] }));
    check("to_uint8", new T.ConvertImageDtype("int64").call(x()));
  });
  it("Compose, RandomHorizontalFlip, RandomCrop (shapes and content)", () => {
    torch.manualSeed(1);
    const y = new T.Compose([new T.RandomCrop(6, { padding: 2 }), new T.RandomHorizontalFlip(1)]).call(x());
    expect(y.shape).toEqual([3, 6, 6]);
    expect(new T.RandomHorizontalFlip(0).call(x()).toFloat32Array()).toEqual(x().toFloat32Array());
    expect(() => new T.RandomCrop(20).call(x())).toThrow(
      "Required crop size (20, 20) is larger than input image size (10, 13)",
    );
    const img = { data: new Uint8ClampedArray(2 * 3 * 4).fill(255), width: 3, height: 2 };
    expect(new T.ToTensor().call(img).shape).toEqual([3, 2, 3]);
  });
});

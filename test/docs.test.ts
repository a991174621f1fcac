// The API reference (npm run docs, TypeDoc from ts/index.ts): builds without warnings, every exported
// class and function has a summary doc comment, every nn module names the torch.nn class it mirrors.
import { it, expect } from "vitest";
// @ts-expect-error plain JS module
import { runTypedoc, checkProject } from "../scripts/check-docs.mjs";

it("TypeDoc builds the API reference without warnings; every public class/function is documented", () => {
  const [project, warnings] = runTypedoc() as [unknown, string[]];
  expect(warnings).toEqual([]);
  expect(project).toBeTruthy();
  expect(checkProject(project)).toEqual([]);
}, 300_000);

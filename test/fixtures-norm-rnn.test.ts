// PyTorch fixtures for BatchNorm/LayerNorm, Embedding and LSTM/GRU on every backend, plus their
// print(model) texts and state-dict key order.
import { it, expect } from "vitest";
import { buildModule, fixtureCases, loadFixture } from "./fixtures.js";
import { describeBackends } from "./util.js";

describeBackends("fixtures: norm", () => fixtureCases("norm.json"));
describeBackends("fixtures: embedding", () => fixtureCases("embedding.json"));
describeBackends("fixtures: rnn", () => fixtureCases("rnn.json"));

const MINE = new Set(["BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding", "LSTM", "GRU"]);

describeBackends("norm/embedding/rnn: print text and state-dict keys", () => {
  const prints = loadFixture("models.json").prints as {
    name: string;
    build?: [string, unknown[], Record<string, unknown>][];
    module?: [string, unknown[], Record<string, unknown>];
    print: string;
  }[];
  for (const p of prints) {
    const parts = p.build ?? (p.module ? [p.module] : []);
    if (!parts.length || !parts.every(([n]) => MINE.has(n))) continue;
    it(`print: ${p.name}`, () => {
      const m = p.build
        ? buildModule("Sequential", [p.build], {})
        : buildModule(p.module![0], p.module![1], p.module![2]);
      expect(m.toString()).toBe(p.print);
    });
  }
  for (const file of ["norm.json", "embedding.json", "rnn.json"]) {
    it(`state-dict keys in PyTorch's order: ${file}`, () => {
      for (const c of loadFixture(file).cases) {
        const m = buildModule(c.module, c.args, c.kwargs);
        expect(Object.keys(m.stateDict()), c.name).toEqual(Object.keys(c.state));
      }
    });
  }
});

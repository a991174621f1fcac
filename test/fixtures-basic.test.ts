// PyTorch fixtures for Linear, activations and losses on every backend.
import { fixtureCases } from "./fixtures.js";
import { describeBackends } from "./util.js";

describeBackends("fixtures: linear", () => fixtureCases("linear.json"));
describeBackends("fixtures: activations", () => fixtureCases("activations.json"));
describeBackends("fixtures: losses", () => fixtureCases("losses.json"));

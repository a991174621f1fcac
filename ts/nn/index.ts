// torch.nn: modules, parameters, init and the functional namespace.
export { Module, Parameter, type StateDict } from "./module.js";
export * from "./layers.js";
export * from "./loss.js";
export * as init from "./init.js";
export * as utils from "./utils.js";
export * from "./container.js";
export * as functional from "./functional/index.js";
export * from "./conv.js";
export * from "./pool.js";
export * from "./norm.js";
export * from "./embedding.js";
export * from "./rnn.js";
export * from "./resize.js";
export * from "./padding.js";
export * from "./activation.js";
export * from "./attention.js";
export * from "./transformer.js";

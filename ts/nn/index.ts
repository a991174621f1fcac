// torch.nn: modules, parameters, init and the functional namespace.
export { Module, Parameter, type StateDict } from "./module.js";
export * from "./layers.js";
export * from "./loss.js";
export * as init from "./init.js";
export * as utils from "./utils.js";
export * from "./container.js";
import * as functionalNs from "./functional/index.js";
import { scopedNamespace } from "../runtime.js";
/**
 * torch.nn.functional, the same object as torch.F.
 * @namespace
 */
export const functional: typeof functionalNs = scopedNamespace(functionalNs);
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

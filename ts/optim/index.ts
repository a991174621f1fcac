// torch.optim.
export { Optimizer, type ParamGroup, type ParamsArg } from "./optimizer.js";
export {
  SGD,
  Adam,
  AdamW,
  RMSprop,
  Adagrad,
  Adamax,
  NAdam,
  RAdam,
  type SGDOptions,
  type AdamOptions,
  type RMSpropOptions,
  type AdagradOptions,
  type AdamaxOptions,
  type NAdamOptions,
  type RAdamOptions,
} from "./optimizers.js";
export * as lrScheduler from "./lr_scheduler.js";

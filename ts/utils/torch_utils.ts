// torch.utils (the public part): torch.utils.data.
export * as data from "./data.js";

// torch.nn.functional (F): every layer's functional form.
export * from "./basic.js";
export * from "./loss.js";

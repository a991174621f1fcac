// The glossary's SimpleCNN (10 classes, 3x32x32 input) written with torchlet as a user would.
//   npm run build && node examples/simple-cnn.mjs [--backend js|wasm|native]
// Prints the model exactly as PyTorch's print(model) does, then runs a forward pass.

import * as torch from "torchlet";

const { nn, F } = torch;

class SimpleCNN extends nn.Module {
  constructor(numClasses) {
    super();
    this.conv1 = new nn.Conv2d(3, 16, 3, { padding: 1 });
    this.pool = new nn.MaxPool2d(2, { stride: 2, padding: 0 });
    this.conv2 = new nn.Conv2d(16, 32, 3, { padding: 1 });
    this.fc1 = new nn.Linear(32 * 8 * 8, 128);
    this.fc2 = new nn.Linear(128, numClasses);
  }

  forward(x) {
    x = this.conv1.forward(x);
    x = F.relu(x);
    x = this.pool.forward(x);
    x = this.conv2.forward(x);
    x = F.relu(x);
    x = this.pool.forward(x);
    x = x.view(-1, 32 * 8 * 8); // Flatten the tensor
    x = this.fc1.forward(x);
    x = F.relu(x);
    x = this.fc2.forward(x);
    return x;
  }
}

const arg = process.argv.indexOf("--backend");
const backend = await torch.init(arg > 0 ? { backend: process.argv[arg + 1] } : {});

// Example usage
const model = new SimpleCNN(10);
console.log(model.toString());

torch.manualSeed(0);
const x = torch.randn(4, 3, 32, 32);
const out = torch.noGrad(() => model.forward(x));
console.log(`backend: ${backend}`);
console.log(`input shape: [${x.shape.join(", ")}]`);
console.log(`output shape: [${out.shape.join(", ")}]`);
console.log(`predicted classes: [${out.argmax(1).tolist().join(", ")}]`);

// The glossary's SimpleCNN (3x32x32 input, 10 classes), written the way a user would; shared by the
// model and io suites.
import { nn, F } from "../ts/index.js";
import type { Tensor } from "../ts/index.js";

export class SimpleCNN extends nn.Module {
  conv1: nn.Conv2d;
  pool: nn.MaxPool2d;
  conv2: nn.Conv2d;
  fc1: nn.Linear;
  fc2: nn.Linear;
  constructor(numClasses: number) {
    super();
    this.conv1 = new nn.Conv2d(3, 16, 3, { padding: 1 });
    this.pool = new nn.MaxPool2d(2, { stride: 2, padding: 0 });
    this.conv2 = new nn.Conv2d(16, 32, 3, { padding: 1 });
    this.fc1 = new nn.Linear(32 * 8 * 8, 128);
    this.fc2 = new nn.Linear(128, numClasses);
  }
  forward(x: Tensor): Tensor {
    x = this.pool.forward(F.relu(this.conv1.forward(x)));
    x = this.pool.forward(F.relu(this.conv2.forward(x)));
    x = x.view(-1, 32 * 8 * 8);
    return this.fc2.forward(F.relu(this.fc1.forward(x)));
  }
}

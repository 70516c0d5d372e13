// The classic PyTorch MNIST tutorial net: 784-500-10 with ReLU, Adam (lr 1e-3),
// batch 100, cross-entropy. `npm run mnist` runs this with its defaults.
//   node examples/mnist-mlp.mjs [--epochs 2] [--batch-size 100] [--lr 1e-3] [--limit N] [--json] [--plots DIR]
import * as tf from '../dist/index.mjs';
import { loadData, log, parseFlags, trainLoop } from './common.mjs';

const { nn, optim } = tf;
const flags = parseFlags({ epochs: 2, batchSize: 100, lr: 1e-3 });
const data = loadData(flags);

class NeuralNet extends nn.Module {
  constructor(inputSize, hiddenSize, numClasses) {
    super();
    this.fc1 = new nn.Linear(inputSize, hiddenSize);
    this.relu = new nn.ReLU();
    this.fc2 = new nn.Linear(hiddenSize, numClasses);
  }
  forward(x) {
    return this.fc2.forward(this.relu.forward(this.fc1.forward(x)));
  }
}

const model = new NeuralNet(784, 500, 10).to(flags.device);
const optimizer = new optim.Adam(model.parameters(), { lr: flags.lr });
log(flags, `${model}\n${tf.backendInfo().isa} kernels, ${tf.getNumThreads()} threads, device ${flags.device}`);
trainLoop(flags, 'mnist-mlp', model, optimizer, (x) => model.forward(x.reshape(-1, 784)), data);

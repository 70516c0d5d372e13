// Sequential MNIST: each 28x28 image is read as 28 time steps of 28 pixels (one
// row per step) by an LSTM with 128 hidden units; a Linear layer maps its final
// hidden state to the 10 classes. Adam, batch 100, cross-entropy, as in the
// classic PyTorch RNN tutorial. `npm run mnist:lstm` runs it with its defaults.
//   node examples/mnist-lstm.mjs [--epochs 2] [--batch-size 100] [--lr 2e-3] [--limit N] [--json] [--save PATH]
import * as tf from '../dist/index.mjs';
import { loadData, log, parseFlags, trainLoop } from './common.mjs';

const { nn, optim } = tf;
const flags = parseFlags({ epochs: 2, batchSize: 100, lr: 2e-3 });
const data = loadData(flags);

class SequenceClassifier extends nn.Module {
  constructor(inputSize, hiddenSize, numClasses) {
    super();
    this.lstm = new nn.LSTM(inputSize, hiddenSize, { batchFirst: true });
    this.fc = new nn.Linear(hiddenSize, numClasses);
  }
  forward(x) {
    // x [B, 28, 28]: batch, time (image rows), features (pixels of a row).
    const [, [hN]] = this.lstm.forward(x);
    return this.fc.forward(hN.select(0, -1));
  }
}

const model = new SequenceClassifier(28, 128, 10).to(flags.device);
const optimizer = new optim.Adam(model.parameters(), { lr: flags.lr });
log(flags, `${model}\n${tf.backendInfo().isa} kernels, ${tf.getNumThreads()} threads, device ${flags.device}`);
trainLoop(flags, 'mnist-lstm', model, optimizer, (x) => model.forward(x.reshape(-1, 28, 28)), data);

"""PyTorch reference for benchmarks/run.mjs (its `pytorch` section).

Measures, with the same shapes, batches, timing rules (best-of) and thread
count as the tensorforge rows: square SGEMM, the tiny-add overhead with and
without grad, and the mnist-mlp / mnist-cnn training steps (Adam lr 1e-3,
cross-entropy, batch 100, on the same MNIST IDX files). Prints one JSON object.

Input (stdin, JSON): {"threads": n, "quick": bool, "mnist": "<dir with IDX files>"}.
PyTorch is not a dependency: run.mjs skips this section, saying why, when
python3 cannot import torch.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = json.load(sys.stdin)
quick = cfg["quick"]
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)


def best(fn, inner=1, budget=0.3, min_reps=5):
    """Best seconds per call of `fn`, over repetitions of `inner` calls (as run.mjs's best())."""
    for _ in range(inner):
        fn()
    b, total, reps = float("inf"), 0.0, 0
    while (total < budget or reps < min_reps) and reps < 2000:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        dt = time.perf_counter() - t0
        b = min(b, dt / inner)
        total += dt
        reps += 1
    return b


def read_idx(path):
    """The original IDX layout: big-endian magic (type, ndim), dims, then uint8 data."""
    with open(path, "rb") as f:
        raw = f.read()
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(nd)]
    data = torch.frombuffer(bytearray(raw[4 + 4 * nd :]), dtype=torch.uint8)
    return data.reshape(dims)


def mnist_batches():
    n = 2000 if quick else 10000
    x = read_idx(cfg["mnist"] + "/train-images-idx3-ubyte")[:n].float()
    y = read_idx(cfg["mnist"] + "/train-labels-idx1-ubyte")[:n].long()
    x = (x / 255 - 0.1307) / 0.3081  # loadMnist's normalize
    x = x.reshape(-1, 1, 28, 28)
    return [(x[s : s + 100], y[s : s + 100]) for s in range(0, n, 100)]


def per_call(step, n, warmup):
    for i in range(warmup):
        step(i)
    t = []
    for i in range(n):
        t0 = time.perf_counter()
        step(warmup + i)
        t.append(time.perf_counter() - t0)
    t.sort()
    return {"stepMs": t[0] * 1e3, "stepMsMedian": t[len(t) // 2] * 1e3}


def trainer(model, batches):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(i):
        x, y = batches[i % len(batches)]
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


out = {"torch": torch.__version__, "threads": torch.get_num_threads()}

out["gemm"] = []
for n in [1024] if quick else [1024, 2048]:
    a, b = torch.randn(n, n), torch.randn(n, n)
    s = best(lambda: torch.mm(a, b), min_reps=3 if quick else 5)
    out["gemm"].append({"n": n, "gflops": 2 * n**3 / s / 1e9})

a, b = torch.randn(4), torch.randn(4)
ag = torch.randn(4, requires_grad=True)
inner = 2000 if quick else 10000
out["overhead"] = {
    "addNoGrad": best(lambda: a + b, inner=inner) * 1e6,
    "addGradRecorded": best(lambda: ag + b, inner=inner) * 1e6,
}

batches = mnist_batches()


def mlp_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 10))


mlp = mlp_model()
cnn = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
)
out["mnist"] = {
    "mlp": per_call(trainer(mlp, batches), 40 if quick else 200, 10),
    "cnn": per_call(trainer(cnn, batches), 8 if quick else 40, 3),
}
if not quick:
    # One whole mnist-mlp epoch (600 steps), timed end to end, as run.mjs does.
    step = trainer(mlp_model(), batches)
    step(0)
    t0 = time.perf_counter()
    for i in range(600):
        step(i)
    out["mnist"]["mlp"]["epochS"] = time.perf_counter() - t0
print(json.dumps(out))

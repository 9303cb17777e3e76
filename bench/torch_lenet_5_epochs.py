"""PyTorch peer of issue 19's wall-time row: the book's LeNet (5.5), 5 epochs on full Fashion-MNIST
as `d2l-ts run lenet` trains it (batch 256, SGD lr 0.9, Xavier, sigmoid, d2lzh's train_ch5: each
epoch a shuffled pass with the loss and accuracy summed per batch, then the test accuracy), timed
as a whole process like `d2l-ts run lenet` is.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/torch_lenet_5_epochs.py

Prints the book's epoch lines and a final `RESULT {json}` with the wall time (data loading
included, as in the d2l-ts run).
"""
import json
import os
import sys
import time

T0 = time.perf_counter()
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("D2L_BENCH_SHARED") or os.path.join(ROOT, "..", "shared", "bench")
if os.path.exists(os.path.join(SHARED, "pyharness.py")):
    sys.path.insert(0, SHARED)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from pyharness import load_fashion_mnist  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(1)
BATCH, LR, EPOCHS = 256, 0.9, 5

d = load_fashion_mnist()
train_x = torch.from_numpy(d["train_x"]).reshape(-1, 1, 28, 28)
train_y = torch.from_numpy(d["train_y"])
test_x = torch.from_numpy(d["test_x"]).reshape(-1, 1, 28, 28)
test_y = torch.from_numpy(d["test_y"])

net = nn.Sequential(
    nn.Conv2d(1, 6, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2),
    nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2),
    nn.Flatten(), nn.Linear(256, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
for m in net.modules():
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
loss_fn = nn.CrossEntropyLoss(reduction="sum")
opt = torch.optim.SGD(net.parameters(), lr=LR / BATCH)  # Gluon's step(B) divides the summed gradient by B


def accuracy(x, y):
    with torch.no_grad():
        right = 0
        for i in range(0, len(y), BATCH):
            right += (net(x[i:i + BATCH]).argmax(1) == y[i:i + BATCH]).sum().item()
    return right / len(y)


for epoch in range(1, EPOCHS + 1):
    start = time.perf_counter()
    perm = torch.randperm(len(train_y))
    loss_sum, right, n = 0.0, 0, 0
    for i in range(0, len(perm), BATCH):
        idx = perm[i:i + BATCH]
        X, y = train_x[idx], train_y[idx]
        y_hat = net(X)
        loss = loss_fn(y_hat, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_sum += loss.item()
        right += (y_hat.argmax(1) == y).sum().item()
        n += len(y)
    test_acc = accuracy(test_x, test_y)
    print(f"epoch {epoch}, loss {loss_sum / n:.4f}, train acc {right / n:.3f}, test acc {test_acc:.3f}, "
          f"time {time.perf_counter() - start:.1f} sec", flush=True)

print("RESULT " + json.dumps({"peer": "torch", "version": f"torch {torch.__version__}", "workload": "lenet_5_epochs",
                              "unit": "s", "value": round(time.perf_counter() - T0, 2)}))

"""PyTorch peer of the CNN workloads W6 (LeNet, 5.5) and W7 (ResNet-18, 5.11):
`python3 bench/torch_w6_w7.py <w6_lenet|w7_resnet18> [--peer=LABEL] [--min-time-s=S]`

The same data and the same step as bench/w6-lenet.ts and bench/w7-resnet18.ts, written in the
style of ../shared/bench/torch_bench.py (whose harness, pyharness.py, it imports: from
$D2L_BENCH_SHARED, else ../shared/bench beside the repository, else PYTHONPATH). Parameters come
from the `w6_lenet` / `w7_resnet18` keys of ../shared/bench/workloads.json when present, else of
this repository's bench/workloads.json. Run it as the other torch peers are run:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/torch_w6_w7.py w6_lenet
Add ONEDNN_VERBOSE=1 to see which oneDNN convolution kernels run (docs/PERF.md records them).

- data: the first `data_batches` batches of Fashion-MNIST training images in file order, pixels /
  255, as (B, 1, S, S); W7's 28 -> 96 resize is nearest neighbour (F.interpolate 'nearest':
  source index floor(i * 28 / 96)), done once, not timed;
- init: Xavier (uniform, as MXNet's init.Xavier() with its default magnitude 3 and 'avg' factor,
  the same bound as torch's xavier_uniform_), biases zero; BatchNorm gamma 1, beta 0;
- step (timed): loss = sum of softmax cross-entropy over the batch, backward, SGD with lr / B
  (Gluon's trainer.step(B) rescales the summed gradient by 1 / B), loss read back (.item()).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("D2L_BENCH_SHARED") or os.path.join(ROOT, "..", "shared", "bench")
if os.path.exists(os.path.join(SHARED, "pyharness.py")):
    sys.path.insert(0, SHARED)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from pyharness import WORKLOADS, emit, load_fashion_mnist, median, parse_args, time_repeated  # noqa: E402

ARGS = parse_args()
torch.set_num_threads(2)
torch.manual_seed(0)

with open(os.path.join(HERE, "workloads.json")) as f:
    OURS = json.load(f)


def cfg_of(name):
    return WORKLOADS.get(name) or OURS[name]


BASE = {"peer": ARGS.get("peer", "torch"), "version": f"torch {torch.__version__}", "threads": torch.get_num_threads()}


def xavier(net):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def batches_of(cfg, size):
    d = load_fashion_mnist()
    B = cfg["batch_size"]
    out = []
    for i in range(cfg["data_batches"]):
        X = torch.from_numpy(d["train_x"][i * B:(i + 1) * B].copy()).reshape(B, 1, 28, 28)
        if size != 28:
            X = F.interpolate(X, size=(size, size), mode="nearest")
        y = torch.from_numpy(d["train_y"][i * B:(i + 1) * B].copy())
        out.append((X.contiguous(), y))
    return out


def time_steps(name, cfg, net, batches):
    B = cfg["batch_size"]
    opt = torch.optim.SGD(net.parameters(), lr=cfg["lr"] / B)
    k = [0]
    last = [float("nan")]

    def step():
        X, y = batches[k[0] % len(batches)]
        k[0] += 1
        opt.zero_grad()
        loss = F.cross_entropy(net(X), y, reduction="sum")
        loss.backward()
        opt.step()
        last[0] = loss.item() / B

    min_time_s = float(ARGS["min-time-s"]) if "min-time-s" in ARGS else cfg["min_time_s"]
    samples = time_repeated(step, warmup=cfg["warmup_steps"], reps=cfg["min_steps"], min_time_s=min_time_s, max_reps=500)
    ms = median(samples)
    emit({**BASE, "workload": name, "case": "train_step", "metric": "ms_per_step", "unit": "ms/step",
          "value": ms, "steps_per_s": 1000 / ms, "samples_ms": [round(s, 3) for s in samples], "last_loss": last[0]})


def w6_lenet():
    cfg = cfg_of("w6_lenet")
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(256, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
    xavier(net)
    time_steps("w6_lenet", cfg, net, batches_of(cfg, 28))


class Residual(nn.Module):
    """The book's Residual block (5.11)."""

    def __init__(self, cin, cout, use_1x1=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv3 = nn.Conv2d(cin, cout, 1, stride=strides) if use_1x1 else None
        self.bn1 = nn.BatchNorm2d(cout, momentum=0.1)
        self.bn2 = nn.BatchNorm2d(cout, momentum=0.1)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3 is not None:
            X = self.conv3(X)
        return F.relu(Y + X)


def resnet_block(cin, cout, n, first=False):
    layers = []
    for i in range(n):
        layers.append(Residual(cin if i == 0 else cout, cout, use_1x1=True, strides=2) if i == 0 and not first
                      else Residual(cin if i == 0 else cout, cout))
    return nn.Sequential(*layers)


def w7_resnet18():
    cfg = cfg_of("w7_resnet18")
    net = nn.Sequential(
        nn.Conv2d(1, 64, 7, stride=2, padding=3), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
        resnet_block(64, 64, 2, first=True), resnet_block(64, 128, 2), resnet_block(128, 256, 2), resnet_block(256, 512, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10))
    xavier(net)
    net.train()
    time_steps("w7_resnet18", cfg, net, batches_of(cfg, cfg["image_size"]))


WORKLOAD_FNS = {f.__name__: f for f in (w6_lenet, w7_resnet18)}

if __name__ == "__main__":
    if not ARGS["_"] or ARGS["_"][0] not in WORKLOAD_FNS:
        sys.exit(f"usage: torch_w6_w7.py <{'|'.join(WORKLOAD_FNS)}>")
    WORKLOAD_FNS[ARGS["_"][0]]()

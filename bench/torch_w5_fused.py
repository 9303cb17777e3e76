"""PyTorch peer of W5-fused (bench/w5-fused.ts): W5's training step with PyTorch's fused
recurrent layers, `python3 bench/torch_w5_fused.py [--peer=LABEL] [--min-time-s=S] [--cells=rnn,gru,lstm]`

The same data and step as bench/w5-fused.ts, in the style of ../shared/bench/torch_bench.py's
w5_rnn_fused (whose harness, pyharness.py, it imports: from $D2L_BENCH_SHARED, else
../shared/bench beside the repository, else PYTHONPATH). Parameters come from the `w5_fused` key
of ../shared/bench/workloads.json when present, else of this repository's bench/workloads.json.
Run it as the other torch peers are run:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/torch_w5_fused.py

- data: `data_batches` pairs of (B, T) random token batches (torch.Generator seeded 0), cycled;
- model: nn.RNN (tanh) / nn.GRU / nn.LSTM (V -> 256) over the one-hot (T, B, V) input from a zero
  state, then nn.Linear(256, V) over all T*B outputs; weights N(0, init_std), biases zero;
- step (timed): mean softmax cross-entropy, backward, global-norm clipping (theta), SGD (lr),
  the loss read back (.item()).
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
import torch.nn.functional as F  # noqa: E402

from pyharness import WORKLOADS, emit, median, parse_args, time_repeated  # noqa: E402

ARGS = parse_args()
torch.set_num_threads(2)
torch.manual_seed(0)

with open(os.path.join(HERE, "workloads.json")) as f:
    OURS = json.load(f)

CFG = WORKLOADS.get("w5_fused") or OURS["w5_fused"]
BASE = {"peer": ARGS.get("peer", "torch"), "version": f"torch {torch.__version__}", "threads": torch.get_num_threads()}
LAYERS = {
    "rnn": lambda V, H: torch.nn.RNN(V, H, nonlinearity="tanh"),
    "gru": lambda V, H: torch.nn.GRU(V, H),
    "lstm": lambda V, H: torch.nn.LSTM(V, H),
}


def batches():
    g = torch.Generator().manual_seed(0)
    shape = (CFG["batch_size"], CFG["num_steps"])
    return [(torch.randint(0, CFG["vocab_size"], shape, generator=g),
             torch.randint(0, CFG["vocab_size"], shape, generator=g)) for _ in range(CFG["data_batches"])]


def clip_and_sgd(params, theta, lr):
    with torch.no_grad():
        norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
        if norm > theta:
            for p in params:
                p.grad *= theta / norm
        for p in params:
            p -= lr * p.grad
            p.grad.zero_()


def run(cell):
    V, H_, B = CFG["vocab_size"], CFG["num_hiddens"], CFG["batch_size"]
    rnn, out = LAYERS[cell](V, H_), torch.nn.Linear(H_, V)
    params = list(rnn.parameters()) + list(out.parameters())
    with torch.no_grad():
        for p in params:
            p.normal_(0, CFG["init_std"]) if p.dim() == 2 else p.zero_()
    data = batches()
    k = [0]
    last = [float("nan")]

    def step():
        X, Y = data[k[0] % len(data)]
        k[0] += 1
        inputs = F.one_hot(X.T, V).float()  # [T, B, V]
        h0 = torch.zeros(1, B, H_)
        Hs, _ = rnn(inputs, (h0, torch.zeros(1, B, H_)) if cell == "lstm" else h0)
        loss = F.cross_entropy(out(Hs.reshape(-1, H_)), Y.T.reshape(-1))
        loss.backward()
        clip_and_sgd(params, CFG["clip_theta"], CFG["lr"])
        last[0] = loss.item()

    min_time_s = float(ARGS["min-time-s"]) if "min-time-s" in ARGS else CFG["min_time_s"]
    samples = time_repeated(step, warmup=CFG["warmup_steps"], reps=CFG["min_steps"], min_time_s=min_time_s, max_reps=200)
    ms = median(samples)
    emit({**BASE, "workload": "w5_fused", "case": cell, "metric": "ms_per_step", "unit": "ms/step",
          "value": ms, "steps_per_s": 1000 / ms, "samples_ms": [round(s, 3) for s in samples], "last_loss": last[0]})


if __name__ == "__main__":
    cells = ARGS["cells"].split(",") if isinstance(ARGS.get("cells"), str) else CFG["cells"]
    for c in cells:
        if c not in LAYERS:
            sys.exit(f"torch_w5_fused.py: unknown cell '{c}' (rnn, gru, lstm)")
    for c in cells:
        run(c)

"""Opacus on the article task, for comparison with ``benchmarks/dp_training.py`` (Chapter 3.2).

The same task as ``dp_training.py``'s ``article`` model: ``LSTM(64) + Linear(10)`` on 2,048
synthetic sequences of 20 steps x 16 features (the same generator), batch 64, one example per
clipping unit, Adam at 1e-3, clip 1.0, noise 1.1. PyTorch has no Keras, so the ratio compared
is each library's DP epoch over its own non-private epoch on the same machine:

* ``torch``: non-private ``nn.LSTM`` (the baseline);
* ``torch DPLSTM``: non-private ``opacus.layers.DPLSTM`` (the LSTM Opacus can clip: its
  gates are ``nn.Linear`` layers that Opacus's hooks see);
* ``Opacus hooks``: ``PrivacyEngine.make_private`` with per-sample gradient hooks;
* ``Opacus ghost clipping``: ``grad_sample_mode="ghost"`` (Li et al. 2022).

It needs PyTorch and Opacus, which the book does not depend on: ``make bench-opacus`` creates
their own environment (``.venv-opacus``) and runs this file there. Each method runs a warm-up
epoch, then ``--epochs`` interleaved timed epochs; the table shows medians.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import opacus
import torch
from opacus import PrivacyEngine
from opacus.layers import DPLSTM
from torch import nn

BATCH, CLIP, NOISE, LEARNING_RATE, SEED = 64, 1.0, 1.1, 1e-3, 0


def article_task(n: int = 2048, steps: int = 20, features: int = 16, seed: int = SEED):
    """The generator of ``dp_training.article_task`` (same numbers for the same seed)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    patterns = rng.normal(0, 1, (10, 1, features))
    x = rng.normal(0, 1, (n, steps, features)) + 0.5 * patterns[y]
    return x.astype("float32"), y.astype("int64")


class Classifier(nn.Module):
    """``LSTM(64)`` over the sequence, ``Linear(10)`` on the last hidden state."""

    def __init__(self, lstm_cls):
        super().__init__()
        self.lstm = lstm_cls(16, 64, batch_first=True)
        self.out = nn.Linear(64, 10)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.out(h[-1])


def prepare(method: str, x, y):
    """(model, optimizer, loader, criterion) for one method."""
    torch.manual_seed(SEED)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH, shuffle=True)
    model = Classifier(nn.LSTM if method == "torch" else DPLSTM)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    criterion = nn.CrossEntropyLoss()
    if method.startswith("Opacus"):
        mode = "ghost" if "ghost" in method else "hooks"
        engine = PrivacyEngine()
        result = engine.make_private(module=model, optimizer=optimizer, data_loader=loader,
                                     criterion=criterion, noise_multiplier=NOISE,
                                     max_grad_norm=CLIP, grad_sample_mode=mode,
                                     poisson_sampling=False)
        if mode == "ghost":
            model, optimizer, criterion, loader = result
        else:
            model, optimizer, loader = result
    return model, optimizer, loader, criterion


def epoch_seconds(model, optimizer, loader, criterion) -> float:
    start = time.perf_counter()
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per method")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be >= 1")
    x, y = article_task()
    methods = ["torch", "torch DPLSTM", "Opacus hooks", "Opacus ghost clipping"]
    prepared = {m: prepare(m, x, y) for m in methods}
    seconds: dict[str, list[float]] = {m: [] for m in methods}
    for round_ in range(args.epochs + 1):
        for m in methods:
            s = epoch_seconds(*prepared[m])
            if round_ > 0:
                seconds[m].append(s)
    med = {m: float(np.median(s)) for m, s in seconds.items()}
    print(f"PyTorch {torch.__version__}, Opacus {opacus.__version__}, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} "
          f"threads; median of {args.epochs} interleaved epochs after a warm-up epoch")
    print(f"| {'method':24s} | {'s/epoch':>7s} | {'x torch':>7s} | {'x DPLSTM':>8s} |")
    print(f"|{'-' * 26}|{'-' * 9}|{'-' * 9}|{'-' * 10}|")
    for m in methods:
        print(f"| {m:24s} | {med[m]:7.3f} | {med[m] / med['torch']:7.2f} | "
              f"{med[m] / med['torch DPLSTM']:8.2f} |")


if __name__ == "__main__":
    main()

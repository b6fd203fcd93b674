"""Cost and effect of adversarial training methods, measured side by side in one process.

Model and data: the source article's LSTM(64) classifier (``rnnsec.models.sequence_classifier``)
on sklearn's handwritten digits read row by row, ``(N, 8, 8)`` in ``[0, 1]``. For each method it
trains the same architecture from the same seed and reports

- the time per epoch (the median training step after the first epoch, which includes
  tracing, times the steps per epoch), wall clock and process CPU time, each as a ratio to
  clean training; for free AT, one ``fit`` epoch replays every minibatch ``m`` times, so its
  time is divided by ``m`` ("per epoch seen");
- clean test accuracy and PGD-10 robust test accuracy at the training epsilon.

Expected (Madry et al. 2018; Wong, Rice, Kolter 2020; Shafahi et al. 2019): FGSM-RS about 2x
clean, PGD-k about (k+1)x, free about 1x per epoch seen, TRADES with k steps about (k+2)x.

Run: ``python benchmarks/adversarial_training.py`` (a few minutes on a 2-core CPU).
Chapter 3.1 quotes its table.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from sklearn.datasets import load_digits

from rnnsec import set_seed
from rnnsec.adversarial import (
    FGSMRS,
    PGD,
    TRADES,
    AdversarialTrainer,
    CatastrophicOverfittingMonitor,
    Free,
    pgd,
)
from rnnsec.compat import KERAS_VERSION, keras
from rnnsec.models import sequence_classifier


class StepTimer(keras.callbacks.Callback):
    """Wall-clock and process CPU seconds of every training step after the first epoch.

    The first epoch includes tracing and is left out. Placed first in the callback list, so
    later callbacks (the overfitting monitor) are not timed. CPU time counts every thread of
    this process and is less disturbed by other processes on a shared machine.
    """

    def __init__(self):
        super().__init__()
        self.epoch, self.wall, self.cpu = 0, [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self._start = (time.perf_counter(), time.process_time())

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch > 0:
            self.wall.append(time.perf_counter() - self._start[0])
            self.cpu.append(time.process_time() - self._start[1])


def digits(test_size: int = 397, seed: int = 0):
    """Row-wise digits: ``x`` ``[N, 8, 8]`` in [0, 1], labels 0-9; a fixed random split."""
    data = load_digits()
    x = (data.images / 16.0).astype("float32")  # [1797, 8, 8]
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], data.target[order]
    return (x[test_size:], y[test_size:]), (x[:test_size], y[:test_size])


def run(method: type | None, train, test, *, epochs: int, epsilon: float, batch_size: int,
        lr: float, seed: int, **kwargs) -> dict:
    """Train one model with the method class ``method`` (None = clean); time and accuracy."""
    (x, y), (xt, yt) = train, test
    set_seed(seed)
    model = sequence_classifier((8, 8), 10)
    trainer = model if method is None else AdversarialTrainer(
        model, method(epsilon, clip_min=0.0, clip_max=1.0, **kwargs))
    trainer.compile(keras.optimizers.Adam(lr),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    timer = StepTimer()
    callbacks = [timer]
    monitor = None
    if method is FGSMRS:
        monitor = CatastrophicOverfittingMonitor(x[:200], y[:200], epsilon, steps=10,
                                                 clip_min=0.0, clip_max=1.0)
        callbacks.append(monitor)
    fit_epochs = trainer.epochs_for(epochs) if method is not None else epochs
    trainer.fit(x, y, epochs=fit_epochs, batch_size=batch_size, verbose=0, callbacks=callbacks)
    replays = kwargs.get("replays", 1) if method is Free else 1
    steps_per_epoch = -(-len(x) // batch_size)
    result = pgd(model, xt, yt, epsilon, steps=10, clip_min=0.0, clip_max=1.0, seed=0,
                 progress=False)
    return {
        "fit_epochs": fit_epochs,
        "epoch_seconds": float(np.median(timer.wall)) * steps_per_epoch / replays,
        "epoch_cpu_seconds": float(np.median(timer.cpu)) * steps_per_epoch / replays,
        "timed_steps": len(timer.wall),
        "clean_accuracy": result.clean_accuracy,
        "robust_accuracy": result.robust_accuracy,
        "collapsed": None if monitor is None else monitor.collapsed,
    }


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12, help="epochs seen by every method")
    parser.add_argument("--epsilon", type=float, default=0.1, help="L-inf budget, pixels in [0,1]")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--replays", type=int, default=4, help="free AT's m")
    parser.add_argument("--pgd-steps", type=int, nargs=2, default=(3, 7))
    parser.add_argument("--trades-steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)

    train, test = digits(seed=args.seed)
    common = dict(epochs=args.epochs, epsilon=args.epsilon, batch_size=args.batch_size,
                  lr=args.lr, seed=args.seed)
    k1, k2 = args.pgd_steps
    plan = [
        ("clean", None, {}, "1"),
        ("FGSM-RS", FGSMRS, {}, "<= 2.2"),
        (f"free (m={args.replays})", Free, {"replays": args.replays}, "<= 1.3"),
        (f"PGD-{k1}", PGD, {"steps": k1}, f"~ {k1 + 1}"),
        (f"PGD-{k2}", PGD, {"steps": k2}, f"~ {k2 + 1}"),
        (f"TRADES-{args.trades_steps}", TRADES, {"steps": args.trades_steps},
         f"~ {args.trades_steps + 2}"),
    ]
    rows = []
    for name, method, kwargs, target in plan:
        row = {"method": name, "target_ratio": target, **run(method, train, test, **common,
                                                            **kwargs)}
        rows.append(row)
        print(f"  done {name}: {row['epoch_seconds']:.3f} s/epoch", flush=True)
    for row in rows:
        row["ratio_to_clean"] = row["epoch_seconds"] / rows[0]["epoch_seconds"]
        row["cpu_ratio_to_clean"] = row["epoch_cpu_seconds"] / rows[0]["epoch_cpu_seconds"]

    print(f"\nsklearn digits row-wise (train {len(train[0])}, test {len(test[0])}), "
          f"LSTM(64), batch {args.batch_size}, {args.epochs} epochs seen, "
          f"L-inf epsilon {args.epsilon}, robust = PGD-10 on the test set; "
          f"Keras {KERAS_VERSION}")
    header = (f"{'method':<14}{'s/epoch':>9}{'ratio':>7}{'cpu ratio':>11}{'target':>9}"
              f"{'clean acc':>11}{'robust acc':>12}")
    print(header + "\n" + "-" * len(header))
    for r in rows:
        note = "  (catastrophic overfitting: stopped)" if r["collapsed"] else ""
        print(f"{r['method']:<14}{r['epoch_seconds']:>9.3f}{r['ratio_to_clean']:>7.2f}"
              f"{r['cpu_ratio_to_clean']:>11.2f}{r['target_ratio']:>9}"
              f"{r['clean_accuracy']:>11.3f}{r['robust_accuracy']:>12.3f}{note}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)
    return rows


if __name__ == "__main__":
    main()

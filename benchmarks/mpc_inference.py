"""Secure vs plaintext inference of recurrent classifiers under rnnsec.mpc (Chapter 3.3).

For SimpleRNN, GRU and LSTM at two hidden sizes (random Keras-layout weights; 12 features,
20 steps, 9 classes by default) this measures, side by side in one run:

* plaintext time per sequence (NumPy ``rnn_forward``, best of 3) and secure time per sequence
  (``secure_rnn_predict``, all sequences in one batch, parties simulated in one process);
* online bytes per sequence, rounds (they do not grow with the batch), and the ratio of the
  bytes sent to the Beaver lower bound: two openings (e = x - a, d = y - b) per arithmetic
  Beaver multiplication. The rest is comparisons (the sign bits behind sigmoid and tanh),
  truncations (3 parties), inputs and outputs; the "cmp" column gives the comparisons' share;
* agreement of the secure argmax with the plaintext argmax (target >= 99%) and the largest
  logit error.

Run: ``python benchmarks/mpc_inference.py`` (about 15 s on a 2-core CPU); options:
``--sequences``, ``--units``, ``--parties 2 3``, ``--method``, and ``--exp-order 3
--exp-iterations 4`` for the more accurate exp (CrypTen's setting is the default).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rnnsec import mpc


def _plain_seconds(weights, x, cell, repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        mpc.rnn_forward(weights, x, cell)
        best = min(best, time.perf_counter() - start)
    return best


def run(sequences: int, steps: int, features: int, classes: int, units: list[int],
        parties: list[int], method: str, seed: int, options: dict | None = None) -> list[dict]:
    """Measure every (parties, cell, units) configuration; return one row each."""
    x = np.random.default_rng(seed).normal(size=(sequences, steps, features))
    rows = []
    for n in parties:
        for cell in ("simple_rnn", "gru", "lstm"):
            for h in units:
                weights = mpc.random_rnn_weights(cell, features, h, classes, seed=seed + h)
                plain = _plain_seconds(weights, x, cell)
                session = mpc.Session(parties=n, seed=seed, keep_views=False)
                res = mpc.secure_rnn_predict(session, weights, x, cell, method=method,
                                             function_options=options)
                cmp_bytes = sum(res.bytes_by_purpose.get(k, 0) for k in ("compare", "and", "b2a"))
                rows.append({
                    "parties": n, "cell": cell, "units": h,
                    "plain_ms": 1e3 * plain / sequences,
                    "secure_ms": 1e3 * res.seconds / sequences,
                    "slowdown": res.seconds / plain,
                    "kb_per_seq": res.bytes_per_sequence / 1e3,
                    "rounds": res.rounds,
                    "vs_bound": res.overhead,
                    "cmp_share": cmp_bytes / res.online_bytes,
                    "agreement": res.agreement,
                    "max_err": res.max_abs_error,
                })
    return rows


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table."""
    head = (f"{'n':>2} {'cell':<10} {'H':>4} {'plain ms/seq':>12} {'secure ms/seq':>13} "
            f"{'slowdown':>9} {'KB/seq':>9} {'rounds':>7} {'bytes/bound':>11} {'cmp':>5} "
            f"{'agree':>7} {'max|dlogit|':>11}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['parties']:>2} {r['cell']:<10} {r['units']:>4} {r['plain_ms']:>12.4f} "
            f"{r['secure_ms']:>13.3f} {r['slowdown']:>8.0f}x {r['kb_per_seq']:>9.0f} "
            f"{r['rounds']:>7} {r['vs_bound']:>10.2f}x {r['cmp_share']:>5.0%} "
            f"{r['agreement']:>7.1%} {r['max_err']:>11.2e}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sequences", type=int, default=500)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--features", type=int, default=12)
    parser.add_argument("--classes", type=int, default=9)
    parser.add_argument("--units", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--parties", type=int, nargs="+", default=[2], choices=[2, 3])
    parser.add_argument("--method", default="reciprocal", choices=list(mpc.SIGMOID_METHODS))
    parser.add_argument("--exp-iterations", type=int, default=8,
                        help="squarings in exp (CrypTen: 8)")
    parser.add_argument("--exp-order", type=int, default=1,
                        help="degree of exp's base polynomial (CrypTen: 1)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    options = {"exp_iterations": args.exp_iterations, "exp_order": args.exp_order}
    rows = run(args.sequences, args.steps, args.features, args.classes, args.units,
               args.parties, args.method, args.seed, options)
    print(f"secure ({args.method} sigmoid/tanh, exp with {args.exp_iterations} squarings of an "
          f"order-{args.exp_order} base) vs plaintext inference: {args.sequences} "
          f"sequences x {args.steps} steps x {args.features} features, {args.classes} classes, "
          "16 fractional bits, random Keras-layout weights")
    print(format_table(rows))
    ok = all(r["agreement"] >= 0.99 for r in rows)
    print(f"agreement >= 99% in every row: {'yes' if ok else 'NO'}; "
          f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

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

Then, with every party in its own process (``rnnsec.mpc.networked_rnn_predict``), the wall
time of one secure LSTM inference in one process, over loopback TCP and over emulated LAN and
WAN links (an in-transport delay and bandwidth model, ``rnnsec.mpc.link``: ``tc netem`` would
need root privileges), next to its rounds and bytes and the time that the model
``loopback time + rounds x latency + bytes / bandwidth`` predicts; the effect of batching
sequences; and a latency sweep whose fitted slope should equal the rounds.

Last, CrypTen side by side (Knott et al. 2021): CrypTen publishes no recurrent model, but its
repository publishes per-operation timings of the building blocks a secure LSTM is made of
(sigmoid, tanh, exp, elementwise and matrix products on (100, 100) tensors, two parties, CPU,
median of 10 runs). The same operations on the same shapes are timed here the same way, with
their rounds and bytes. The comparison is indicative: the machines differ, and rnnsec's
in-process session does both parties' work in one process without sockets.

Run: ``python benchmarks/mpc_inference.py`` (about 45 s on a 2-core CPU); options:
``--sequences``, ``--units``, ``--parties 2 3``, ``--method``, and ``--exp-order 3
--exp-iterations 4`` for the more accurate exp (CrypTen's setting is the default);
``--network-steps``, ``--batch``, ``--no-network``.
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


def _fmt(value, spec: str) -> str:
    """``value`` formatted by ``spec``, or a right-aligned dash for None."""
    return "-".rjust(int(spec.split(".")[0])) if value is None else format(value, spec)


def run_network(steps: int, features: int, classes: int, units: int, batch: int,
                seed: int) -> None:
    """Print the networked measurements: profiles, batching, latency sweep and fit."""
    weights = mpc.random_rnn_weights("lstm", features, units, classes, seed=seed)
    x = np.random.default_rng(seed).normal(size=(batch, steps, features))
    print(f"\nnetworked LSTM({units}) inference, 2 parties in separate processes, "
          f"{steps} steps x {features} features; wall time of the client's process")
    head = (f"{'setting':<10} {'batch':>5} {'lat ms':>7} {'Mbit/s':>7} {'ms/inference':>12} "
            f"{'rounds':>6} {'online KB':>9} {'link KB':>8} {'model ms':>9} {'meas/model':>10}")
    print(head + "\n" + "-" * len(head))
    for b in (1, batch):
        for r in mpc.measure_links(weights, x[:b], "lstm", links=("loopback", "lan", "wan"),
                                   seed=seed):
            model = r["predicted_s"]
            per = None if model is None else 1e3 * model / b
            ratio = None if model is None else r["seconds"] / model
            print(f"{r['setting']:<10} {b:>5} {r['latency_ms']:>7.2f} {_fmt(r['mbit_s'], '7.0f')} "
                  f"{1e3 * r['seconds'] / b:>12.1f} {r['rounds']:>6} {r['online_kb']:>9.0f} "
                  f"{_fmt(r['link_kb'], '8.0f')} {_fmt(per, '9.1f')} {_fmt(ratio, '10.2f')}")
    links = [mpc.LinkProfile(f"{ms:g} ms", latency=ms / 1e3) for ms in (0.0, 1.0, 2.0, 5.0)]
    sweep = mpc.measure_links(weights, x[:1], "lstm", links=links, seed=seed)[1:]
    fit = mpc.latency_fit([r["latency_ms"] / 1e3 for r in sweep], [r["seconds"] for r in sweep])
    print(f"latency sweep {[r['setting'] for r in sweep]}: slope {fit['slope']:.0f} s per s of "
          f"latency (rounds: {sweep[0]['rounds']}), intercept {1e3 * fit['intercept']:.0f} ms, "
          f"R^2 {fit['r2']:.4f}")
    print("CrypTen: not compared (no published CrypTen timing for a comparable recurrent model "
          "is cited in book/references.bib)")


def print_operations(rows: list[dict]) -> None:
    print(f"\nCrypTen side by side: (100, 100) tensors, 2 parties, CPU, median of 10 runs "
          f"(CrypTen: {mpc.operations.CRYPTEN_SOURCE}; rnnsec: this machine, both parties in "
          "one process, no sockets)")
    print(mpc.operations.format_operations(rows))


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
    parser.add_argument("--network-steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=8, help="batched sequences (networked)")
    parser.add_argument("--no-network", action="store_true", help="skip the networked runs")
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
    print(f"agreement >= 99% in every row: {'yes' if ok else 'NO'}")
    if not args.no_network:
        run_network(args.network_steps, args.features, args.classes, args.units[0], args.batch,
                    args.seed)
    print_operations(mpc.operations.operation_costs(args.seed))
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

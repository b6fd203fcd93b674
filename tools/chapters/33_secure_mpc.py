"""Source of notebooks/33_secure_mpc.ipynb (Chapter 3.3, Secure multi-party computation)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

cells = [
md(r"""
# 3.3 Secure multi-party computation

The source article's section 3.3 asks how several parties can compute a function together
when none of them may show its data to the others. A hospital wants a speaker-identification
model to label a patient's recording without handing over the recording; the model's owner
wants to sell predictions without handing over the weights; four hospitals want to train one
model without pooling their patients. {term}`Secure multi-party computation <Secure multi-party computation (安全多方计算, MPC)>` (MPC) answers all three:
the parties exchange messages that, taken one by one, look like random numbers, and at the end
each learns the output it is entitled to and nothing else {cite}`yao1986generate`.

This chapter builds that machinery from the bottom up with `rnnsec.mpc`, a small but real MPC
implementation in NumPy that simulates the parties in one process and counts every byte they
would send. It follows CrypTen {cite}`knott2021crypten`: additive {term}`secret sharing <Secret sharing (秘密共享)>`, Beaver
multiplication, fixed-point numbers, and approximations of the sigmoid and tanh that recurrent
networks need. We then run a trained LSTM on secret-shared speech data, train a model across
simulated hospitals with secure aggregation {cite}`bonawitz2017practical`, and finally break
the protocol's main assumption: that every party follows it.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- split a number into additive shares over $\mathbb{Z}_{2^{64}}$ and explain, with a proof and
  a statistical test, why one share reveals nothing;
- multiply secret-shared values with a {term}`Beaver triple <Beaver triple (Beaver 三元组)>`, say what every party sends and
  receives, and explain why a triple must never be used twice;
- predict the error that fixed-point encoding and truncation add, and when truncation fails;
- compare secure approximations of sigmoid and tanh by accuracy and cost, and choose one;
- run a trained RNN on secret-shared inputs and weights and measure agreement, bytes, rounds
  and slowdown against plaintext inference;
- train a model across several data holders with secure aggregation, with and without
  {term}`differential privacy <Differential privacy (差分隐私)>`, and compare it with centralised training;
- say what the semi-honest model does not protect against, and how MACs (SPDZ) detect a
  cheating party.
```

```{admonition} Threat model of this chapter
:class: important
- **Parties:** two computing parties, P0 (the client, e.g. a hospital holding a recording)
  and P1 (the model owner holding the weights), and a **trusted dealer** that hands both of
  them correlated randomness (Beaver triples and the like) before any input is known. The
  dealer sees no input and never colludes with a party. In the aggregation section the parties
  are hospitals and a server.
- **Adversary:** **semi-honest** (honest but curious). A corrupted party follows the protocol
  exactly, but studies everything it receives, its *view*, to learn the other party's input.
  Section 3.3.7 drops this assumption.
- **What stays secret:** each party's input (sequence or weights) and every intermediate value
  (hidden states, gate activations).
- **What leaks by design:** the **output** (the client learns the logits, and what can be
  inferred from them: the book's privacy chapters attack exactly that), the public **shapes**: the
  number of sequences, the **sequence lengths** (public here so that padding can be skipped),
  the number of units, and therefore the **message sizes and the number of rounds**; and the
  running time. In secure aggregation the server learns the **sum** of the updates.
- **Out of scope:** a party that deviates from the protocol (malicious), a dealer that
  colludes, side channels, and the network itself (we count bytes and rounds; we send nothing).
```
"""),
code("""
import time

import numpy as np
from IPython.display import Markdown, display
from scipy import stats
from threadpoolctl import threadpool_limits

import rnnsec
from rnnsec import data, models, mpc, plots
from rnnsec.book import glue
from rnnsec.compat import keras
from rnnsec.privacy.accounting import compute_epsilon

rnnsec.set_seed(0)
profile = rnnsec.config.get_profile()
FRAC_BITS = 16  # fixed-point fractional bits, as in CrypTen
ULP = 2.0 ** -FRAC_BITS  # one unit in the last place of the fixed-point encoding
print(profile)


def show_table(rows):
    \"\"\"Display a list of dicts (column -> already formatted text) as a Markdown table.\"\"\"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    display(Markdown("\\n".join(lines)))
"""),
md(r"""
## 3.3.1 Additive secret sharing

```{prf:definition} Additive secret sharing
:label: def-additive-sharing
Let $R = \mathbb{Z}_{2^{64}}$, the integers modulo $2^{64}$. To share a secret $x \in R$ among
$n$ parties, its owner draws $r_1, \dots, r_{n-1}$ uniformly from $R$, sends $r_j$ to party $j$,
and keeps $x_0 = x - \sum_j r_j$. The shares $x_0, \dots, x_{n-1}$ sum to $x$ in $R$; we write
$[x]$ for the shared value. Adding two shared values, or multiplying one by a public integer,
is done by every party on its own share, with no message:
$[x] + [y] = [x + y]$ and $c\,[x] = [c\,x]$.
```

Real numbers enter the ring in **fixed point**: $v$ becomes $\operatorname{round}(v \cdot 2^{f})$
with $f = 16$ fractional bits (negative numbers in two's complement), so the resolution is
$2^{-16} \approx 1.5 \cdot 10^{-5}$ and inputs must satisfy $|v| < 2^{15}$. In NumPy the ring is
simply `uint64`, whose arithmetic wraps around modulo $2^{64}$ by itself. Below, the client P0
shares three numbers with P1. Each share, read as a fixed-point number, is nonsense; their sum
is the encoded secret.
"""),
code("""
session = mpc.Session(parties=2, frac_bits=FRAC_BITS, seed=0)
secret = np.array([3.25, -1.5, 0.0])
x = session.share(secret, owner=0)  # P0 owns the secret
for party in (0, 1):
    share = x.share_of(party)
    print(f"P{party}'s share (uint64):         {share}")
    print(f"   read as a fixed-point number: {mpc.decode(share, FRAC_BITS)}")
ring_sum = x.share_of(0) + x.share_of(1)  # wraps modulo 2^64
print(f"sum of the shares mod 2^64:    {ring_sum}")
print(f"encoding of the secret:        {mpc.encode('secret', secret, FRAC_BITS)[0]}")
print(f"revealed:                      {x.reveal()}")
"""),
check("""
assert np.array_equal(x.share_of(0) + x.share_of(1), mpc.encode("secret", secret, FRAC_BITS)[0])
assert np.allclose(x.reveal(), secret)
"""),
md(r"""
```{prf:theorem} One share reveals nothing
:label: thm-one-share
For every secret $x \in R$ and every party $j$, the share $x_j$ alone is uniformly distributed
on $R$, whatever $x$ is. More generally, any $n - 1$ of the $n$ shares are independent and
uniform.
```

```{prf:proof}
For $j \ge 1$, $x_j = r_j$ is uniform by construction. For $j = 0$ (and $n = 2$),
$x_0 = x - r_1$; the map $r \mapsto x - r$ is a bijection of $R$, so it carries the uniform
distribution to the uniform distribution: $\Pr[x_0 = s] = \Pr[r_1 = x - s] = 2^{-64}$ for every
$s$. The same argument, applied to $r_1, \dots, r_{n-1}$ jointly, gives the general claim.
```

The share P1 receives is $r$ itself, so the interesting one is the share the owner keeps,
$x - r$, which is computed from the secret. We share two very different secrets, 0 and 30000,
each 20,000 times with fresh randomness, and look at that share divided by $2^{64}$ (a number in
$[0, 1)$). If the share leaked anything, the two histograms would differ. A chi-square test
checks each against the uniform distribution, and a test of homogeneity checks them against
each other.
"""),
code("""
trials = 20_000
owner_share = {}
for k, value in enumerate([0.0, 30000.0]):
    s = mpc.Session(parties=2, frac_bits=FRAC_BITS, seed=10 + k, keep_views=False)
    shared = s.share(np.full(trials, value), owner=0)
    owner_share[f"secret = {value:g}"] = shared.share_of(0).astype(np.float64) / 2.0 ** 64

BINS = 16
counts = {label: np.histogram(u, bins=BINS, range=(0.0, 1.0))[0]
          for label, u in owner_share.items()}
uniform_p = {label: float(stats.chisquare(c).pvalue) for label, c in counts.items()}
same_p = float(stats.chi2_contingency(np.stack(list(counts.values())))[1])
for label, p in uniform_p.items():
    print(f"{label}: chi-square p-value against uniform = {p:.3f}")
print(f"the two secrets' shares come from the same distribution: p = {same_p:.3f}")
glue("share_p_zero", round(uniform_p["secret = 0"], 3))
glue("share_p_big", round(uniform_p["secret = 30000"], 3))
glue("share_p_same", round(same_p, 3))
glue("share_trials", trials)
"""),
code("""
plots.mechanism_histograms(owner_share, bins=BINS, xlabel="P0's share / 2^64",
                           title="One share of two very different secrets");
"""),
check("""
assert min(uniform_p.values()) > 1e-3, uniform_p  # uniformity is not rejected
assert same_p > 1e-3, same_p  # the two secrets are indistinguishable from one share
"""),
md(r"""
Neither test rejects (p = {glue:text}`share_p_zero:.3f` and {glue:text}`share_p_big:.3f`
against uniform, p = {glue:text}`share_p_same:.3f` for "same distribution" over
{glue:text}`share_trials:,d` shares each): one share of 0 and one share of 30000 look the same.
The test is only a sanity check; the theorem is what makes the claim. It needs the mask to be
uniform over the *whole* ring: {ref}`ex-3-3-1` shows what a narrower mask leaks.
Threshold schemes such as Shamir's {cite}`shamir1979share` share over a field so that any $t$
of $n$ shares reconstruct; here all shares are needed, and any $n - 1$ reveal nothing.

## 3.3.2 Multiplication with Beaver triples

Adding shares is local; multiplying them is not, since $[x][y]$ has cross terms $x_0 y_1$
that no party can compute. Beaver's trick {cite}`beaver1991efficient` uses a **triple**: shares
of random $a, b$ and of $c = ab$, made in advance by the dealer. The parties open (send each
other their shares of) $e = x - a$ and $d = y - b$, which are uniformly random because $a$ and
$b$ are one-time pads, and then compute locally

$$xy = (e + a)(d + b) = c + e\,b + a\,d + e\,d,
\qquad [xy] = [c] + e\,[b] + [a]\,d + e\,d \;(\text{the last term added by P0 only}).$$

One multiplication costs one communication round in which each party sends two ring elements
per product. The product of two fixed-point numbers carries $2f$ fractional bits; it is
brought back to $f$ by **truncation** (Section 3.3.3). Below, P0 holds $x$, P1 holds $y$, and
we print the transcript and what each party receives.
"""),
code("""
demo = mpc.Session(parties=2, frac_bits=FRAC_BITS, seed=1)
x_plain, y_plain = np.array([1.5, -2.0]), np.array([4.0, 0.25])
x = demo.share(x_plain, owner=0)  # P0's private input
y = demo.share(y_plain, owner=1)  # P1's private input
start = len(demo.transcript)
triple = demo.dealer.beaver_triple(x.shape)  # offline: the dealer sends shares of a, b, c = a*b
z = demo.mul(x, y, triple=triple)  # online: one round, then local truncation
print(demo.transcript.to_text(start=start))
"""),
code("""
for party in ("P0", "P1"):
    for entry in demo.view(party).entries:
        if entry.purpose != "beaver":
            continue  # the input-sharing round
        if entry.phase == "offline":
            a_i, b_i, c_i = entry.payload
            print(f"{party} receives from the dealer (offline): its shares of a, b, c = a*b:\\n"
                  f"    a_{party[1]} = {a_i}, b_{party[1]} = {b_i}, c_{party[1]} = {c_i}")
        else:
            e_share, d_share = entry.payload
            print(f"{party} receives from {entry.sender} in round {entry.round}:\\n"
                  f"    its share of e = x - a: {e_share}\\n    its share of d = y - b: {d_share}")

a, b, c = (triple.parts[k] for k in "abc")  # per-party shares of the triple
e = (x.share_of(0) - a[0]) + (x.share_of(1) - a[1])  # what both parties now know
d = (y.share_of(0) - b[0]) + (y.share_of(1) - b[1])
print("opened e, read as fixed point:", mpc.decode(e, FRAC_BITS), "(random: a is a one-time pad)")
z_shares = [c[i] + e * b[i] + a[i] * d for i in (0, 1)]
z_shares[0] = z_shares[0] + e * d  # P0 alone adds the public term
print("c + e b + a d + e d, at scale 2f:", mpc.decode(z_shares[0] + z_shares[1], 2 * FRAC_BITS))
print("x * y in plaintext:              ", x_plain * y_plain)
print("after truncation, revealed:      ", z.reveal())
beaver_stats = demo.stats()
"""),
check("""
assert np.allclose(mpc.decode(z_shares[0] + z_shares[1], 2 * FRAC_BITS), x_plain * y_plain)
assert np.allclose(z.reveal(), x_plain * y_plain, atol=2 * ULP)
received = [e for e in demo.view("P0").entries if e.purpose == "beaver" and e.phase == "online"]
assert len(received) == 1 and received[0].sender == "P1" and len(received[0].payload) == 2
"""),
md(r"""
The two opened values $e$ and $d$ are the only thing a party learns during the product, and
they are one-time-padded by $a$ and $b$. That is why a triple may be used **once**: used for
two products $xy$ and $x'y'$, it opens $x - a$ and $x' - a$, whose difference is $x - x'$ in
the clear ({ref}`ex-3-3-2` recovers it). `rnnsec` refuses:
"""),
code("""
try:
    demo.mul(x, y, triple=triple)
except mpc.TripleReuseError as err:
    print(f"TripleReuseError: {err}")
"""),
check("""
import pytest

with pytest.raises(mpc.TripleReuseError):
    demo.mul(x, y, triple=triple)
fresh = demo.mul(x, y)  # a fresh triple works
assert np.allclose(fresh.reveal(), x_plain * y_plain, atol=2 * ULP)
"""),
md(r"""
## 3.3.3 Fixed point and its errors

Every fixed-point product must be divided by $2^{f}$ on shares. With two parties,
SecureML's **local truncation** {cite}`mohassel2017secureml` lets each party shift its own share
right by $f$ bits (read as a signed integer), with no message. The shifted shares sum to the
right answer up to one unit in the last place, *unless* the two shares, read as signed
integers, overflowed when added; for a product $v$ of two reals that happens with probability
about $|v| \, 2^{2f} / 2^{64}$, and the result is then off by $2^{64 - 2f} = 2^{32}$.
**Dealer truncation** {cite}`dalskov2020secure` spends one round and some dealer material to
remove that failure entirely. We measure both: first the ordinary error on 20,000 products of
numbers in $[-8, 8]$, measured against the exact product of the *encoded* inputs so that only
the truncation error remains, then the failure rate for large products ($20000 \times 20000$,
where the predicted rate is large enough to see).
"""),
code("""
n_products = 20_000
rng = np.random.default_rng(1)
u, w = rng.uniform(-8, 8, n_products), rng.uniform(-8, 8, n_products)
exact = (np.rint(u / ULP) * ULP) * (np.rint(w / ULP) * ULP)  # product of the encoded inputs
trunc_error, trunc_cost = {}, {}
for protocol in ("local", "dealer"):
    s = mpc.Session(parties=2, frac_bits=FRAC_BITS, seed=2, truncation=protocol, keep_views=False)
    a_shared, b_shared = s.share(u, owner=0), s.share(w, owner=1)
    mark = s.mark()
    product = s.mul(a_shared, b_shared)
    trunc_cost[protocol] = s.stats(since=mark)
    trunc_error[f"{protocol} truncation"] = (product.reveal() - exact) / ULP  # in units of 2^-16
for label, err in trunc_error.items():
    print(f"{label:>17}: error in units of 2^-16: min {err.min():+.3f}, max {err.max():+.3f}, "
          f"mean {err.mean():+.4f}, std {err.std():.3f}")
for protocol, st in trunc_cost.items():
    print(f"{protocol:>6} truncation: {st.rounds} round(s), {st.online_bytes / n_products:.0f} "
          "online bytes per product")
glue("trunc_local_max", float(np.abs(trunc_error["local truncation"]).max()))
glue("trunc_local_mean", float(trunc_error["local truncation"].mean()))
glue("trunc_dealer_max", float(np.abs(trunc_error["dealer truncation"]).max()))
glue("bytes_mul_local", int(trunc_cost["local"].online_bytes // n_products))
glue("bytes_mul_dealer", int(trunc_cost["dealer"].online_bytes // n_products))
"""),
code("""
plots.mechanism_histograms(trunc_error, bins=40, xlabel="truncation error (units of 2^-16)",
                           title="Error of one secure fixed-point product");
"""),
check("""
for err in trunc_error.values():
    assert np.abs(err).max() <= 1.0 + 1e-9, np.abs(err).max()  # within one unit
    assert abs(err.mean()) < 0.02, err.mean()  # zero mean: no drift over long computations
assert trunc_cost["local"].rounds == 1 and trunc_cost["dealer"].rounds == 2
"""),
md(r"""
Both protocols stay within one unit of $2^{-16}$ (largest error
{glue:text}`trunc_local_max:.3f` units for local, {glue:text}`trunc_dealer_max:.3f` for
dealer truncation) and their errors average out (mean {glue:text}`trunc_local_mean:.4f`
units for local), so they do not drift over the thousands of products of an RNN. Local
truncation is free; dealer truncation costs a second round per product
({glue:text}`bytes_mul_dealer` instead of {glue:text}`bytes_mul_local` online bytes per
product). What it buys is the absence of rare catastrophic errors:
"""),
code("""
big = np.full(n_products, 20000.0)
failures = {}
for protocol in ("local", "dealer"):
    s = mpc.Session(parties=2, frac_bits=FRAC_BITS, seed=3, truncation=protocol, keep_views=False)
    product = s.mul(s.share(big, owner=0), s.share(big, owner=1)).reveal(check=False)
    failures[protocol] = float(np.mean(np.abs(product - big * big) > 1.0))
predicted = 20000.0 ** 2 * 2.0 ** (2 * FRAC_BITS) / 2.0 ** 64
print(f"local truncation fails for {failures['local']:.2%} of the products "
      f"(predicted |v| 2^32 / 2^64 = {predicted:.2%}); dealer truncation: {failures['dealer']:.2%}")
print(f"for a product of size 1 the predicted rate is 2^-32 = {2.0 ** -32:.1e}")
glue("fail_local", failures["local"])
glue("fail_predicted", float(predicted))
glue("fail_dealer", failures["dealer"])
"""),
check("""
k = failures["local"] * n_products
assert abs(k - predicted * n_products) < 5 * np.sqrt(n_products * predicted * (1 - predicted)), k
assert failures["dealer"] == 0.0
"""),
md(r"""
Local truncation failed for {glue:text}`fail_local:.2%` of these large products, as predicted
({glue:text}`fail_predicted:.2%`); dealer truncation for {glue:text}`fail_dealer:.0%`. For the
values inside a trained RNN (of order 1) the local failure rate is about $2^{-32}$ per product,
so the two-party sessions below use local truncation, as CrypTen does; with three parties the
local trick does not work and `rnnsec` uses the dealer's protocol.

## 3.3.4 Sigmoid and tanh on shares

An LSTM needs $\sigma(z) = 1/(1 + e^{-z})$ and $\tanh$, neither of which is a polynomial.
CrypTen {cite}`knott2021crypten` builds them from what MPC can do:

- $e^{x} \approx (1 + x/2^{n})^{2^{n}}$: one truncation, then $n$ squarings ($n = 8$ in
  CrypTen); each squaring is a round;
- $1/d$ by Newton's iteration $y \leftarrow y(2 - d\,y)$;
- the **sign** of $z$ by an exact secure comparison (8 rounds here), so that
  $\sigma(z) = s$ for $z \ge 0$ and $1 - s$ for $z < 0$ with $s = 1/(1 + e^{-|z|})$;
- $\tanh(z) = 2\sigma(2z) - 1$.

`rnnsec` also offers a third-order Taylor base for the exponential,
$(1 + t + t^2/2 + t^3/6)^{2^{n}}$ with $t = x/2^{n}$, which reaches the same range with
$n = 4$ squarings (fewer rounds, and less rounding error amplified by the squarings), and two
comparison-free alternatives: an odd least-squares polynomial of degree 9 fitted on $[-8, 8]$
(`"poly"`), and the same polynomial clamped to 0 and 1 outside that interval
(`"piecewise"`, two comparisons). SiRNN {cite}`rathee2021sirnn` takes yet another route,
lookup tables with mixed bit widths. We evaluate each on a grid of 1001 points under MPC and
compare with the true functions.
"""),
code("""
CRYPTEN = {"exp_iterations": 8, "exp_order": 1}  # CrypTen's exp: (1 + x/2^8)^(2^8)
TAYLOR3 = {"exp_iterations": 4, "exp_order": 3}  # third-order base, 4 squarings
settings = {
    "CrypTen (exp: 8 squarings)": ("reciprocal", CRYPTEN),
    "exp: order 3, 4 squarings": ("reciprocal", TAYLOR3),
    "poly (degree 9 on [-8, 8])": ("poly", None),
    "piecewise (poly + clamps)": ("piecewise", None),
}
reports = {fn: {label: mpc.approximation_error(fn, method, options=options)
                for label, (method, options) in settings.items()}
           for fn in ("sigmoid", "tanh")}
show_table([{"function": fn, "method": label, "range": f"[{r.low:g}, {r.high:g}]",
             "max abs error": f"{r.max_abs_error:.2e}", "mean abs error": f"{r.mean_abs_error:.2e}",
             "rounds": r.rounds, "bytes / element": f"{r.bytes_per_element:.0f}"}
            for fn, by_label in reports.items() for label, r in by_label.items()])
sig = reports["sigmoid"]
glue("sig_err_crypten", sig["CrypTen (exp: 8 squarings)"].max_abs_error)
glue("sig_err_taylor", sig["exp: order 3, 4 squarings"].max_abs_error)
glue("sig_err_poly", sig["poly (degree 9 on [-8, 8])"].max_abs_error)
glue("sig_err_piecewise", sig["piecewise (poly + clamps)"].max_abs_error)
glue("sig_rounds_crypten", sig["CrypTen (exp: 8 squarings)"].rounds)
glue("sig_rounds_taylor", sig["exp: order 3, 4 squarings"].rounds)
glue("sig_rounds_poly", sig["poly (degree 9 on [-8, 8])"].rounds)
glue("tanh_err_crypten", reports["tanh"]["CrypTen (exp: 8 squarings)"].max_abs_error)
glue("tanh_err_taylor", reports["tanh"]["exp: order 3, 4 squarings"].max_abs_error)
"""),
code("""
for fn in ("sigmoid", "tanh"):
    first = next(iter(reports[fn].values()))
    plots.approximation_errors(first.x, first.exact,
                               {label: r.approx for label, r in reports[fn].items()},
                               function_label=f"{fn}(x)", xlabel="x", floor=1e-7,
                               reference=ULP, reference_label="2^-16 (one fixed-point unit)",
                               title=f"Secure {fn} under MPC against the true function");
"""),
check("""
crypten, taylor = sig["CrypTen (exp: 8 squarings)"], sig["exp: order 3, 4 squarings"]
assert crypten.max_abs_error < 2e-3, crypten  # CrypTen's settings: about 1.3e-3 on [-10, 10]
assert taylor.max_abs_error < crypten.max_abs_error / 5, (taylor, crypten)
assert taylor.rounds < crypten.rounds, (taylor.rounds, crypten.rounds)
assert sig["poly (degree 9 on [-8, 8])"].max_abs_error > 0.5  # wrong outside its interval
assert sig["piecewise (poly + clamps)"].max_abs_error < 0.05
assert sig["poly (degree 9 on [-8, 8])"].rounds < taylor.rounds
tanh_reports = reports["tanh"]
t_cr, t_ta = tanh_reports["CrypTen (exp: 8 squarings)"], tanh_reports["exp: order 3, 4 squarings"]
assert t_ta.max_abs_error < t_cr.max_abs_error / 5
"""),
md(r"""
With CrypTen's settings the secure sigmoid is within {glue:text}`sig_err_crypten:.1e` of the
true one on $[-10, 10]$, in {glue:text}`sig_rounds_crypten` rounds; most of the error comes
from the exponential's limit and from rounding errors that its eight squarings amplify
$2^8$ times. The order-3 base cuts the error to {glue:text}`sig_err_taylor:.1e` in
{glue:text}`sig_rounds_taylor` rounds (tanh: {glue:text}`tanh_err_crypten:.1e` to
{glue:text}`tanh_err_taylor:.1e`). The polynomial needs only {glue:text}`sig_rounds_poly`
rounds and no comparison, but it is useless outside the interval it was fitted on (error
{glue:text}`sig_err_poly:.2f`), and clamping it costs comparisons while leaving its error of
{glue:text}`sig_err_piecewise:.1e` inside (where the two curves coincide in the plot).
Whether these errors matter depends on what they do to a network's decisions, which we
measure next.

## 3.3.5 Secure inference of a trained RNN

We train the speaker-identification model of Chapter 1 on JapaneseVowels
{cite}`kudo1999multidimensional,bagnall2018uea`, a masked LSTM that reads 7 to 29 frames of
12 coefficients and names one of nine speakers. Then the client (P0) secret-shares the test
utterances, the model owner (P1) secret-shares the weights, and the two run the network on
shares; only P0 learns the logits. `mpc.rnn_forward` is the same network in plain NumPy,
written from the Keras weight layout; we first check that it reproduces Keras.
"""),
code("""
def compile_classifier(model):
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


vowels = data.load_japanese_vowels()
UNITS = profile.units // 2  # 32 on the CPU profile
EPOCHS = 2 * profile.epochs
rnnsec.set_seed(0)
speaker_model = compile_classifier(
    models.sequence_classifier((29, 12), vowels.num_classes, cell="lstm", units=UNITS,
                               masking=True))
tic = time.perf_counter()
speaker_model.fit(vowels.x_train, vowels.y_train, epochs=EPOCHS, batch_size=profile.batch_size,
                  verbose=0)
train_seconds = time.perf_counter() - tic
central_acc = float(speaker_model.evaluate(vowels.x_test, vowels.y_test, verbose=0)[1])
weights = speaker_model.get_weights()  # [kernel, recurrent_kernel, bias, dense kernel, dense bias]
keras_logits = speaker_model.predict(vowels.x_test, verbose=0)
numpy_logits = mpc.rnn_forward(weights, vowels.x_test, "lstm", vowels.lengths_test)
keras_gap = float(np.abs(numpy_logits - keras_logits).max())
print(f"LSTM({UNITS}) trained for {EPOCHS} epochs in {train_seconds:.1f} s; "
      f"test accuracy {central_acc:.3f}")
print("weight shapes:", [w.shape for w in weights])
print(f"largest |NumPy logit - Keras logit|: {keras_gap:.1e}")
glue("central_acc", round(central_acc, 3))
glue("units", UNITS)
glue("epochs", EPOCHS)
glue("keras_gap", keras_gap)
"""),
check("""
assert central_acc >= 0.9, central_acc
assert keras_gap < 1e-4, keras_gap
"""),
md(r"""
Now the secure run, on all test utterances side by side, once with CrypTen's exponential and
once with the order-3 base. Agreement is measured against the **Keras** predictions. For the
plaintext time we run the same network in NumPy (`rnn_forward`, best of three). Both runs use
one thread and are timed in **CPU seconds** of the process, which on a shared machine are far
steadier than wall-clock seconds; the parties are simulated in one process, so the ratio
measures the computation of MPC, not the network (see below).
"""),
code("""
def cpu_seconds(fn, repeats=1):
    \"\"\"Run fn; return (its result, the least CPU time of the process over the repeats).\"\"\"
    best, result = np.inf, None
    for _ in range(repeats):
        tic = time.process_time()
        result = fn()
        best = min(best, time.process_time() - tic)
    return result, best


secure, secure_cpu = {}, {}
with threadpool_limits(limits=1):  # NumPy's BLAS and the MPC simulation both on one thread
    _, plain_seconds = cpu_seconds(
        lambda: mpc.rnn_forward(weights, vowels.x_test, "lstm", vowels.lengths_test), repeats=3)
    for label, options in (("CrypTen (exp: 8 squarings)", CRYPTEN),
                           ("exp: order 3, 4 squarings", TAYLOR3)):
        session = mpc.Session(parties=2, frac_bits=FRAC_BITS, seed=0, keep_views=False)
        secure[label], secure_cpu[label] = cpu_seconds(lambda: mpc.secure_rnn_predict(
            session, weights, vowels.x_test, "lstm", lengths=vowels.lengths_test,
            function_options=options, plaintext_logits=keras_logits))
n_test = len(vowels.y_test)
show_table([{"exp setting": label, "agreement with Keras": f"{r.agreement:.2%}",
             "max logit error": f"{r.max_abs_error:.1e}",
             "secure accuracy": f"{np.mean(r.predictions == vowels.y_test):.3f}",
             "KB / sequence": f"{r.bytes_per_sequence / 1e3:,.0f}", "rounds": r.rounds,
             "secure CPU s": f"{secure_cpu[label]:.2f}",
             "slowdown vs NumPy": f"{secure_cpu[label] / plain_seconds:.0f}x"}
            for label, r in secure.items()])
print(f"plaintext NumPy: {plain_seconds * 1e3:.1f} ms of CPU time for {n_test} sequences")
"""),
code("""
chosen_label = "exp: order 3, 4 squarings"
chosen, default = secure[chosen_label], secure["CrypTen (exp: 8 squarings)"]
glue("n_test", n_test)
glue("agree_default", default.agreement)
glue("agree_chosen", chosen.agreement)
glue("err_default", default.max_abs_error)
glue("err_chosen", chosen.max_abs_error)
glue("secure_acc", float(np.mean(chosen.predictions == vowels.y_test)))
glue("kb_per_seq", round(chosen.bytes_per_sequence / 1e3, 1))
glue("mb_total", round(chosen.online_bytes / 1e6, 1))
glue("offline_mb", round(chosen.offline_bytes / 1e6, 1))
glue("rounds_chosen", chosen.rounds)
glue("rounds_default", default.rounds)
chosen_cpu = secure_cpu[chosen_label]
glue("secure_seconds", round(chosen_cpu, 2))
glue("secure_ms_per_seq", round(1e3 * chosen_cpu / n_test, 2))
glue("plain_ms", round(1e3 * plain_seconds, 2))
glue("slowdown", round(chosen_cpu / plain_seconds))
glue("overhead_bound", round(chosen.overhead, 2))
"""),
check("""
assert chosen.agreement >= 0.99, chosen.agreement
assert chosen.max_abs_error < 0.02, chosen.max_abs_error
assert chosen.max_abs_error < default.max_abs_error, (chosen.max_abs_error, default.max_abs_error)
assert chosen.agreement >= default.agreement
assert chosen.rounds < default.rounds and chosen.online_bytes < default.online_bytes
assert abs(np.mean(chosen.predictions == vowels.y_test) - central_acc) <= 0.01
"""),
md(r"""
We use the **order-3 base with 4 squarings** from here on, because we measured that it is
both more accurate and cheaper in rounds and bytes: the secure predictions agree with Keras on
{glue:text}`agree_chosen:.2%` of the {glue:text}`n_test` test utterances (CrypTen's setting:
{glue:text}`agree_default:.2%`), the largest logit error falls from
{glue:text}`err_default:.1e` to {glue:text}`err_chosen:.1e`, and it needs
{glue:text}`rounds_chosen` rounds instead of {glue:text}`rounds_default`. The secure model's
accuracy is {glue:text}`secure_acc:.1%`, the plaintext model's {glue:text}`central_acc:.1%`.

The cost: P0 and P1 exchange {glue:text}`kb_per_seq:,.1f` KB per utterance online
({glue:text}`mb_total:,.1f` MB for the test set, plus {glue:text}`offline_mb:,.1f` MB of triples
from the dealer), in {glue:text}`rounds_chosen` rounds; the rounds do not grow with the batch,
since all utterances advance one time step together, but they grow with the padded length (29
steps) and the number of sequential operations per step. The whole secure run took
{glue:text}`secure_seconds` CPU seconds ({glue:text}`secure_ms_per_seq` ms per utterance),
against {glue:text}`plain_ms` ms for the same network in NumPy: a slowdown of about
{glue:text}`slowdown`x. That is the computation alone, for both parties together. On a real
network every round also pays a round trip and every byte must cross the wire:
"""),
code("""
for name, rtt, gbit in (("LAN", 0.2e-3, 10.0), ("WAN", 40e-3, 1.0)):
    latency = chosen.rounds * rtt
    transfer = chosen.online_bytes * 8 / (gbit * 1e9)
    print(f"{name} (round trip {rtt * 1e3:g} ms, {gbit:g} Gbit/s): {latency:.1f} s of round trips "
          f"+ {transfer:.1f} s of transfer for the {n_test} utterances")
    glue(f"{name.lower()}_latency", round(latency, 1))
"""),
md(r"""
Over a wide-area link with 40 ms round trips, the {glue:text}`rounds_chosen` rounds alone take
{glue:text}`wan_latency` s, whatever the batch size: in MPC, **rounds** are often the real cost,
which is why protocols are designed to batch independent operations into one round, and why
`rnnsec` shares one sigmoid evaluation between the LSTM's gates. The bytes split as follows:
"""),
code("""
total = chosen.online_bytes
show_table([{"purpose": purpose, "MB": f"{nbytes / 1e6:,.1f}", "share": f"{nbytes / total:.1%}"}
            for purpose, nbytes in sorted(chosen.bytes_by_purpose.items(), key=lambda kv: -kv[1])])
cmp_share = sum(chosen.bytes_by_purpose.get(k, 0) for k in ("compare", "and", "b2a")) / total
print(f"online bytes / Beaver lower bound (two openings per product): {chosen.overhead:.2f}x")
glue("cmp_share", cmp_share)
glue("beaver_share", chosen.bytes_by_purpose.get("beaver", 0) / total)
"""),
md(r"""
The Beaver openings of the products (purpose `beaver`) take {glue:text}`beaver_share:.1%` of
the bytes, and the exact comparisons behind each sigmoid's sign (`compare`, `and`, `b2a`)
nearly all the rest, {glue:text}`cmp_share:.1%`: a sign bit is cheap to state and expensive to
compute on shares. All in all the parties send {glue:text}`overhead_bound`x the minimum that
the network's products alone would need.

### A reduced benchmark

`benchmarks/mpc_inference.py` measures secure against plaintext inference for every cell type;
here is a reduced run of the same logic (random Keras-layout weights, 20 steps of 12 features,
{glue:text}`units` units, 2 and 3 parties, our chosen sigmoid). With three parties every
product is truncated by the dealer's protocol, which adds a round and bytes.
"""),
code("""
bench_sequences = profile.attack_examples // 2  # 100 on the CPU profile
bench_x = np.random.default_rng(0).normal(size=(bench_sequences, 20, 12))
bench = []
for parties in (2, 3):
    for cell in mpc.CELLS:
        w = mpc.random_rnn_weights(cell, 12, UNITS, 9, seed=UNITS)
        with threadpool_limits(limits=1):
            _, plain = cpu_seconds(lambda: mpc.rnn_forward(w, bench_x, cell), repeats=3)
            r, cpu = cpu_seconds(lambda: mpc.secure_rnn_predict(
                mpc.Session(parties=parties, seed=0, keep_views=False), w, bench_x, cell,
                function_options=TAYLOR3))
        bench.append({"parties": parties, "cell": cell, "units": UNITS,
                      "plain CPU ms/seq": f"{1e3 * plain / bench_sequences:.3f}",
                      "secure CPU ms/seq": f"{1e3 * cpu / bench_sequences:.2f}",
                      "slowdown": f"{cpu / plain:.0f}x",
                      "KB/seq": f"{r.bytes_per_sequence / 1e3:,.0f}", "rounds": r.rounds,
                      "bytes / bound": f"{r.overhead:.2f}x", "agreement": f"{r.agreement:.1%}",
                      "max logit error": f"{r.max_abs_error:.1e}", "_agreement": r.agreement})
show_table([{k: v for k, v in row.items() if not k.startswith("_")} for row in bench])
"""),
check("""
assert all(row["_agreement"] >= 0.99 for row in bench), bench
two = {row["cell"]: row["rounds"] for row in bench if row["parties"] == 2}
three = {row["cell"]: row["rounds"] for row in bench if row["parties"] == 3}
assert all(three[c] > two[c] for c in mpc.CELLS)
assert two["simple_rnn"] < two["gru"] == two["lstm"]
"""),
md(r"""
The simple RNN needs one tanh per step, the GRU and the LSTM two sequential non-linear layers,
hence twice the rounds; the LSTM's four gates make it the most expensive in bytes. The slowdown
is largest for the smallest network, whose plaintext step costs almost nothing while every
secure round has a fixed cost. Timings vary somewhat from run to run on a shared machine;
the bytes and rounds do not vary at all.

## 3.3.6 Secure aggregation for federated training

In **federated averaging** {cite}`mcmahan2017communication` each data holder trains the current
model on its own data for a while and sends only the change in weights (its *update*); a
server averages the updates and broadcasts the new model. The updates themselves leak
(the privacy chapters show how much a model reveals about its training data), so the server
should learn only their **sum**. Bonawitz et al. {cite}`bonawitz2017practical` make that cheap
with pairwise masks: every pair of clients $u < v$ agrees on a random seed, client $u$ adds
the pseudorandom mask $\operatorname{PRG}(s_{uv})$ to its fixed-point update and client $v$
subtracts it,

$$y_u = x_u + \sum_{v > u} \operatorname{PRG}(s_{uv}) - \sum_{v < u} \operatorname{PRG}(s_{uv})
\pmod{2^{64}}, \qquad \sum_u y_u = \sum_u x_u ,$$

so each $y_u$ is uniformly random to the server while the masks cancel in the sum. (The paper
also recovers from clients that drop out, with Shamir shares of their keys; `secure_aggregate`
simulates the recovery.)

We split the {glue:text}`n_train` training utterances at random among four simulated
hospitals, and run
federated averaging with the same model and the same number of passes over the data as the
centralised model above ({glue:text}`epochs` epochs): in every round each hospital trains two
local epochs from the current global model, and the updates are summed by `secure_aggregate`.
"""),
code("""
HOSPITALS = 4
ROUNDS = profile.epochs  # 10 on the CPU profile; 2 local epochs per round
LOCAL_EPOCHS = EPOCHS // ROUNDS
split = np.array_split(np.random.default_rng(0).permutation(len(vowels.y_train)), HOSPITALS)
hospitals = [(vowels.x_train[idx], vowels.y_train[idx]) for idx in split]
glue("n_train", len(vowels.y_train))
for h, (_, y_h) in enumerate(hospitals):
    print(f"hospital {h}: {len(y_h)} utterances, per speaker {np.bincount(y_h, minlength=9)}")

rnnsec.set_seed(1)
client_model = compile_classifier(
    models.sequence_classifier((29, 12), vowels.num_classes, cell="lstm", units=UNITS,
                               masking=True))
client_model.optimizer.build(client_model.trainable_variables)
fresh_optimizer = [v.numpy() for v in client_model.optimizer.variables]
initial_weights = client_model.get_weights()


def local_update(global_weights, x_local, y_local):
    \"\"\"One hospital's round: train the global model locally, return the change in weights.\"\"\"
    client_model.set_weights(global_weights)
    for var, value in zip(client_model.optimizer.variables, fresh_optimizer):
        var.assign(value)  # every hospital starts each round with a fresh optimizer
    client_model.fit(x_local, y_local, epochs=LOCAL_EPOCHS, batch_size=profile.batch_size,
                     verbose=0)
    return [new - old for new, old in zip(client_model.get_weights(), global_weights)]


def test_accuracy(w):
    logits = mpc.rnn_forward(w, vowels.x_test, "lstm", vowels.lengths_test)
    return float(np.mean(logits.argmax(axis=1) == vowels.y_test))


def federated_averaging(noise_multiplier=0.0, clip_norm=None, seed=0):
    \"\"\"FedAvg with every round's sum computed by secure aggregation.\"\"\"
    rnnsec.set_seed(seed)
    global_weights, accuracy, first_round = list(initial_weights), [], None
    for r in range(ROUNDS):
        updates = [local_update(global_weights, x_h, y_h) for x_h, y_h in hospitals]
        agg = mpc.secure_aggregate(updates, seed=1000 * seed + r, clip_norm=clip_norm,
                                   noise_multiplier=noise_multiplier)
        global_weights = [w + m for w, m in zip(global_weights, agg.mean)]
        accuracy.append(test_accuracy(global_weights))
        first_round = first_round or (updates, agg)
    return global_weights, accuracy, first_round


tic = time.perf_counter()
fed_weights, fed_curve, (updates0, agg0) = federated_averaging()
print(f"federated averaging, {ROUNDS} rounds: test accuracy {fed_curve[-1]:.3f} "
      f"(centralised: {central_acc:.3f}); {time.perf_counter() - tic:.1f} s")
"""),
md(r"""
What the server saw in the first round, and whether the secure sum is the plain sum:
"""),
code("""
plain_sum = [np.sum([u[i] for u in updates0], axis=0, dtype=np.float64)
             for i in range(len(updates0[0]))]
sum_error = max(float(np.abs(s - p).max()) for s, p in zip(agg0.total, plain_sum))
flat0 = np.concatenate([np.ravel(a) for a in updates0[0]])
print("hospital 0's update, first 4 numbers:   ", np.round(flat0[:4], 5))
print("what the server received from it (y_0): ", agg0.server_view[0][:4])
top_bits = (agg0.server_view[0] >> np.uint64(60)).astype(np.int64)
masked_p = float(stats.chisquare(np.bincount(top_bits, minlength=16)).pvalue)
print(f"uniformity of y_0 (top 4 bits, chi-square): p = {masked_p:.3f}")
print(f"largest |secure sum - plain sum| over {flat0.size:,d} weights: {sum_error:.1e} "
      f"(fixed-point tolerance {HOSPITALS} x 2^-17 = {HOSPITALS * ULP / 2:.1e})")
print(f"bytes sent per round: {agg0.online_bytes / 1e3:,.1f} KB, {agg0.rounds} rounds, "
      f"{agg0.expansion:.3f}x the bytes of sending the updates in the clear")
glue("sum_error", sum_error)
glue("n_weights", int(flat0.size))
glue("agg_expansion", round(agg0.expansion, 3))
glue("masked_p", round(masked_p, 3))
"""),
check("""
assert sum_error <= HOSPITALS * ULP / 2 + 1e-12, sum_error
assert masked_p > 1e-3, masked_p
assert fed_curve[-1] >= central_acc - 0.05, (fed_curve[-1], central_acc)
"""),
md(r"""
The server received a uniformly random-looking vector from each hospital (p =
{glue:text}`masked_p:.3f` against uniform), yet the sum of all four is the plain sum of the
{glue:text}`n_weights:,d` weight changes to within {glue:text}`sum_error:.1e`, the fixed-point
rounding. The masks cost almost nothing: {glue:text}`agg_expansion`x the bytes of sending the
updates in the clear.

Secure aggregation hides each hospital's update from the server, but the **sum** and the final
model still depend on every patient. Adding **differential privacy** to the sum bounds what
they reveal: each hospital clips its update to L2 norm $C$ and adds Gaussian noise of standard
deviation $\sigma C / \sqrt{n}$, so the sum of $n$ hospitals carries noise $\mathcal{N}(0,
\sigma^2 C^2)$ per weight without any single party knowing the total noise (DP-FedAvg,
{cite}`mcmahan2018learning`). Every round is then a Gaussian mechanism on the sum, with every
hospital taking part (sampling rate 1), and the adjacency is **one whole hospital** added or
removed; `compute_epsilon` turns the noise multiplier and the number of rounds into
$\epsilon$ at $\delta =$ {glue:text}`delta` (Rényi DP with the improved conversion, sampling
rate 1; Chapter 4.2 explains both). We clip at $C =$ {glue:text}`clip`, below the typical
update norm, and try two noise multipliers.
"""),
code("""
CLIP = 0.5
DELTA = 1e-5
update_norms = [float(np.sqrt(sum(np.sum(a ** 2) for a in u))) for u in updates0]
print("first-round update norms:", np.round(update_norms, 3), f"-> clipped to C = {CLIP}")
curves = {"federated, no noise": fed_curve}
dp_results = []
for sigma in (0.3, 1.0):
    _, curve, _ = federated_averaging(noise_multiplier=sigma, clip_norm=CLIP, seed=1)
    eps = compute_epsilon(sigma, sampling_rate=1.0, steps=ROUNDS, delta=DELTA).epsilon
    curves[f"federated + DP, sigma = {sigma:g}"] = curve
    dp_results.append({"sigma": sigma, "epsilon": float(eps), "accuracy": curve[-1]})
show_table([{"training": "centralised (pooled data)", "noise multiplier": "-",
             f"epsilon (delta = {DELTA:g})": "-", "test accuracy": f"{central_acc:.3f}"},
            {"training": "federated + secure aggregation", "noise multiplier": "0",
             f"epsilon (delta = {DELTA:g})": "infinite", "test accuracy": f"{fed_curve[-1]:.3f}"}]
           + [{"training": "federated + secure aggregation + DP",
               "noise multiplier": f"{d['sigma']:g}",
               f"epsilon (delta = {DELTA:g})": f"{d['epsilon']:.1f}",
               "test accuracy": f"{d['accuracy']:.3f}"} for d in dp_results])
glue("fed_acc", round(fed_curve[-1], 3))
glue("rounds", ROUNDS)
glue("hospitals", HOSPITALS)
glue("clip", CLIP)
glue("delta", DELTA)
noise_ratio = float(np.sqrt(flat0.size)) * dp_results[1]["sigma"] / HOSPITALS
glue("noise_ratio", round(noise_ratio))
for k, d in enumerate(dp_results):
    glue(f"dp_sigma_{k}", d["sigma"])
    glue(f"dp_eps_{k}", round(d["epsilon"], 1))
    glue(f"dp_acc_{k}", round(d["accuracy"], 3))
"""),
code("""
rounds_axis = np.arange(1, ROUNDS + 1)
plots.privacy_curves({label: (rounds_axis, acc) for label, acc in curves.items()},
                     xlabel="federated round", ylabel="test accuracy", hline=central_acc,
                     hline_label=f"centralised ({EPOCHS} epochs)",
                     title=f"Federated averaging across {HOSPITALS} hospitals");
"""),
check("""
(low, high) = dp_results
assert low["epsilon"] > high["epsilon"] > 1.0, dp_results  # more noise, smaller epsilon
assert low["accuracy"] > high["accuracy"], dp_results  # ... and lower accuracy
assert high["accuracy"] < fed_curve[-1] - 0.2, (high, fed_curve[-1])
"""),
md(r"""
Without noise, federated averaging over {glue:text}`hospitals` hospitals reaches
{glue:text}`fed_acc:.1%`, as good as pooling the data ({glue:text}`central_acc:.1%`), and
secure aggregation changes nothing but the server's view. Differential privacy at the level of
a hospital is another matter. With noise multiplier {glue:text}`dp_sigma_0` the model keeps
{glue:text}`dp_acc_0:.1%` accuracy at $\epsilon =$ {glue:text}`dp_eps_0` over
{glue:text}`rounds` rounds, a guarantee too weak to mean much; with
{glue:text}`dp_sigma_1` the guarantee is $\epsilon =$ {glue:text}`dp_eps_1` and the accuracy
falls to {glue:text}`dp_acc_1:.1%`. The reason is arithmetic: each of the
{glue:text}`n_weights:,d` weights of the sum receives noise of standard deviation $\sigma C$, so
for $\sigma = 1$ the noise vector is about $\sqrt{d}\,\sigma C$ long,
{glue:text}`noise_ratio` times the longest possible sum of {glue:text}`hospitals` clipped
updates ($4C$), and with only four hospitals there is nothing to average it away. DP-FedAvg
is meant for thousands of clients {cite}`mcmahan2018learning`; with a handful of institutions,
record-level {term}`DP-SGD <DP-SGD (差分隐私随机梯度下降)>` inside each one (Part IV), which protects each patient rather than each
hospital, is the better fit.

## 3.3.7 What the semi-honest model does not protect against

Everything above assumed that the parties follow the protocol. Additive shares carry no
integrity: a party that adds an error $\Delta$ to its share shifts the secret by $\Delta$, and
nobody can tell. Below, P1 adds 100 to its share of a product before opening it.
"""),
code("""
cheat = mpc.Session(parties=2, frac_bits=FRAC_BITS, seed=5)
x = cheat.share([1.5, -2.0], owner=0)
y = cheat.share([4.0, 0.25], owner=1)
z = x * y
honest = z.copy().reveal()
delta_ring, _ = mpc.encode("delta", np.array([100.0, 100.0]), FRAC_BITS)
tampered = mpc.SharedTensor(cheat, [z.share_of(0), z.share_of(1) + delta_ring], z.scale)
wrong = tampered.reveal()  # no error, no warning
print("honest result:  ", honest)
print("P1 added 100 to its share; revealed:", wrong)
glue("cheat_shift", float(wrong[0] - honest[0]))
"""),
check("""
assert np.allclose(wrong - honest, 100.0, atol=ULP), (wrong, honest)
assert np.allclose(honest, [6.0, -0.5], atol=2 * ULP)
"""),
md(r"""
The revealed result moved by {glue:text}`cheat_shift:g` and no check fired. In secure
inference the same attack lets the model owner choose the client's prediction; in secure
aggregation a hospital could add anything to the sum (and, more simply, it can send a
poisoned update: secure aggregation hides exactly the update one would like to inspect).
Protocols secure against **malicious** parties, such as SPDZ {cite}`damgard2012multiparty`,
attach an information-theoretic MAC to every shared value: with a global key $\alpha$ that is
itself secret-shared, the parties hold shares of $x$ and of $m = \alpha x$. A cheater who shifts
$x$ by $\Delta$ would have to shift $m$ by $\alpha \Delta$ without knowing $\alpha$.
{ref}`ex-3-3-3` builds such a check.

## Summary

- Additive secret sharing over $\mathbb{Z}_{2^{64}}$ splits a value into shares of which any
  $n - 1$ are uniform: one share of 0 and one of 30000 pass the same chi-square test
  (p = {glue:text}`share_p_same:.3f`). Additions are free; each multiplication costs a round
  and a one-use Beaver triple from the dealer.
- Fixed point with 16 fractional bits makes every product accurate to one unit of $2^{-16}$
  with zero-mean error; local truncation fails with probability about $|v| \, 2^{-32}$ per
  product, dealer truncation never.
- CrypTen's secure sigmoid is within {glue:text}`sig_err_crypten:.1e` of the true one; a
  third-order base for the exponential brings it to {glue:text}`sig_err_taylor:.1e` in fewer
  rounds, and we use it.
- Secure inference of the trained LSTM agrees with Keras on {glue:text}`agree_chosen:.2%` of
  the test utterances (largest logit error {glue:text}`err_chosen:.1e`) at
  {glue:text}`kb_per_seq:,.1f` KB per utterance and {glue:text}`rounds_chosen` rounds, about
  {glue:text}`slowdown`x slower than plaintext before any network latency.
- Secure aggregation gives federated averaging the accuracy of centralised training
  ({glue:text}`fed_acc:.1%` vs {glue:text}`central_acc:.1%`) while the server sees only masked
  vectors. Hospital-level DP with four hospitals is costly: at $\epsilon =$
  {glue:text}`dp_eps_1` the accuracy falls to {glue:text}`dp_acc_1:.1%`.
- The semi-honest model gives no integrity: one party can silently change the output. MACs
  (SPDZ) detect it.

## Exercises

```{exercise}
:label: ex-3-3-1
The theorem needs the mask $r$ to be uniform on the whole ring. Suppose an implementer masks
with a "large enough" random number instead: $r$ uniform among the fixed-point encodings of
$[-2^{10}, 2^{10})$. Share the secrets 0 and 300 this way 20,000 times each and test, as in
Section 3.3.1, whether the masked values (read as fixed-point numbers) come from the same
distribution. What does one masked value reveal about the secret? Store the masked values, read
as fixed-point numbers, in a dict `narrow` from the secret (`0.0`, `300.0`) to its array of
masked values, and run `check.exercise("3.3-1", narrow)`.
```

```{solution-start} ex-3-3-1
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
rng = np.random.default_rng(0)
narrow = {}
for value in (0.0, 300.0):
    r = rng.integers(-2 ** (10 + FRAC_BITS), 2 ** (10 + FRAC_BITS), size=trials)  # narrow mask
    masked = (np.rint(value / ULP).astype(np.int64) - r).astype(np.uint64)  # x - r mod 2^64
    narrow[value] = mpc.decode(masked, FRAC_BITS)
edges = np.linspace(-1100, 1400, 26)
table = np.stack([np.histogram(v, bins=edges)[0] for v in narrow.values()])
table = table[:, table.sum(axis=0) > 0]
print(f"same distribution? p = {stats.chi2_contingency(table)[1]:.1e}")
print(f"a masked value above {2 ** 10:g} proves the secret is positive: "
      f"{np.mean(narrow[300.0] > 2 ** 10):.1%} of the shares of 300 do that")
# END SOLUTION
check.exercise("3.3-1", narrow)
"""),
md(r"""
The test rejects overwhelmingly. A narrow mask only blurs the secret: the masked value lies in
$[x - 2^{10}, x + 2^{10})$, so its range reveals the secret to within $2^{11}$, and values
near the edges pin it down further. Masks uniform over the whole ring make $x - r$ uniform
for every $x$, which is what the proof uses.
```{solution-end}
```

```{exercise}
:label: ex-3-3-2
Suppose the dealer's check were missing and one triple $(a, b, c)$ were used for two products
$x \cdot y$ and $x' \cdot y'$. Using only what P1 sees in the opening rounds (its own shares
and the shares P0 sends), compute $x - x'$. Use `triple.parts` to play the two products by
hand, starting from the secrets `x_secret`, `x_prime_secret` and the triple `reused` of the
cell below. Store the result, read as fixed-point numbers, in `leaked` and run
`check.exercise("3.3-2", leaked, x=x_secret, x_prime=x_prime_secret)`.
```

```{solution-start} ex-3-3-2
:class: dropdown
```
"""),
code("""
from rnnsec import check

leak = mpc.Session(parties=2, frac_bits=FRAC_BITS, seed=7)
x_secret, x_prime_secret = np.array([2.5, -7.0, 0.125]), np.array([3.0, 1.0, 10.0])
x1 = leak.share(x_secret, owner=0)  # P0's first secret
x2 = leak.share(x_prime_secret, owner=0)  # P0's second secret
reused = leak.dealer.beaver_triple(x1.shape)
# BEGIN SOLUTION
a = reused.parts["a"]
# the openings e = x - a for both products (each party sends its share of x - a)
e1 = (x1.share_of(0) - a[0]) + (x1.share_of(1) - a[1])
e2 = (x2.share_of(0) - a[0]) + (x2.share_of(1) - a[1])
leaked = mpc.decode(e1 - e2, FRAC_BITS)
print("e1 - e2 read as fixed point:", leaked)
print("x - x' (P0's secret):       ", x_secret - x_prime_secret)
# END SOLUTION
check.exercise("3.3-2", leaked, x=x_secret, x_prime=x_prime_secret)
"""),
md(r"""
$e_1 - e_2 = (x - a) - (x' - a) = x - x'$: the pad cancels. If P1 ever learns one of the two
values (say $x'$ is a public constant), it learns the other. This is why
`TripleReuseError` exists and why triples are consumed, never cached.
```{solution-end}
```

```{exercise}
:label: ex-3-3-3
Build a tiny SPDZ-style MAC check {cite}`damgard2012multiparty` for two parties over the prime
field $\mathbb{F}_p$, $p = 2^{61} - 1$: a dealer shares a random key $\alpha$ and, for a
secret $x$, shares of $x$ and of $m = \alpha x$. Before accepting an opened value $x'$, each
party $i$ computes $\sigma_i = \alpha_i x' - m_i$, the parties exchange the $\sigma_i$ (in SPDZ
they first commit to them), and accept only if $\sum_i \sigma_i = 0$. Check that (a) an honest
opening passes, also after a linear operation $z = 3x + y$ computed on shares; (b) the
tampering of Section 3.3.7 is caught; (c) a cheater who also adds a guess $g \Delta$ to its MAC
share passes only when $g = \alpha$. Why would the same check over $\mathbb{Z}_{2^{64}}$ be
weak? Estimate the fraction of random keys for which shifting the value and the MAC by $2^{63}$
passes the check over $\mathbb{Z}_{2^{64}}$ and store it in `weak`. Write the dealer as
`authenticated_share(value)` (returning the two parties' shares of the value and of its MAC)
and the check as `open_and_check(x_shares, m_shares)` (returning the opened value and whether
it is accepted), then run `check.exercise("3.3-3", {"authenticated_share": authenticated_share,
"open_and_check": open_and_check, "z2k_weak_fraction": weak})`.
```

```{solution-start} ex-3-3-3
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
P = 2 ** 61 - 1  # a Mersenne prime
mac_rng = np.random.default_rng(11)


def rand_field():
    return int(mac_rng.integers(0, P))


def share_field(value):
    r = rand_field()
    return [(value - r) % P, r]


alpha_shares = share_field(rand_field())  # the MAC key: secret-shared, never opened
alpha = sum(alpha_shares) % P  # (only for the checks below; no party knows it)


def authenticated_share(value):
    \"\"\"Dealer: shares of value and of its MAC alpha * value.\"\"\"
    return share_field(value % P), share_field(alpha * value % P)


def open_and_check(x_shares, m_shares):
    \"\"\"Open x and run the MAC check; return (value, accepted).\"\"\"
    x_open = sum(x_shares) % P
    sigma = [(a_i * x_open - m_i) % P for a_i, m_i in zip(alpha_shares, m_shares)]
    return x_open, sum(sigma) % P == 0


x_sh, x_mac = authenticated_share(6)
y_sh, y_mac = authenticated_share(10)
# linear operations act on value shares and MAC shares alike: z = 3x + y
z_sh = [(3 * a + b) % P for a, b in zip(x_sh, y_sh)]
z_mac = [(3 * a + b) % P for a, b in zip(x_mac, y_mac)]
print("(a) honest opening of 3x + y:", open_and_check(z_sh, z_mac))
DELTA_CHEAT = 100
bad = [z_sh[0], (z_sh[1] + DELTA_CHEAT) % P]
print("(b) P1 adds 100 to its share:", open_and_check(bad, z_mac))
guesses = mac_rng.integers(0, P, size=10_000)
passed = sum(open_and_check(bad, [z_mac[0], (z_mac[1] + int(g) * DELTA_CHEAT) % P])[1]
             for g in guesses)
print(f"(c) random guesses of alpha that pass: {passed} of {len(guesses)}; "
      f"the right one: {open_and_check(bad, [z_mac[0], (z_mac[1] + alpha * DELTA_CHEAT) % P])[1]}")

# over Z_2^64: shift x by 2^63 and the MAC by 2^63; alpha * 2^63 = 2^63 whenever alpha is odd
M = 2 ** 64
keys = mac_rng.integers(0, 2 ** 62, size=10_000)  # random keys (only their parity matters)
weak = float(np.mean([(int(k) * 2 ** 63) % M == 2 ** 63 for k in keys]))
print(f"over Z_2^64 the shift 2^63 passes the check for {weak:.1%} of the keys")
# END SOLUTION
check.exercise("3.3-3", {"authenticated_share": authenticated_share,
                         "open_and_check": open_and_check, "z2k_weak_fraction": weak})
"""),
check("""
assert open_and_check(z_sh, z_mac) == ((3 * 6 + 10) % P, True)
assert open_and_check(bad, z_mac)[1] is False  # the tampering is caught
assert passed == 0
assert open_and_check(bad, [z_mac[0], (z_mac[1] + alpha * DELTA_CHEAT) % P])[1] is True
assert 0.45 < weak < 0.55, weak
"""),
md(r"""
The honest opening passes and survives linear operations, because the MAC is linear in the
value. The tampered one fails: to pass, the cheater must add exactly $\alpha\Delta$ to its MAC
share, and not knowing $\alpha$, a guess succeeds with probability $1/p \approx 4 \cdot
10^{-19}$. Over $\mathbb{Z}_{2^{64}}$ there is no such guarantee: $2^{63}$ has no inverse, and
the shift $\Delta = 2^{63}$ passes for every odd key, half of them. SPDZ$_{2^k}$
{cite}`cramer2018spdz2k` fixes this by computing MACs modulo $2^{k+s}$ for a security parameter
$s$. Full SPDZ also authenticates Beaver triples (their MACs come from the preprocessing), and
it opens $\alpha$ never, since the key must stay secret for the next check.
```{solution-end}
```

```{exercise}
:label: ex-3-3-4
Where do the rounds of secure LSTM inference go? Run `secure_rnn_predict` on random weights
with sequences of 1, 2 and 3 time steps and report the rounds of each run, the rounds added
by each time step, and the rounds of one secure sigmoid (from the table of Section 3.3.4).
Explain the number per step. Use the weights `w_small` of the cell below and the sigmoid options
`TAYLOR3`; store the rounds of each run in a dict `rounds_by_steps` from the number of steps to
the rounds, and run `check.exercise("3.3-4", rounds_by_steps, weights=w_small,
function_options=TAYLOR3)`.
```

```{solution-start} ex-3-3-4
:class: dropdown
```
"""),
code("""
from rnnsec import check

w_small = mpc.random_rnn_weights("lstm", 12, 8, 9, seed=0)
# BEGIN SOLUTION
rounds_by_steps = {}
for steps in (1, 2, 3):
    xs = np.random.default_rng(1).normal(size=(4, steps, 12))
    res = mpc.secure_rnn_predict(mpc.Session(parties=2, seed=0, keep_views=False), w_small,
                                 xs, "lstm", function_options=TAYLOR3)
    rounds_by_steps[steps] = res.rounds
per_step = rounds_by_steps[2] - rounds_by_steps[1]
print("rounds by number of steps:", rounds_by_steps)
sigmoid_rounds = sig["exp: order 3, 4 squarings"].rounds
print(f"rounds per step: {per_step} = 2 x {sigmoid_rounds} (two sigmoid evaluations) + 3")
# END SOLUTION
check.exercise("3.3-4", rounds_by_steps, weights=w_small, function_options=TAYLOR3)
"""),
check("""
assert rounds_by_steps[3] - rounds_by_steps[2] == per_step
assert per_step == 2 * sigmoid_rounds + 3, (per_step, sigmoid_rounds)
assert chosen.rounds == rounds_by_steps[1] + 28 * per_step  # JapaneseVowels: 29 padded steps
"""),
md(r"""
Each step adds the same number of rounds: one product $h U$ with the recurrent weights, one
batched sigmoid for all four gates (the tanh gate is folded in through $\tanh z = 2\sigma(2z)
- 1$), one round for $f \odot c$ and $i \odot g$ together, one tanh of the new cell state (a
second sigmoid evaluation) and one round for $o \odot \tanh(c)$. Two sequential sigmoids per step
dominate; this is why the number of rounds grows with the sequence length and not with the batch.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks" / "33_secure_mpc.ipynb"))

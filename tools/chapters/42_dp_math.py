"""Source of notebooks/42_dp_math.ipynb (Chapter 4.2, The mathematics of differential privacy)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

cells = [
md(r"""
# 4.2 The mathematics of differential privacy

The source article states {term}`differential privacy <Differential privacy (差分隐私)>` in one line: a randomised algorithm $M$ is
differentially private when, for any two datasets $D$ and $D'$ that differ in one record and
any set $S$ of outputs,

$$\Pr[M(D) \in S] \le e^{\epsilon} \Pr[M(D') \in S] + \delta .$$

This chapter makes that line precise and computable. It defines what "differ in one record"
means, builds the two mechanisms that DP training rests on (Laplace and Gaussian noise),
checks the definition empirically on a real query over the book's data, and then develops the
tools that turn thousands of noisy training steps into one number: composition, Rényi DP,
amplification by subsampling, and privacy loss distributions. It trains no model; every
number comes from `rnnsec.privacy.accounting` (model-free, built on Google's
`dp-accounting`) and a few lines of NumPy, and the whole chapter runs in under a minute.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- state $(\epsilon, \delta)$-differential privacy, say which adjacency (add/remove or replace
  one record) a guarantee is for, and compute the sensitivity of a clipped query;
- calibrate the Laplace and Gaussian mechanisms, and explain why the analytic Gaussian
  mechanism needs less noise than the classic formula and works for every $\epsilon$;
- check a mechanism against the definition by sampling, through its privacy loss;
- compose mechanisms with basic, advanced and Rényi-DP composition, apply amplification by
  subsampling, and convert Rényi DP to $(\epsilon, \delta)$ in the classic and improved way;
- compute the $\epsilon$ of a DP-SGD run with three accountants, reproduce published values,
  and spot a published number that does not match its run.
```

```{admonition} Threat model of differential privacy
:class: important
- **Adversary's goal:** decide whether one target record was in the data (membership) or learn
  something about it, from what the algorithm releases: a statistic, or a trained model
  (for {term}`DP-SGD <DP-SGD (差分隐私随机梯度下降)>`, every intermediate model too).
- **Adversary's knowledge:** the strongest imaginable. It knows the algorithm and its noise
  distribution, and **every record but the target one**; it may even choose the target
  record. So its only uncertainty is "$D$ or $D'$?", with $D$ and $D'$ adjacent.
- **Adversary's capability:** unlimited computation on the released output; no access to the
  algorithm's internal randomness.
- **What DP promises:** any test the adversary runs to tell $D$ from $D'$, with false-positive
  rate $\alpha$, has true-positive rate at most $e^{\epsilon}\alpha + \delta$ (take $S$ in the
  definition to be the outputs on which the test says "$D$").
- **What it does not promise:** it does not hide facts about the population (what a model
  learns from everyone), it weakens with the number of records one person contributes, and it
  holds only for the adjacency and the $\delta$ it was computed for.
```
"""),
code("""
import math

import numpy as np
from scipy import stats
from scipy.optimize import brentq

import rnnsec
from rnnsec import data, plots
from rnnsec.book import glue
from rnnsec.privacy.accounting import (
    compute_epsilon,
    epsilon_per_epoch,
    gaussian_mechanism_delta,
    gaussian_mechanism_sigma,
    noise_for_epsilon,
    sampling_rate,
    steps_for_epochs,
)

rnnsec.set_seed(0)
rng = np.random.default_rng(0)
profile = rnnsec.config.get_profile()
DELTA = 1e-5  # the delta used throughout, as in TF Privacy's and Opacus's examples
print(profile)
"""),
md(r"""
## 4.2.1 The definition and adjacency

```{prf:definition} Adjacent datasets
:label: def-adjacency
Two datasets $D$ and $D'$ are **adjacent under add/remove-one** if one is obtained from the
other by adding or removing a single record, and **adjacent under replace-one** if they have
the same size and differ in exactly one record. We write $D \simeq D'$.
```

```{prf:definition} Differential privacy
:label: def-dp
A randomised algorithm (mechanism) $M$ is
**$(\epsilon, \delta)$-differentially private** if for all adjacent $D \simeq D'$ and all
sets of outputs $S$,

$$\Pr[M(D) \in S] \le e^{\epsilon} \Pr[M(D') \in S] + \delta .$$

$\epsilon \ge 0$ is measured in natural-log units; $\delta \in [0, 1)$ is an additive slack.
With $\delta = 0$ the guarantee is called pure $\epsilon$-DP.
{cite}`dwork2006calibrating,dwork2014algorithmic`
```

Adjacency is part of the guarantee. The accountants of DP-SGD, and every number in this
chapter, use **add/remove**. Replace-one is one removal followed by one addition, so an
add/remove guarantee implies a weaker replace-one guarantee:

```{prf:theorem} From add/remove to replace-one
:label: thm-replace
If $M$ is $(\epsilon, \delta)$-DP under add/remove-one adjacency, it is
$(2\epsilon, (1 + e^{\epsilon})\delta)$-DP under replace-one adjacency.
```

```{prf:proof}
Let $D'$ replace record $x$ of $D$ by $y$, and let $D'' = D \setminus \{x\}$, which is
add/remove-adjacent to both. For any $S$,
$\Pr[M(D) \in S] \le e^{\epsilon}\Pr[M(D'') \in S] + \delta
\le e^{\epsilon}\big(e^{\epsilon}\Pr[M(D') \in S] + \delta\big) + \delta$.
```

How much noise a mechanism needs depends on how far one record can move the answer:

```{prf:definition} Sensitivity
:label: def-sensitivity
The $\ell_p$ sensitivity of a function $f$ with values in $\mathbb{R}^d$ is
$\Delta_p f = \max_{D \simeq D'} \lVert f(D) - f(D') \rVert_p$.
```

Records are clipped to bound it. Our running query is the **ink of the training digits** of
Chapter 1: each digit's ink is the sum of its 64 pixel intensities (each in $[0, 1]$, so ink
lies in $[0, 64]$), and we release the total ink $f(D) = \sum_i \min(\text{ink}_i, C)$ with
each record's contribution clipped to $C$. Under add/remove, one record moves the sum by at most
$C$, so $\Delta_1 f = \Delta_2 f = C$; without clipping a completely black image would move it
by 64. (For *vectors* clipped to $\ell_2$ norm $C$, as DP-SGD clips gradients, the add/remove
sensitivity of the sum is $C$ but the replace-one sensitivity is $2C$: the two records can
point in opposite directions.)
"""),
code("""
digits = data.load_digits_sequences()
ink = digits.x_train.sum(axis=(1, 2)).astype(np.float64)  # [N] ink of each training digit
n_train = len(ink)
CLIP = 24.0  # C: each record contributes at most 24 of the 64 possible units of ink
clipped = np.minimum(ink, CLIP)
print(f"{n_train} training digits; ink from {ink.min():.2f} to {ink.max():.2f}, "
      f"mean {ink.mean():.3f}")
print(f"clipping at C = {CLIP:g} changes {np.mean(ink > CLIP):.1%} of the records and the mean "
      f"by {clipped.mean() - ink.mean():+.4f}; sensitivity {CLIP:g} instead of 64")
glue("n_train", n_train)
glue("clip", CLIP)
glue("clipped_share", float(np.mean(ink > CLIP)))
glue("clip_bias", round(float(ink.mean() - clipped.mean()), 4))
"""),
check("""
assert 0 < np.mean(ink > CLIP) < 0.05, "C should clip only a few records"
assert abs(ink.mean() - clipped.mean()) < 0.05
assert n_train > 1000
"""),
md(r"""
{term}`Clipping <Gradient clipping (梯度裁剪)>` at $C$ = {glue:text}`clip:g` changes only {glue:text}`clipped_share:.1%` of the
{glue:text}`n_train:,d` records, and the mean ink by {glue:text}`clip_bias:.4f`, while it cuts the
sensitivity from 64 to {glue:text}`clip:g`: the same trade of a little bias for much less noise
that DP-SGD makes when it clips gradients.

## 4.2.2 The Laplace and Gaussian mechanisms

```{prf:theorem} Laplace mechanism
:label: thm-laplace
$M(D) = f(D) + Z$ with $Z_j$ independent $\operatorname{Lap}(b)$, $b = \Delta_1 f/\epsilon$,
is $(\epsilon, 0)$-DP.
{cite}`dwork2006calibrating`
```

```{prf:proof}
The ratio of the output densities at $z$ is
$\exp\big((\lVert z - f(D')\rVert_1 - \lVert z - f(D)\rVert_1)/b\big)
\le \exp(\lVert f(D) - f(D')\rVert_1 / b) \le e^{\epsilon}$ by the triangle inequality;
integrate over $S$.
```

```{prf:theorem} Gaussian mechanism, classic calibration
:label: thm-gauss-classic
For $\epsilon \in (0, 1)$, $M(D) = f(D) + \mathcal{N}(0, \sigma^2 I)$ with
$\sigma = \sqrt{2 \ln(1.25/\delta)}\, \Delta_2 f / \epsilon$ is $(\epsilon, \delta)$-DP
(Theorem A.1 of {cite}`dwork2014algorithmic`).
```

```{prf:theorem} Analytic Gaussian mechanism
:label: thm-gauss-analytic
With $\Delta = \Delta_2 f$ and $\Phi$ the standard normal CDF, the Gaussian mechanism is
$(\epsilon, \delta)$-DP **if and only if**

$$\Phi\Big(\frac{\Delta}{2\sigma} - \frac{\epsilon\sigma}{\Delta}\Big)
 - e^{\epsilon}\,\Phi\Big(-\frac{\Delta}{2\sigma} - \frac{\epsilon\sigma}{\Delta}\Big)
 \le \delta .$$
{cite}`balle2018improving`
```

The classic theorem is a tail bound; the analytic one is exact, so the smallest $\sigma$ that
satisfies it (found by bisection in `gaussian_mechanism_sigma`) is the least noise any
Gaussian mechanism can add. The figure shows the noise standard deviation per unit of
sensitivity for both, with the Laplace mechanism's standard deviation $\sqrt{2}/\epsilon$ (pure
DP) for comparison.
"""),
code("""
eps_grid = np.geomspace(0.05, 20, 60)
analytic = np.array([gaussian_mechanism_sigma(e, DELTA) for e in eps_grid])
below_one = eps_grid[eps_grid < 1]
classic = np.array([gaussian_mechanism_sigma(e, DELTA, method="classic") for e in below_one])
# the classic formula used where it was never proven (epsilon >= 1)
above_one = eps_grid[eps_grid >= 1]
classic_outside = math.sqrt(2 * math.log(1.25 / DELTA)) / above_one
plots.privacy_curves(
    {"analytic Gaussian (Balle & Wang 2018)": (eps_grid, analytic),
     "classic Gaussian, epsilon < 1": (below_one, classic),
     "classic formula outside its range": (above_one, classic_outside),
     "Laplace (pure DP), std = sqrt(2)/epsilon": (eps_grid, math.sqrt(2) / eps_grid)},
    xlabel="epsilon", ylabel="noise std / sensitivity", logx=True, logy=True,
    dashed=["classic formula outside its range"],
    title=f"Noise for one (epsilon, {DELTA:g})-DP release of a scalar");
"""),
code("""
sigma_classic_05 = gaussian_mechanism_sigma(0.5, DELTA, method="classic")
sigma_analytic_05 = gaussian_mechanism_sigma(0.5, DELTA)
variance_saved = 1 - (sigma_analytic_05 / sigma_classic_05) ** 2
# at epsilon = 10 the classic formula gives too little noise: its true delta exceeds DELTA
sigma_classic_10 = math.sqrt(2 * math.log(1.25 / DELTA)) / 10
delta_classic_10 = gaussian_mechanism_delta(sigma_classic_10, 10.0)
print(f"epsilon 0.5: classic sigma {sigma_classic_05:.3f}, analytic {sigma_analytic_05:.3f} "
      f"({variance_saved:.0%} less variance)")
print(f"epsilon 10: classic formula sigma {sigma_classic_10:.4f} has delta {delta_classic_10:.3g} "
      f"> {DELTA:g}; the analytic sigma is {gaussian_mechanism_sigma(10.0, DELTA):.4f}")
glue("sigma_classic_05", round(sigma_classic_05, 3))
glue("sigma_analytic_05", round(sigma_analytic_05, 3))
glue("variance_saved", variance_saved)
glue("delta_classic_10", delta_classic_10)
glue("delta_ratio_10", round(delta_classic_10 / DELTA, 1))
"""),
check("""
assert np.all(analytic[eps_grid < 1] < classic), "analytic must need less noise than classic"
assert variance_saved > 1 / 3, variance_saved  # Balle & Wang: at least a third of the variance
assert delta_classic_10 > DELTA, "the classic formula must fail outside its range"
assert gaussian_mechanism_delta(gaussian_mechanism_sigma(10.0, DELTA), 10.0) <= DELTA
"""),
md(r"""
At $\epsilon = 0.5$ the classic formula asks for $\sigma$ = {glue:text}`sigma_classic_05:.3f`
(per unit of sensitivity), the analytic calibration for {glue:text}`sigma_analytic_05:.3f`:
{glue:text}`variance_saved:.0%` less noise variance for the same guarantee. Beyond
$\epsilon = 1$ the classic formula is not merely loose but wrong: used at $\epsilon = 10$ it
adds so little noise that the true $\delta$ is {glue:text}`delta_classic_10:.1e`,
{glue:text}`delta_ratio_10:.1f` times the promised $10^{-5}$. For one scalar, Laplace noise is
smaller still; the Gaussian wins for high-dimensional releases such as a gradient, as
{ref}`ex-4-2-2` shows.

## 4.2.3 Checking the definition empirically

We now run the Gaussian mechanism on the clipped total ink at $\epsilon = 1$,
$\delta = 10^{-5}$, with the strong adversary's worst case: $D$ is the training set and $D'$
is $D$ without the record that contributes most (its clipped ink is exactly $C$). We draw
two million outputs on each dataset.
"""),
code("""
EPS = 1.0
sigma = gaussian_mechanism_sigma(EPS, DELTA, sensitivity=CLIP)
target = int(np.argmax(clipped))  # the record the adversary asks about
f_D = clipped.sum()
f_D_prime = f_D - clipped[target]  # D' = D without the target record
n_samples = 2_000_000
out_D = f_D + sigma * rng.standard_normal(n_samples)  # [n_samples] outputs M(D)
out_D_prime = f_D_prime + sigma * rng.standard_normal(n_samples)  # [n_samples] outputs M(D')
print(f"f(D) = {f_D:.2f}, f(D') = {f_D_prime:.2f}, noise sigma = {sigma:.2f} "
      f"({sigma / CLIP:.3f} x C); one noisy mean ink: {out_D[0] / n_train:.3f} "
      f"(true {f_D / n_train:.3f})")
glue("sigma_ink", round(sigma, 2))
glue("sigma_per_c", round(sigma / CLIP, 3))
plots.mechanism_histograms({"M(D): all training digits": out_D,
                            "M(D'): without the target digit": out_D_prime},
                           bins=120, xlabel="released total ink (pixel units)",
                           vlines={"f(D)": f_D, "f(D')": f_D_prime},
                           title=f"Gaussian mechanism, (epsilon, delta) = ({EPS:g}, {DELTA:g})");
"""),
md(r"""
The two histograms almost coincide: the noise, $\sigma$ = {glue:text}`sigma_ink:.2f`
({glue:text}`sigma_per_c:.3f` times $C$), is large compared with the shift $C$ one record causes.
The precise statement is about the **privacy loss**.

```{prf:definition} Privacy loss
:label: def-privacy-loss
For output densities $p_D$ and $p_{D'}$ of $M(D)$ and $M(D')$, the privacy loss at output
$o$ is $L(o) = \ln\big(p_D(o)/p_{D'}(o)\big)$; with $O \sim M(D)$, $L(O)$ is the
**privacy loss random variable**.
```

```{prf:theorem} Delta from the privacy loss
:label: thm-hockey-stick
$M$ is $(\epsilon, \delta)$-DP if and only if, for every ordered pair of adjacent
datasets, $\mathbb{E}_{O \sim M(D)}\big[(1 - e^{\epsilon - L(O)})_+\big] \le \delta$.
The left-hand side is the largest value of
$\Pr[M(D) \in S] - e^{\epsilon}\Pr[M(D') \in S]$ over all $S$, reached at
$S = \{o : L(o) > \epsilon\}$. For the Gaussian mechanism $L(O) \sim
\mathcal{N}(\mu^2/2, \mu^2)$ with $\mu = \Delta/\sigma$, and the expectation is the left-hand
side of {prf:ref}`thm-gauss-analytic`.
{cite}`balle2018improving,balle2018privacy`
```

So $\epsilon$ bounds the privacy loss except on outputs of small probability, and $\delta$
pays for them. Below, the privacy loss of each sampled output, the Monte Carlo estimate of
$\delta$, and the definition itself checked on tail sets $S_t = \{o > t\}$, both ways round,
with 99.9% Clopper–Pearson intervals for the sampled probabilities.
"""),
code("""
def privacy_loss(o, centre, other, noise):
    \"\"\"ln p(o) / p'(o) for Gaussians N(centre, noise^2) and N(other, noise^2).\"\"\"
    return ((o - other) ** 2 - (o - centre) ** 2) / (2 * noise**2)


loss = privacy_loss(out_D, f_D, f_D_prime, sigma)  # [n_samples] L(O), O ~ M(D)
mu = CLIP / sigma
delta_mc = float(np.mean(np.maximum(0.0, 1 - np.exp(EPS - loss))))
delta_exact = gaussian_mechanism_delta(sigma, EPS, CLIP)
tail_mc = float(np.mean(loss > EPS))
tail_exact = float(stats.norm.sf(EPS, loc=mu**2 / 2, scale=mu))
print(f"privacy loss: mean {loss.mean():.4f} (theory {mu**2 / 2:.4f}), std {loss.std():.4f} "
      f"(theory {mu:.4f})")
print(f"Pr[L > epsilon]: sampled {tail_mc:.2e}, exact {tail_exact:.2e}")
print(f"delta: sampled {delta_mc:.4e}, exact {delta_exact:.4e}")
glue("tail_mc", tail_mc)
glue("delta_mc", delta_mc)
plots.privacy_loss_histogram(loss, EPS, bins=80, title="Privacy loss of the outputs on D");
"""),
code("""
def clopper_pearson(k, n, confidence=0.999):
    \"\"\"Two-sided Clopper-Pearson interval for a binomial proportion k / n.\"\"\"
    alpha = 1 - confidence
    low = stats.beta.ppf(alpha / 2, k, n - k + 1) if k > 0 else 0.0
    high = stats.beta.ppf(1 - alpha / 2, k + 1, n - k) if k < n else 1.0
    return low, high


def worst_violation(a, b, eps, n_sets=40):
    \"\"\"Largest certain Pr[A in S] - e^eps Pr[B in S] over upper tail sets S = {o > t}.\"\"\"
    worst = -np.inf
    for t in np.quantile(a, np.linspace(0.5, 0.99995, n_sets)):  # tails where A is likelier
        p_low, _ = clopper_pearson(int(np.sum(a > t)), len(a))
        _, q_high = clopper_pearson(int(np.sum(b > t)), len(b))
        worst = max(worst, p_low - math.exp(eps) * q_high)
    return worst


forward = worst_violation(out_D, out_D_prime, EPS)
# the other order, D' against D: lower tail sets {o < t}, i.e. upper tails of -o
backward = worst_violation(-out_D_prime, -out_D, EPS)
print(f"largest certain violation over 2 x 40 tail sets: {max(forward, backward):.2e} "
      f"(must not exceed delta = {DELTA:g})")
"""),
md(r"""
Only {glue:text}`tail_mc:.1e` of the outputs have a privacy loss above $\epsilon$, and the sampled
$\delta$, {glue:text}`delta_mc:.2e`, matches the promised $10^{-5}$. No tail set shows a violation
of the definition beyond sampling error.

Is the check able to fail? Suppose we had **not clipped**. The strong adversary picks the
target record: a completely black image, ink 64, added to the data. The same noise now faces
a shift of 64 instead of $C$.
"""),
code("""
out_D_black = f_D + 64.0 + sigma * rng.standard_normal(n_samples)  # [n_samples] M(D + black digit)
unclipped_violation = worst_violation(out_D_black, out_D, EPS)
delta_unclipped = gaussian_mechanism_delta(sigma, EPS, 64.0)
print(f"without clipping: certain violation {unclipped_violation:.2e}, exact delta at epsilon 1: "
      f"{delta_unclipped:.2e} ({delta_unclipped / DELTA:.0f} x the promise)")
glue("delta_unclipped", delta_unclipped)
glue("unclipped_violation", unclipped_violation)
"""),
check("""
assert abs(delta_mc - delta_exact) < 0.3 * delta_exact, (delta_mc, delta_exact)
assert abs(tail_mc - tail_exact) < 0.2 * tail_exact, (tail_mc, tail_exact)
assert abs(loss.mean() - mu**2 / 2) < 1e-3 and abs(loss.std() - mu) < 1e-3
assert max(forward, backward) <= DELTA, (forward, backward)
assert unclipped_violation > 100 * DELTA, unclipped_violation  # the check has power
assert delta_unclipped > 100 * DELTA
"""),
md(r"""
Without clipping, the exact $\delta$ at $\epsilon = 1$ is {glue:text}`delta_unclipped:.1e`, and
the sampled tail sets alone already certify a violation of {glue:text}`unclipped_violation:.1e`:
the empirical check catches a mechanism whose sensitivity was misjudged. (Such sampling checks
give *lower* bounds on the privacy loss; privacy auditing applies the same idea to trained
models.)

## 4.2.4 Post-processing

```{prf:theorem} Post-processing
:label: thm-post-processing
If $M$ is $(\epsilon, \delta)$-DP and $g$ is any function (or
randomised map that does not look at the data), then $g \circ M$ is $(\epsilon, \delta)$-DP.
{cite}`dwork2014algorithmic`
```

```{prf:proof}
For deterministic $g$: $\Pr[g(M(D)) \in S] = \Pr[M(D) \in g^{-1}(S)]$, and the definition
holds for the set $g^{-1}(S)$. A randomised $g$ is a mixture of deterministic ones.
```

Dividing the noisy total by the (public, fixed) number {glue:text}`n_train:,d` to report a mean,
rounding it, clamping it to $[0, C]$: none of this costs privacy, and none of it can be undone
to recover what the noise hid. Rounding even *lowers* the true $\delta$, which we can compute
exactly: after rounding the mean to a grid of width $w$, the output is discrete and $\delta$ is
$\sum_{\text{cells}} \max\big(0, P_D(\text{cell}) - e^{\epsilon} P_{D'}(\text{cell})\big)$.
"""),
code("""
def rounded_delta(width, eps):
    \"\"\"Exact delta of the noisy mean rounded to a grid of `width` (both orders of D, D').\"\"\"
    edges = np.arange(math.floor((f_D_prime - 12 * sigma) / n_train / width) - 1,
                      math.ceil((f_D + 12 * sigma) / n_train / width) + 2) * width + width / 2
    p = np.diff(stats.norm.cdf(edges * n_train, loc=f_D, scale=sigma))  # [cells] Pr under D
    q = np.diff(stats.norm.cdf(edges * n_train, loc=f_D_prime, scale=sigma))  # under D'
    return max(np.maximum(0, p - math.exp(eps) * q).sum(),
               np.maximum(0, q - math.exp(eps) * p).sum())


for width in (0.001, 0.01, 0.05, 0.1):
    print(f"mean ink rounded to {width:<5}: exact delta at epsilon 1 = "
          f"{rounded_delta(width, EPS):.3g}")
delta_rounded = rounded_delta(0.05, EPS)
glue("delta_rounded", delta_rounded)
"""),
check("""
for width in (0.001, 0.01, 0.05, 0.1):
    assert rounded_delta(width, EPS) <= delta_exact * (1 + 1e-9), width
assert rounded_delta(0.001, EPS) > 0.9 * delta_exact  # a fine grid changes almost nothing
assert delta_rounded < 0.8 * delta_exact, delta_rounded
"""),
md(r"""
Rounding the mean ink to a multiple of 0.05 lowers the exact $\delta$ at $\epsilon = 1$
from $10^{-5}$ to {glue:text}`delta_rounded:.1e`. Post-processing can only help; it is also why
everything computed from a DP-trained model (its predictions, a fine-tuned copy) inherits the
model's guarantee.

(sec-composition)=
## 4.2.5 Composition

Training releases not one noisy answer but thousands (one per step), and an adversary sees
them all. Privacy guarantees compose.

```{prf:theorem} Basic composition
:label: thm-basic-composition
Running mechanisms $M_1, \dots, M_k$ on the same data, each $(\epsilon_i, \delta_i)$-DP and
each possibly chosen after seeing the previous outputs, is
$(\sum_i \epsilon_i, \sum_i \delta_i)$-DP.
{cite}`dwork2014algorithmic`
```

```{prf:theorem} Advanced composition
:label: thm-advanced-composition
The adaptive composition of $k$ mechanisms, each $(\epsilon, \delta)$-DP, is
$(\epsilon', k\delta + \delta')$-DP for every $\delta' > 0$, with

$$\epsilon' = \sqrt{2k \ln(1/\delta')}\,\epsilon + k\epsilon\,(e^{\epsilon} - 1).$$
{cite}`dwork2010boosting`
```

Basic composition grows like $k$, advanced like $\sqrt{k}$ once $\epsilon$ is small. For the
Gaussian mechanism we also know the **exact** answer: $k$ releases with noise $\sigma$ are
together exactly as private as one release with noise $\sigma/\sqrt{k}$ (the sum of the
privacy losses is Gaussian again). Below, $k$ Gaussian mechanisms with $\sigma = 20$ times the
sensitivity, total $\delta = 10^{-5}$: basic and advanced composition (each mechanism's
$\epsilon$ from the analytic calibration at its share of $\delta$; advanced composition spends
half of $\delta$ on $\delta'$), Rényi DP ({ref}`sec-rdp`), and the exact value.
"""),
code("""
def gaussian_epsilon(noise, delta, sensitivity=1.0):
    \"\"\"Smallest epsilon at which the Gaussian mechanism is (epsilon, delta)-DP (exact).\"\"\"
    if gaussian_mechanism_delta(noise, 0.0, sensitivity) <= delta:
        return 0.0
    return brentq(lambda e: gaussian_mechanism_delta(noise, e, sensitivity) - delta, 0.0, 1e4,
                  xtol=1e-12)


SIGMA_COMP = 20.0
ks = np.unique(np.geomspace(1, 1000, 16).round().astype(int))
basic = [k * gaussian_epsilon(SIGMA_COMP, DELTA / k) for k in ks]
advanced = []
for k in ks:
    e0 = gaussian_epsilon(SIGMA_COMP, DELTA / (2 * k))
    advanced.append(math.sqrt(2 * k * math.log(2 / DELTA)) * e0 + k * e0 * math.expm1(e0))
rdp_classic = [compute_epsilon(SIGMA_COMP, 1.0, int(k), DELTA, conversion="classic").epsilon
               for k in ks]
rdp_improved = [compute_epsilon(SIGMA_COMP, 1.0, int(k), DELTA).epsilon for k in ks]
exact = [gaussian_epsilon(SIGMA_COMP / math.sqrt(k), DELTA) for k in ks]
plots.privacy_curves({"basic composition": (ks, basic), "advanced composition": (ks, advanced),
                      "RDP, classic conversion": (ks, rdp_classic),
                      "RDP, improved conversion": (ks, rdp_improved),
                      "exact (one Gaussian with sigma / sqrt(k))": (ks, exact)},
                     xlabel="number of Gaussian mechanisms k",
                     ylabel=f"epsilon at delta {DELTA:g}", logx=True, logy=True,
                     dashed=["basic composition", "advanced composition"],
                     title=f"k Gaussian mechanisms, sigma = {SIGMA_COMP:g} x sensitivity");
"""),
code("""
k_last = int(ks[-1])
pld_last = compute_epsilon(SIGMA_COMP, 1.0, k_last, DELTA, accountant="pld").epsilon
print(f"k = {k_last}: basic {basic[-1]:.1f}, advanced {advanced[-1]:.1f}, RDP classic "
      f"{rdp_classic[-1]:.2f}, RDP improved {rdp_improved[-1]:.2f}, PLD {pld_last:.3f}, "
      f"exact {exact[-1]:.3f}")
glue("k_last", k_last)
glue("comp_basic", round(basic[-1], 1))
glue("comp_advanced", round(advanced[-1], 1))
glue("comp_rdp", round(rdp_improved[-1], 2))
glue("comp_exact", round(exact[-1], 2))
"""),
check("""
assert basic[-1] > advanced[-1] > rdp_classic[-1] > rdp_improved[-1] > exact[-1]
assert abs(pld_last - exact[-1]) < 0.01 * exact[-1], (pld_last, exact[-1])
assert abs(exact[0] - gaussian_epsilon(SIGMA_COMP, DELTA)) < 1e-12 and ks[0] == 1
"""),
md(r"""
After {glue:text}`k_last:,d` releases, basic composition claims $\epsilon$ =
{glue:text}`comp_basic:.1f` and advanced composition {glue:text}`comp_advanced:.1f`, while the
truth is {glue:text}`comp_exact:.2f`; Rényi DP comes close ({glue:text}`comp_rdp:.2f`). All are
correct upper bounds; they differ in how much they throw away. Which one an {term}`accountant <Privacy accountant (隐私会计)>` uses
decides whether a DP model is reported as private or not.

(sec-rdp)=
## 4.2.6 Rényi differential privacy

```{prf:definition} Rényi differential privacy
:label: def-rdp
The Rényi divergence of order $\alpha > 1$ is
$D_\alpha(P \,\|\, Q) =
\frac{1}{\alpha - 1}\ln \mathbb{E}_{o \sim Q}\big[(P(o)/Q(o))^{\alpha}\big]$.
$M$ is **$(\alpha, \rho)$-RDP** if $D_\alpha\big(M(D) \,\|\, M(D')\big) \le \rho$ for all
adjacent $D \simeq D'$. Its **RDP curve** is the smallest such $\rho(\alpha)$ for each $\alpha$.
{cite}`mironov2017renyi`
```

```{prf:theorem} RDP of the Gaussian mechanism, and composition
:label: thm-rdp
The Gaussian mechanism with $\ell_2$ sensitivity $\Delta$ and noise $\sigma$ is
$(\alpha, \alpha\Delta^2/(2\sigma^2))$-RDP for every $\alpha > 1$. If $M_1$ is
$(\alpha, \rho_1)$-RDP and $M_2$ (possibly chosen after seeing $M_1$'s output) is
$(\alpha, \rho_2)$-RDP, their composition is $(\alpha, \rho_1 + \rho_2)$-RDP.
{cite}`mironov2017renyi`
```

Composition is addition, order by order: an accountant keeps the curve $\rho(\alpha)$ on a grid
of orders and adds each step's curve to it. Only at the end is the curve turned into an
$(\epsilon, \delta)$ guarantee, and there are two correct ways to do it:

```{prf:theorem} From Rényi DP to approximate DP
:label: thm-rdp-conversion
If $M$ is $(\alpha, \rho)$-RDP, then for every $\delta \in (0, 1)$ it is
$(\epsilon, \delta)$-DP with
- **classic** {cite}`mironov2017renyi`: $\epsilon = \rho + \dfrac{\ln(1/\delta)}{\alpha - 1}$;
- **improved** {cite}`canonne2020discrete,balle2020hypothesis`:
  $\epsilon = \rho + \ln\dfrac{\alpha - 1}{\alpha} - \dfrac{\ln \delta + \ln \alpha}{\alpha - 1}$.

The accountant reports the minimum over the orders $\alpha$ it tracks.
```

The improved value is smaller at every order by $\ln\frac{\alpha}{\alpha-1} +
\frac{\ln\alpha}{\alpha-1} > 0$. TF Privacy's README tables and Opacus's MNIST table were
computed with the classic conversion; `dp-accounting`'s `RdpAccountant` (and so TF Privacy's
own functions today) uses the improved one. The figure shows both for TF Privacy's
README setting: MNIST's 60,000 examples, batch 256, noise multiplier 1.1, 60 epochs.
"""),
code("""
import dp_accounting  # the library underneath rnnsec.privacy.accounting
from dp_accounting.rdp import RdpAccountant

N_MNIST, BATCH_MNIST = 60_000, 256
q_mnist = sampling_rate(BATCH_MNIST, N_MNIST)
steps_mnist = steps_for_epochs(N_MNIST, BATCH_MNIST, 60)
rdp_accountant = RdpAccountant()
rdp_accountant.compose(dp_accounting.SelfComposedDpEvent(
    dp_accounting.PoissonSampledDpEvent(q_mnist, dp_accounting.GaussianDpEvent(1.1)), steps_mnist))
orders, rho = rdp_accountant.orders, rdp_accountant.rdp  # [K] orders and RDP curve
eps_classic_by_order = rho + np.log(1 / DELTA) / (orders - 1)
eps_improved_by_order = (rho + np.log((orders - 1) / orders)
                         - (np.log(DELTA) + np.log(orders)) / (orders - 1))
report_classic = compute_epsilon(1.1, q_mnist, steps_mnist, DELTA, conversion="classic")
report_improved = compute_epsilon(1.1, q_mnist, steps_mnist, DELTA, conversion="improved")
print(report_classic)
print(report_improved)
shown = orders <= 12  # beyond, the subsampled Gaussian's RDP curve explodes
plots.privacy_curves(
    {"RDP curve rho(alpha)": (orders[shown], rho[shown]),
     "classic conversion": (orders[shown], eps_classic_by_order[shown]),
     "improved conversion": (orders[shown], eps_improved_by_order[shown])},
    points={f"classic minimum {r.epsilon:.3f}" if r is report_classic else
            f"improved minimum {r.epsilon:.3f}": (r.order, r.epsilon)
            for r in (report_classic, report_improved)},
    xlabel="Renyi order alpha", ylabel="epsilon (delta 1e-5) or rho", logx=True, logy=True,
    title=f"{steps_mnist} DP-SGD steps: q = 256/60000, noise multiplier 1.1");
"""),
check("""
assert abs(eps_classic_by_order.min() - report_classic.epsilon) < 1e-9
assert abs(eps_improved_by_order.min() - report_improved.epsilon) < 1e-9
assert np.all(eps_improved_by_order < eps_classic_by_order)
# unsampled Gaussian: dp-accounting's RDP curve is alpha / (2 sigma^2) per step
assert rho[orders >= 16].min() > 100 * rho[orders == 12].max()  # the explosion past order 13
plain = RdpAccountant()
plain.compose(dp_accounting.GaussianDpEvent(1.1))
assert np.allclose(plain.rdp, plain.orders / (2 * 1.1**2), rtol=1e-9)
"""),
md(r"""
The curves are minimised at different orders ({glue:text}`order_classic:g` and
{glue:text}`order_improved:g`), and the same RDP curve gives $\epsilon$ =
{glue:text}`readme_classic:.2f` with the classic conversion and
{glue:text}`readme_improved:.3f` with the improved one. (Beyond order 12 the RDP curve of
the subsampled mechanism grows explosively, more than a hundredfold by order 16, which is why
the plot stops there; the accountant never picks those orders.)

## 4.2.7 Amplification by subsampling

DP-SGD does not touch every record at every step: each record joins a batch with probability
$q$ (Poisson sampling). A record that is not sampled cannot leak, and this "amplifies" privacy.

```{prf:theorem} Amplification by Poisson subsampling
:label: thm-amplification
If $M$ is $(\epsilon, \delta)$-DP under add/remove adjacency, then running $M$ on a
Poisson subsample (each record kept independently with probability $q$) is
$\big(\ln(1 + q(e^{\epsilon} - 1)),\ q\delta\big)$-DP.
{cite}`kasiviswanathan2011what,balle2018privacy`
```

For small $\epsilon$ the new $\epsilon$ is about $q\epsilon$. Below, one Gaussian step with
noise multiplier 1.1 at target $\delta = 10^{-5}$: the exact $\epsilon_0$ of the step at
$\delta/q$ (so that $q\delta_0 = \delta$), the amplified bound, and what the PLD and RDP
accountants give for the same subsampled step.
"""),
code("""
print(f"{'q':>6} {'eps0 at delta/q':>16} {'amplified':>10} {'PLD':>10} {'RDP improved':>13}")
amplification = {}
for q in (1.0, 0.1, 0.01, 0.001):
    eps0 = gaussian_epsilon(1.1, DELTA / q)
    amplified = math.log1p(q * math.expm1(eps0))
    pld = compute_epsilon(1.1, q, 1, DELTA, accountant="pld").epsilon
    rdp = compute_epsilon(1.1, q, 1, DELTA).epsilon
    amplification[q] = (eps0, amplified, pld, rdp)
    print(f"{q:>6} {eps0:>16.4f} {amplified:>10.4f} {pld:>10.4f} {rdp:>13.4f}")
glue("amp_q001", round(amplification[0.01][1], 4))
glue("amp_eps0_001", round(amplification[0.01][0], 3))
glue("amp_rdp_001", round(amplification[0.01][3], 3))
"""),
check("""
for q, (eps0, amplified, pld, rdp) in amplification.items():
    assert abs(amplified - pld) < 2e-3 * max(pld, 1e-2), (q, amplified, pld)
    assert rdp >= pld - 1e-9, (q, rdp, pld)  # RDP is loose for a single step
assert amplification[0.01][1] < 0.1 * amplification[1.0][1]
"""),
md(r"""
With $q = 0.01$, a step whose own guarantee at $\delta/q$ is $\epsilon_0$ =
{glue:text}`amp_eps0_001:.3f` becomes a step with $\epsilon$ =
{glue:text}`amp_q001:.4f`; for a single step the amplification theorem applied to the exact
Gaussian guarantee agrees with the PLD accountant, while RDP is loose
({glue:text}`amp_rdp_001:.3f`). RDP's strength is many steps: the RDP curve of the
subsampled Gaussian, computed numerically by `dp-accounting`
{cite}`mironov2019renyi`, composes by addition, whereas chaining the amplification theorem with
advanced composition over thousands of steps is hopeless:
"""),
code("""
def amplified_advanced(noise, q, steps, delta, splits=np.linspace(0.05, 0.95, 19)):
    \"\"\"Amplification, then advanced composition; best split delta = k q delta0 + delta'.\"\"\"
    best = math.inf
    for share in splits:
        delta_prime = share * delta
        eps0 = gaussian_epsilon(noise, (delta - delta_prime) / (steps * q))
        eps1 = math.log1p(q * math.expm1(eps0))
        best = min(best, math.sqrt(2 * steps * math.log(1 / delta_prime)) * eps1
                   + steps * eps1 * math.expm1(eps1))
    return best


abadi_adv = amplified_advanced(4.0, 0.01, 10_000, DELTA)
abadi_rdp = compute_epsilon(4.0, 0.01, 10_000, DELTA, conversion="classic").epsilon
abadi_pld = compute_epsilon(4.0, 0.01, 10_000, DELTA, accountant="pld").epsilon
print(f"Abadi et al.'s setting (q = 0.01, sigma = 4, 10,000 steps): amplification + advanced "
      f"composition {abadi_adv:.2f}; RDP classic {abadi_rdp:.3f}; PLD {abadi_pld:.3f}")
glue("abadi_adv", round(abadi_adv, 1))
glue("abadi_rdp3", round(abadi_rdp, 3))
glue("abadi_pld", round(abadi_pld, 2))
"""),
check("""
assert round(abadi_rdp, 2) == 1.26, abadi_rdp  # Abadi et al. 2016: about 1.26 (moments accountant)
assert abadi_adv > 10 * abadi_rdp and abadi_pld < abadi_rdp
"""),
md(r"""
In the setting of {cite}`abadi2016deep` (sampling rate 0.01, noise 4, 10,000 steps,
$\delta = 10^{-5}$), amplification plus advanced composition gives $\epsilon$ =
{glue:text}`abadi_adv:.1f`, while the RDP accountant gives {glue:text}`abadi_rdp3:.3f`, the "about
1.26" that Abadi et al. reported with their moments accountant (a precursor of RDP), and the
PLD accountant {glue:text}`abadi_pld:.2f`.

## 4.2.8 Privacy loss distributions, and three accountants side by side

RDP summarises each step by its curve $\rho(\alpha)$ and loses information on the way. The
**privacy loss distribution** (PLD) keeps everything: it is the distribution of $L(O)$ of
{prf:ref}`def-privacy-loss`. For independent steps the privacy losses add up, so the PLD of a
composition is the convolution of the steps' PLDs; $\delta(\epsilon)$ then follows from
{prf:ref}`thm-hockey-stick`. A PLD accountant discretises the losses on a fine grid, rounding
pessimistically so the result stays an upper bound, and convolves with the fast Fourier
transform {cite}`koskela2020computing,doroshenko2022connect`. It is numerically almost tight.

The table recomputes published values: TF Privacy's README, tutorial and a unit test, Abadi
et al., and Opacus's MNIST README. Every run uses Poisson sampling, add/remove adjacency,
$\delta = 10^{-5}$, and steps counted as TF Privacy counts them,
$\lceil \text{epochs} \cdot N / B \rceil$.
"""),
code("""
ANCHOR_RUNS = [  # (name, N, batch, noise, epochs, steps, published, its conversion, decimals)
    ("TF Privacy README", 60_000, 256, 1.1, 60, None, 3.01, "classic", 2),
    ("Abadi et al. 2016", None, None, 4.0, None, 10_000, 1.26, "classic", 2),
    ("TF Privacy tutorial, 15 epochs", 60_000, 250, 1.3, 15, None, 1.18, "classic", 2),
    ("TF Privacy tutorial, 3 epochs", 60_000, 250, 1.3, 3, None, None, None, None),
    ("Opacus MNIST, sigma 1.3", 60_000, 240, 1.3, 15, None, 1.16, "classic", 2),
    ("Opacus MNIST, sigma 0.7", 60_000, 240, 0.7, 45, None, 6.86, "classic", 2),
    ("TF Privacy unit test", 60_000, 150, 1.3, 15, None, 0.7242234026109595, "improved", 9),
]
anchors = {}
print(f"{'run':32} {'steps':>6} {'published':>10} {'RDP classic':>12} {'RDP improved':>13} "
      f"{'PLD':>7}")
for name, n, batch, noise, epochs, steps, published, _, _ in ANCHOR_RUNS:
    q = 0.01 if n is None else sampling_rate(batch, n)
    steps = steps if steps is not None else steps_for_epochs(n, batch, epochs)
    row = {acc: compute_epsilon(noise, q, steps, DELTA, accountant=a, conversion=c).epsilon
           for acc, a, c in (("classic", "rdp", "classic"), ("improved", "rdp", "improved"),
                             ("pld", "pld", None))}
    anchors[name] = row
    shown = "-" if published is None else f"{published:.4g}"
    print(f"{name:32} {steps:>6} {shown:>10} {row['classic']:>12.4f} {row['improved']:>13.4f} "
          f"{row['pld']:>7.3f}")
readme = anchors["TF Privacy README"]
glue("readme_classic", round(readme["classic"], 3))
glue("readme_improved", round(readme["improved"], 3))
glue("readme_pld", round(readme["pld"], 3))
glue("order_classic", report_classic.order)
glue("order_improved", report_improved.order)
tut15, tut3 = anchors["TF Privacy tutorial, 15 epochs"], anchors["TF Privacy tutorial, 3 epochs"]
glue("tut15_classic", round(tut15["classic"], 2))
glue("tut3_classic", round(tut3["classic"], 3))
glue("tut3_improved", round(tut3["improved"], 3))
glue("tut3_pld", round(tut3["pld"], 3))
"""),
check("""
for name, *_, published, conversion, decimals in ANCHOR_RUNS:
    row = anchors[name]
    assert row["classic"] > row["improved"] > row["pld"] > 0, name
    if published is not None:
        assert round(row[conversion], decimals) == round(published, decimals), (name, row)
assert round(readme["classic"], 2) == 3.01
assert round(readme["improved"], 3) == 2.597
assert round(readme["pld"], 3) == 2.382
assert round(tut3["classic"], 3) == 0.790 and round(tut3["improved"], 3) == 0.563
assert round(tut15["classic"], 2) == 1.18
"""),
md(r"""
Every published value is reproduced. For TF Privacy's README setting the three accountants
give {glue:text}`readme_classic:.2f` (classic RDP, the README's figure),
{glue:text}`readme_improved:.3f` (improved RDP) and {glue:text}`readme_pld:.3f` (PLD) for **the same
training run**: the run did not change, only the analysis. A paper or model card that reports
$\epsilon$ must say which accountant and conversion it used, which adjacency, and which
$\delta$.

```{admonition} A published number that does not match its run
:class: warning
TF Privacy's classification tutorial trains for 3 epochs (MNIST, batch 250, noise multiplier
1.3) and then quotes $\epsilon = 1.18$. That is the value after **15** epochs
({glue:text}`tut15_classic:.2f`, classic conversion). Its own 3-epoch run spends
{glue:text}`tut3_classic:.3f` (classic), {glue:text}`tut3_improved:.3f` (improved) or
{glue:text}`tut3_pld:.3f` (PLD). A number typed into prose drifts from the code; this book glues
every number from the computation and asserts the key ones.
```

TF Privacy's current helper, `compute_dp_sgd_privacy_statement`, states more assumptions
than the README did. On the pinned stack we can ask it about the tutorial's 3-epoch run; on the
current stack, where tensorflow-privacy cannot be imported, the cell says so, and the next
cell computes the same numbers with `rnnsec` on both.
"""),
code("""
import importlib.util

statement = None
if importlib.util.find_spec("tensorflow_privacy") is not None:
    try:
        from tensorflow_privacy.privacy.analysis import compute_dp_sgd_privacy_lib
    except Exception as err:  # noqa: BLE001 -- e.g. newer TensorFlow without tensorflow_estimator
        print(f"tensorflow-privacy is installed but not importable here ({type(err).__name__})")
    else:
        statement = compute_dp_sgd_privacy_lib.compute_dp_sgd_privacy_statement(
            number_of_examples=60_000, batch_size=250, num_epochs=3, noise_multiplier=1.3,
            delta=DELTA)
        print(statement)
if statement is None:
    print("tensorflow-privacy is not available on this stack (it needs TensorFlow 2.15); "
          "the next cell computes the same numbers with rnnsec.")
"""),
code("""
# TF Privacy's statement assumes microbatching, which doubles the sensitivity (one example can
# turn its microbatch's clipped gradient around): the same as halving the noise multiplier.
q_tut, steps_tut = sampling_rate(250, 60_000), steps_for_epochs(60_000, 250, 3)
micro_poisson = compute_epsilon(1.3 / 2, q_tut, steps_tut, DELTA).epsilon
# "each example occurring once per epoch" (shuffling, no amplification): 3 full-data steps
micro_once_per_epoch = compute_epsilon(1.3 / 2, 1.0, 3, DELTA).epsilon
print(f"rnnsec, noise 1.3 / 2: Poisson sampling {micro_poisson:.3f}; once per epoch, no "
      f"amplification {micro_once_per_epoch:.3f}")
glue("micro_poisson", round(micro_poisson, 3))
glue("micro_once", round(micro_once_per_epoch, 3))
"""),
check("""
if statement is not None:  # pinned stack: TF Privacy states exactly these numbers
    assert f"{micro_poisson:.3f}" in statement, statement
    assert f"{micro_once_per_epoch:.3f}" in statement, statement
assert micro_once_per_epoch > 10 * tut3["improved"]
"""),
md(r"""
With microbatching (sensitivity doubled) the 3-epoch tutorial run is
{glue:text}`micro_poisson:.3f`-DP under Poisson sampling and only {glue:text}`micro_once:.3f`-DP if
each example is simply seen once per epoch in shuffled order, for which the accountant credits
no amplification at all. The accountant's number is only as good as the assumptions that the
training loop really satisfies: DP training (Chapter 3.2) has to sample its batches the way the
accountant assumes.

## 4.2.9 What the article's DP snippet never does: compute epsilon

The source article's DP training snippet builds a private optimizer (a clipping norm, a noise
multiplier) and trains with it. It never computes the $\epsilon$ that the run spends, so its
reader cannot tell whether the model is private in any useful sense: $\epsilon$ depends on the
noise multiplier **and** on the data size, batch size, number of epochs and $\delta$. Here is
the accounting for the article's model trained as in Chapter 1, on the
{glue:text}`n_train:,d` row-wise digits with batch {glue:text}`batch` for up to
{glue:text}`epochs_shown` epochs, for three noise multipliers and all three accountants (PLD,
which is slower, at two points).
"""),
code("""
batch, epochs_shown = profile.batch_size, profile.epochs
q_digits = sampling_rate(batch, n_train)
epochs_axis = np.arange(1, epochs_shown + 1)
pld_epochs = sorted({max(1, epochs_shown // 2), epochs_shown})  # PLD is slower: two points
noise_levels = (0.8, 1.1, 1.5)
over_training = {}
for noise in noise_levels:
    pld = [compute_epsilon(noise, q_digits, steps_for_epochs(n_train, batch, e), DELTA,
                           accountant="pld").epsilon for e in pld_epochs]
    over_training[f"noise multiplier {noise:g}"] = {
        "RDP, classic": (epochs_axis, epsilon_per_epoch(
            noise, batch, n_train, epochs_shown, DELTA, conversion="classic")),
        "RDP, improved": (epochs_axis, epsilon_per_epoch(
            noise, batch, n_train, epochs_shown, DELTA, conversion="improved")),
        "PLD": (pld_epochs, pld),
    }
plots.epsilon_vs_training(over_training, xlabel="epochs of DP-SGD on the digits",
                          ylabel=f"epsilon (delta = {DELTA:g})", target=1.0,
                          target_label="epsilon = 1",
                          title=f"{n_train} examples, batch {batch} (q = {q_digits:.4f})");
"""),
code("""
final = {name: {acc: float(np.asarray(y)[-1]) for acc, (_, y) in runs.items()}
         for name, runs in over_training.items()}
for name, row in final.items():
    print(f"{name}: after {epochs_shown} epochs",
          ", ".join(f"{a} {e:.2f}" for a, e in row.items()))
article = final["noise multiplier 1.1"]
glue("batch", batch)
glue("epochs_shown", epochs_shown)
glue("digits_11_classic", round(article["RDP, classic"], 2))
glue("digits_11_improved", round(article["RDP, improved"], 2))
glue("digits_11_pld", round(article["PLD"], 2))
digits_steps = steps_for_epochs(n_train, batch, epochs_shown)
tpr_bound = math.exp(article["PLD"]) * 0.01 + DELTA
glue("digits_steps", digits_steps)
glue("tpr_bound", tpr_bound)
mnist_same = compute_epsilon(1.1, sampling_rate(batch, 60_000),
                             steps_for_epochs(60_000, batch, epochs_shown), DELTA).epsilon
print(f"same noise, batch, epochs on 60,000 examples: epsilon {mnist_same:.3f} (RDP, improved)")
glue("mnist_same", round(mnist_same, 3))
"""),
check("""
for name, row in final.items():
    assert row["RDP, classic"] > row["RDP, improved"] > row["PLD"] > 0, (name, row)
    curve = over_training[name]["RDP, improved"][1]
    assert np.all(np.diff(curve) > 0), name
pld_final = [final[f"noise multiplier {noise:g}"]["PLD"] for noise in noise_levels]
assert pld_final[0] > pld_final[1] > pld_final[2], pld_final
# the same run spends far more on the small digits set than on MNIST's 60,000 examples
assert article["RDP, improved"] > 2 * mnist_same, (article, mnist_same)
"""),
md(r"""
With the noise multiplier 1.1 of TF Privacy's README, the {glue:text}`digits_steps:,d` steps of
{glue:text}`epochs_shown` epochs on the digits spend $\epsilon$ =
{glue:text}`digits_11_classic:.2f` (classic RDP), {glue:text}`digits_11_improved:.2f` (improved RDP)
or {glue:text}`digits_11_pld:.2f` (PLD) at $\delta = 10^{-5}$. The digits set is small, so each
example is sampled often ($q = B/N$ is large): with the same noise, batch and epochs on
MNIST's 60,000 examples, improved RDP gives {glue:text}`mnist_same:.3f`. In the
hypothesis-testing terms of the {term}`threat model <Threat model (威胁模型)>`, even at the PLD value a membership test with a
1% false-positive rate may reach a true-positive rate of up to {glue:text}`tpr_bound:.1%`,
and no attack, whatever it knows, can do better against this run.

## Summary

- $(\epsilon, \delta)$-DP bounds how much any output can tell apart two adjacent datasets;
  the adjacency (add/remove for DP-SGD) and $\delta$ are part of the guarantee.
- The analytic Gaussian mechanism needs {glue:text}`variance_saved:.0%` less noise variance
  than the classic formula at $\epsilon = 0.5$, and the classic formula fails for
  $\epsilon > 1$ (true $\delta$ = {glue:text}`delta_classic_10:.1e` at $\epsilon = 10$).
- Sampling the Gaussian mechanism on the clipped digits ink reproduces $\delta$ from the
  privacy loss; the same check exposes an unclipped query ($\delta$ =
  {glue:text}`delta_unclipped:.1e`).
- Post-processing is free; composition is not. Over {glue:text}`k_last:,d` Gaussian releases,
  basic composition gives {glue:text}`comp_basic:.1f`, RDP {glue:text}`comp_rdp:.2f`, the
  exact value {glue:text}`comp_exact:.2f`.
- One DP-SGD run has several correct epsilons: {glue:text}`readme_classic:.2f` (classic RDP),
  {glue:text}`readme_improved:.3f` (improved RDP), {glue:text}`readme_pld:.3f` (PLD) for TF
  Privacy's README setting. Report the accountant, and compute epsilon: the article's snippet
  does not.

## Exercises

```{exercise}
:label: ex-4-2-1
Find the smallest noise multiplier that keeps DP-SGD on the {glue:text}`n_train:,d` training
digits (batch 32, 10 epochs, $\delta = 10^{-5}$) at $\epsilon \le 1$, with the improved and the
classic RDP conversion. Check your answer with `compute_epsilon`, and compare it with what the
PLD accountant spends at that noise. Store the two noise multipliers in a dict `sigma_min` with
the keys `"improved"` and `"classic"` and run
`check.exercise("4.2-1", sigma_min, n_examples=n_train)`.
```

```{solution-start} ex-4-2-1
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
q_ex, steps_ex = sampling_rate(32, n_train), steps_for_epochs(n_train, 32, 10)
sigma_min = {}
for conversion in ("improved", "classic"):
    noise = noise_for_epsilon(1.0, q_ex, steps_ex, DELTA, conversion=conversion)
    sigma_min[conversion] = noise
    spent = compute_epsilon(noise, q_ex, steps_ex, DELTA, conversion=conversion).epsilon
    pld = compute_epsilon(noise, q_ex, steps_ex, DELTA, accountant="pld").epsilon
    print(f"{conversion:>8}: noise multiplier {noise:.3f} -> epsilon {spent:.4f} (PLD: {pld:.3f})")
# END SOLUTION
check.exercise("4.2-1", sigma_min, n_examples=n_train)
"""),
md(r"""
The classic conversion asks for more noise for the same claimed $\epsilon$; with the noise
found for the improved conversion the PLD accountant certifies an $\epsilon$ below 1, so a
PLD-calibrated run could use less noise still.
```{solution-end}
```

```{exercise}
:label: ex-4-2-2
A $d$-dimensional gradient clipped to $\ell_2$ norm $C$ has $\ell_2$ sensitivity $C$ but
$\ell_1$ sensitivity up to $\sqrt{d}\,C$. Compare the per-coordinate noise standard deviation
of the Laplace mechanism ($\epsilon$-DP) and the analytic Gaussian mechanism
($(\epsilon, 10^{-5})$-DP) at $\epsilon = 1$. From which $d$ on is the Gaussian better? How
large is $d$ for the article's `LSTM(64) + Dense(10)` on 8 input features? Store both numbers
in a dict `laplace_vs_gauss` with the keys `"crossover_d"` and `"n_params"` and run
`check.exercise("4.2-2", laplace_vs_gauss)`.
```

```{solution-start} ex-4-2-2
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
gauss_std = gaussian_mechanism_sigma(1.0, DELTA)  # per coordinate, in units of C
d_values = np.arange(1, 50)
laplace_std = np.sqrt(2) * np.sqrt(d_values)  # b = sqrt(d) C / epsilon, std = sqrt(2) b
crossover = int(d_values[np.argmax(laplace_std > gauss_std)])
units, features, classes = 64, 8, 10
n_params = 4 * (units * (features + units) + units) + units * classes + classes
print(f"Gaussian std {gauss_std:.3f} C; Laplace std exceeds it from d = {crossover} on")
laplace_ratio = np.sqrt(2 * n_params) / gauss_std
print(f"LSTM(64)+Dense(10) on 8 features: d = {n_params}; Laplace std / Gaussian std = "
      f"{laplace_ratio:.0f}")
glue("crossover_d", crossover)
glue("n_params", n_params)
glue("laplace_ratio", round(float(laplace_ratio)))
laplace_vs_gauss = {"crossover_d": crossover, "n_params": n_params}
# END SOLUTION
check.exercise("4.2-2", laplace_vs_gauss)
"""),
md(r"""
From $d$ = {glue:text}`crossover_d` on, Laplace noise calibrated to the $\ell_1$ sensitivity
is larger; for the article's model ($d$ = {glue:text}`n_params:,d`) it would be
{glue:text}`laplace_ratio` times larger per coordinate. That, and its tight composition, is why
DP-SGD uses Gaussian noise.
```{solution-end}
```

```{exercise}
:label: ex-4-2-3
How much does sampling buy? For the digits with noise multiplier 1.1, compare the PLD
$\epsilon$ (or the exact one, where there is no sampling) of (a) 10 epochs of DP-SGD with
batch 32 and Poisson sampling, (b) 10 epochs of full-batch noisy gradient descent
($q = 1$, 10 steps), and (c) full-batch descent with as many steps as (a). Why is (b) so much
worse than (a) although it takes far fewer steps? Store the three values of $\epsilon$ at
$\delta = 10^{-5}$ in a dict `sampling_eps` with the keys `"a"`, `"b"` and `"c"` and run
`check.exercise("4.2-3", sampling_eps, n_examples=n_train)`.
```

```{solution-start} ex-4-2-3
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
q_a, steps_a = sampling_rate(32, n_train), steps_for_epochs(n_train, 32, 10)
runs = {"(a) batch 32, Poisson": (q_a, steps_a), "(b) full batch, 10 steps": (1.0, 10),
        f"(c) full batch, {steps_a} steps": (1.0, steps_a)}
sampling_eps = {}
for name, (q, steps) in runs.items():
    if q < 1:
        spent = compute_epsilon(1.1, q, steps, DELTA, accountant="pld").epsilon
    else:  # without sampling, k Gaussian steps are exactly one with sigma / sqrt(k) (4.2.5)
        spent = gaussian_epsilon(1.1 / math.sqrt(steps), DELTA)
    print(f"{name:28}: epsilon {spent:.2f}")
    sampling_eps[name[1]] = spent  # "a", "b", "c"
glue("q_inverse", round(1 / q_a))
glue("steps_a", steps_a)
# END SOLUTION
check.exercise("4.2-3", sampling_eps, n_examples=n_train)
"""),
md(r"""
Each full-batch step uses every record with the full noise-to-signal ratio 1.1, and ten such
releases already cost far more than the {glue:text}`steps_a:,d` subsampled steps of (a), in
which a record takes part in only about one step in {glue:text}`q_inverse`. Per epoch the
noise is the same; what differs is how often each record is exposed, which amplification by
subsampling accounts for.
```{solution-end}
```

```{exercise}
:label: ex-4-2-4
The classic Gaussian formula is proven only for $\epsilon < 1$. Take $\epsilon = 10$,
$\Delta = 1$, $\delta = 10^{-5}$ and the classic $\sigma$. Find a set of outputs $S$ for which
$\Pr[M(D) \in S] > e^{\epsilon}\Pr[M(D') \in S] + \delta$ (exactly, with the normal CDF), and
the smallest $\sigma$ that repairs it. Store the set as its threshold $t$ for
$S = \{o > t\}$ (with $f(D) = 1$, $f(D') = 0$) and the repaired $\sigma$ in a dict `repair`
with the keys `"threshold"` and `"sigma"`, and run `check.exercise("4.2-4", repair)`.
```

```{solution-start} ex-4-2-4
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
eps10, sigma10 = 10.0, math.sqrt(2 * math.log(1.25 / DELTA)) / 10.0
mu10 = 1.0 / sigma10
# the worst set is {L > epsilon}: outputs o > t with t solving L(t) = epsilon (f(D) = 1, f(D') = 0)
t_star = eps10 * sigma10**2 + 0.5
p_D = stats.norm.sf(t_star, loc=1.0, scale=sigma10)
p_D_prime = stats.norm.sf(t_star, loc=0.0, scale=sigma10)
print(f"S = {{o > {t_star:.3f}}}: Pr[M(D) in S] = {p_D:.3e}, e^10 Pr[M(D') in S] + delta = "
      f"{math.exp(eps10) * p_D_prime + DELTA:.3e}")
print(f"violation {p_D - math.exp(eps10) * p_D_prime - DELTA:.2e}; repaired by the analytic sigma "
      f"{gaussian_mechanism_sigma(eps10, DELTA):.4f} instead of {sigma10:.4f}")
repair = {"threshold": t_star, "sigma": gaussian_mechanism_sigma(eps10, DELTA)}
# END SOLUTION
check.exercise("4.2-4", repair)
"""),
md(r"""
The set $\{o > t^*\}$ where the privacy loss exceeds $\epsilon$ violates the definition; the
analytic calibration adds a few percent more noise and the violation disappears.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks" / "42_dp_math.ipynb"))

"""Source of notebooks/32_dp_training.ipynb (Chapter 3.2, Differential privacy for RNN training)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

cells = [
md(r"""
# 3.2 Differential privacy for RNN training

Chapter 4.2 showed how to add noise to *one* answer so that no record can be told apart, and
how an accountant turns thousands of noisy steps into one $(\epsilon, \delta)$ guarantee. This
chapter applies it to the thing we actually release: the weights of a trained recurrent
network. The algorithm is {term}`DP-SGD <DP-SGD (差分隐私随机梯度下降)>` {cite}`abadi2016deep`: at every step, compute each example's
gradient, clip it to a fixed norm, add Gaussian noise to the sum, and let the optimizer step.
We first write one step from scratch with `tf.GradientTape` and check it number by number
against `rnnsec`, then train the source article's `LSTM(64)+Dense(10)` privately on real data,
measure what each knob does to accuracy and $\epsilon$, time it, and look closely at the two
details that decide whether the printed $\epsilon$ is a real guarantee: how batches are
sampled, and what a microbatch is.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- write a DP-SGD step by hand (per-example gradients, {term}`clipping <Gradient clipping (梯度裁剪)>`, noise, step) and say why the
  noise scale is $\sigma C$;
- read a distribution of per-example gradient norms and choose a clipping norm from it;
- train a Keras RNN privately with `rnnsec.privacy.make_private` and log $\epsilon$ per epoch;
- predict what the clipping norm, noise multiplier, batch size and number of epochs do to
  accuracy and to $\epsilon$, and check it on real runs;
- tell Poisson-sampled from shuffled batches and per-example clipping from microbatches, and
  say which $\epsilon$ each of them actually guarantees.
```

```{admonition} Threat model of this chapter
:class: important
- **Adversary's goal:** learn whether one record was in the training set, or anything about it
  ({term}`membership inference <Membership inference (成员推断攻击)>`, extraction; Chapter 2.2).
- **Adversary's knowledge:** everything but the target record: the training code, the
  hyperparameters, every other record, and **every intermediate model** (DP-SGD's guarantee
  holds even if all checkpoints are published).
- **Adversary's capability:** unlimited computation on the released weights; no access to the
  training run's random numbers (noise and sampling).
- **Guarantee:** $(\epsilon, \delta)$-DP with respect to adding or removing one *clipping unit*
  (one example, unless microbatches are used: Section 3.2.6), for the sampling the
  {term}`accountant <Privacy accountant (隐私会计)>` assumed (Section 3.2.5).
- **Out of scope:** users who contribute many records (user-level DP {cite}`mcmahan2018learning`),
  attacks on the hardware or on the random number generator.
```
"""),
code("""
import time

import numpy as np
import tensorflow as tf

import rnnsec
from rnnsec import data, models, plots
from rnnsec.book import glue
from rnnsec.compat import keras, per_example_loss, tf_privacy_available
from rnnsec.privacy import clipping
from rnnsec.privacy.accounting import compute_epsilon, noise_for_epsilon
from rnnsec.privacy.dp import (
    EpsilonCallback,
    make_private,
    noisy_gradients,
    poisson_batches,
    shuffled_batches,
)

rnnsec.set_seed(0)
profile = rnnsec.config.get_profile()
digits = data.load_digits_sequences(fraction=profile.data_fraction)
x_train, y_train, x_test, y_test = digits.x_train, digits.y_train, digits.x_test, digits.y_test
n_train = len(x_train)
EPOCHS, BATCH, DELTA, LR = profile.epochs, profile.batch_size, 1e-5, 1e-2
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
print(profile)
print(digits)
glue("n_train", n_train)
glue("epochs", EPOCHS)
glue("batch", BATCH)
glue("delta", DELTA)
"""),
md(r"""
## 3.2.1 The algorithm

Ordinary training averages the gradients of a batch. One unusual example (a mislabelled digit,
a patient with a rare condition) can have a gradient a hundred times larger than the others
and move the model on its own; that is exactly what membership inference detects. DP-SGD
bounds every example's influence and then hides what is left under noise.

```{prf:definition} DP-SGD step (Abadi et al. 2016, Algorithm 1)
:label: def-dpsgd
Given weights $w$, a batch $B$ sampled from the $N$ training examples (each one independently
with probability $q$), a clipping norm $C > 0$ and a noise multiplier $\sigma \ge 0$:

1. **per-example gradients:** $g_i = \nabla_w \ell(w; x_i, y_i)$ for every $i \in B$;
2. **clip:** $\bar g_i = g_i \cdot \min\!\big(1, C / \lVert g_i \rVert_2\big)$, so
   $\lVert \bar g_i \rVert_2 \le C$;
3. **add noise:**
   $\tilde g = \frac{1}{qN}\big(\sum_{i \in B} \bar g_i + \mathcal N(0, \sigma^2 C^2 I)\big)$;
4. **step:** give $\tilde g$ to the optimizer (SGD gives DP-SGD, Adam gives DP-Adam);
5. **account:** after $T$ steps, $\epsilon$ is a function of $(\sigma, q, T, \delta)$ only
   (Chapter 4.2).
```

```{prf:theorem} The clipped sum has sensitivity C
:label: thm-clip-sensitivity
Let $S(B) = \sum_{i \in B} \bar g_i$. For batches $B$ and $B' = B \cup \{j\}$ that differ by
one example, $\lVert S(B') - S(B) \rVert_2 \le C$, whatever the data. So step 3 is the
Gaussian mechanism with noise $\sigma$ times the sensitivity, at every step.
```

```{prf:proof}
$S(B') - S(B) = \bar g_j$ and clipping guarantees $\lVert \bar g_j \rVert_2 \le C$. The
weights $w$ at which the gradients are taken are themselves the output of earlier noisy steps,
which the adversary is allowed to see; the theorem holds for every $w$, so composition
(Chapter 4.2) applies step after step.
```

Note what the proof needs: the gradient of **each example separately**. Clipping the gradient
of the whole batch would bound the batch's influence, not one example's. Computing $B$
gradients instead of one is the whole cost of DP-SGD, and Section 3.2.4 measures it.

## 3.2.2 One step from scratch

A small LSTM (16 units, from `rnnsec.layers`, whose per-step activations we can look at; the
fast engine runs Keras's own `LSTM` just as well) and a batch of 8 digits.
Step 1 is a plain Python loop with one `tf.GradientTape` per example.
"""),
code("""
keras.utils.set_random_seed(0)
tiny = models.sequence_classifier((8, 8), 10, units=16, implementation="rnnsec")
xb, yb = x_train[:8], y_train[:8]
variables = tiny.trainable_variables


def example_gradients(model, x, y):
    \"\"\"Step 1: one gradient per example, by a loop over the batch.\"\"\"
    grads = []
    for i in range(len(x)):
        with tf.GradientTape() as tape:
            loss = LOSS(y[i:i + 1], model(x[i:i + 1], training=True))
        grads.append([g.numpy() for g in tape.gradient(loss, model.trainable_variables)])
    return grads  # B lists, one array per variable


grads = example_gradients(tiny, xb, yb)
norms = np.array([np.sqrt(sum(np.sum(g ** 2) for g in gi)) for gi in grads])  # [B]
C = float(np.median(norms))  # clip half of this batch, to see clipping at work
factors = np.minimum(1.0, C / norms)  # step 2
clipped_sum = [sum(f * gi[v] for f, gi in zip(factors, grads)) for v in range(len(variables))]
print("per-example norms:", np.round(norms, 3))
print(f"C = {C:.3f}; clipping factors:", np.round(factors, 3))
"""),
md(r"""
`rnnsec.privacy.clipping.clipped_gradient_sum` computes the same sum without ever running the
model per example: its fast engine records each recurrent layer's inputs $a_t$ and the
gradients $g_t$ of its pre-activations at every step, and gets each example's norm from
$\lVert \sum_t a_t g_t^\top \rVert_F^2 = \sum_{t,s} (a_t \cdot a_s)(g_t \cdot g_s)$
{cite}`goodfellow2015efficient,li2022large`. Step 3 then uses `noisy_gradients`. Both must
agree with our loop to float32 precision, noise included when both draw from the same seed.
"""),
code("""
ours = clipping.clipped_gradient_sum(tiny, per_example_loss(), xb, yb, C, engine="fast")
print(ours)
grad_diff = max(float(np.max(np.abs(a - b.numpy()))) for a, b in zip(clipped_sum, ours.grads))
norm_diff = float(np.max(np.abs(norms - ours.norms.numpy())))
scale = max(float(np.max(np.abs(a))) for a in clipped_sum)

SIGMA = 1.0
by_hand_rng = tf.random.Generator.from_seed(7)
noisy_by_hand = [(g + by_hand_rng.normal(g.shape, stddev=SIGMA * C).numpy()) / len(xb)
                 for g in clipped_sum]  # step 3 (fixed batch: divide by its size)
noisy_ours = noisy_gradients(ours.grads, C, SIGMA, len(xb), tf.random.Generator.from_seed(7))
noise_diff = max(float(np.max(np.abs(a - b.numpy()))) for a, b in zip(noisy_by_hand, noisy_ours))
print(f"largest difference: norms {norm_diff:.1e}, clipped sum {grad_diff:.1e} "
      f"(largest entry {scale:.2f}), noisy gradient {noise_diff:.1e}")
glue("scratch_diff", f"{max(grad_diff, noise_diff, norm_diff):.0e}")

before = [v.numpy() for v in variables]
for v, g in zip(variables, noisy_by_hand):  # step 4: plain SGD, learning rate 0.1
    v.assign_sub(0.1 * g)
moved = max(float(np.max(np.abs(v.numpy() - b))) for v, b in zip(variables, before))
step_eps = compute_epsilon(SIGMA, BATCH / n_train, 1, DELTA).epsilon  # step 5
print(f"weights moved by up to {moved:.3f}; one step at q = {BATCH}/{n_train}: "
      f"epsilon = {step_eps:.3g}")
"""),
check("""
assert norm_diff <= 1e-4 * max(norms.max(), 1.0), norm_diff
assert grad_diff <= 1e-4 * max(scale, 1.0) and noise_diff <= 1e-4, (grad_diff, noise_diff)
assert np.all(ours.factors.numpy() <= 1.0) and (ours.factors.numpy() < 1.0).sum() >= 3
clipped_norms = ours.norms.numpy() * ours.factors.numpy()
assert np.all(clipped_norms <= C * (1 + 1e-5))
assert moved > 0
"""),
md(r"""
The loop and `rnnsec` agree to within {glue:text}`scratch_diff` on every norm and every
coordinate of the clipped and the noisy gradient. The noise's standard deviation is $\sigma C$:
proportional to the clipping norm, because $C$ is the sensitivity
({prf:ref}`thm-clip-sensitivity`).

## 3.2.3 Where to clip: the distribution of per-example norms

$C$ trades two errors. Too small and every gradient is shortened (a bias: all examples pull
with the same strength, and large, informative gradients lose their size); too large and the
noise $\sigma C$ swamps gradients that are much smaller than $C$. The distribution of
per-example norms tells us where we are. Below it is for the article's model (64 units) over
all {glue:text}`n_train` training digits, before and after ordinary training.
"""),
code("""
def build_article_model(seed=0):
    keras.utils.set_random_seed(seed)
    return models.sequence_classifier((8, 8), 10, units=profile.units, implementation="rnnsec")


baseline = build_article_model()
norms_init = clipping.per_example_norms(baseline, per_example_loss(), x_train, y_train,
                                        engine="fast").numpy()
baseline.compile(optimizer=keras.optimizers.Adam(LR), loss=LOSS, metrics=["accuracy"])
start = time.perf_counter()
baseline.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, verbose=0)
nonprivate_seconds = time.perf_counter() - start
nonprivate_acc = baseline.evaluate(x_test, y_test, verbose=0)[1]
norms_trained = clipping.per_example_norms(baseline, per_example_loss(), x_train, y_train,
                                           engine="fast").numpy()
for name, n in (("initial model", norms_init), ("after training", norms_trained)):
    q10, q50, q90 = np.quantile(n, [0.1, 0.5, 0.9])
    print(f"{name:15s} 10% / 50% / 90% quantiles: {q10:.3g} / {q50:.3g} / {q90:.3g}; "
          f"max {n.max():.3g}")
spread = float(np.quantile(norms_trained, 0.9) / np.quantile(norms_trained, 0.1))
print(f"non-private test accuracy: {nonprivate_acc:.3f}")
glue("nonprivate_acc", round(nonprivate_acc, 3))
glue("median_init", round(float(np.median(norms_init)), 2))
glue("median_trained", f"{np.median(norms_trained):.2g}")
glue("norm_spread", round(spread))
glue("above_c_trained", float(np.mean(norms_trained > 1.0)))
"""),
code("""
plots.gradient_norm_histogram({"initial model": norms_init, "after non-private training":
                               norms_trained}, clip=1.0,
                              title="LSTM(64)+Dense(10) on row-wise digits");
"""),
check("""
assert np.median(norms_trained) < np.median(norms_init) / 3
assert spread > 10, spread
assert nonprivate_acc >= 0.85, nonprivate_acc
"""),
md(r"""
At initialisation the norms are concentrated (median {glue:text}`median_init`): every example
is still wrong in a similar way. After training the median falls to
{glue:text}`median_trained`, while the 10% largest norms are more than
{glue:text}`norm_spread` times the 10% smallest: a few hard or atypical digits dominate the
gradient, and those are exactly the records whose influence DP must bound. A clipping norm
$C = 1$ cuts early gradients to a common length (the model then learns from the *directions*
of all examples equally) and, later, only the outliers
({glue:text}`above_c_trained:.1%` of the examples at the end of non-private training).
A common rule {cite}`abadi2016deep` is to clip near the median norm seen during training;
Exercise 3.2.2 tries others.

## 3.2.4 Private training with `rnnsec`

`make_private(model, l2_norm_clip, noise_multiplier)` wraps any Keras model; `compile` and `fit`
work as usual. By default `fit(x, y, batch_size=B)` forms **Poisson** batches with
$q = B/N$ (Section 3.2.5) and divides the noisy sum by $qN$. `EpsilonCallback` logs
$\epsilon$ after each epoch into the `History`, computed by `rnnsec.privacy.accounting` with
the RDP accountant and the improved conversion (Chapter 4.2).
"""),
code("""
def train_private(noise, clip, batch_size=BATCH, epochs=EPOCHS, seed=0):
    \"\"\"Train the article's model with DP-Adam; return test accuracy, epsilon and history.\"\"\"
    model = build_article_model(seed)
    dp_model = make_private(model, clip, noise, seed=seed)
    dp_model.compile(optimizer=keras.optimizers.Adam(LR), loss=LOSS, metrics=["accuracy"])
    eps = EpsilonCallback(n_train, noise, DELTA, batch_size=batch_size, verbose=False)
    start = time.perf_counter()
    history = dp_model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=0,
                           validation_data=(x_test, y_test), callbacks=[eps])
    return {"acc": history.history["val_accuracy"][-1], "eps": history.history["epsilon"][-1],
            "history": history.history, "steps": eps.steps,
            "seconds": time.perf_counter() - start}


main = train_private(noise=1.0, clip=1.0)
for e, (acc, eps) in enumerate(zip(main["history"]["val_accuracy"],
                                   main["history"]["epsilon"]), start=1):
    print(f"epoch {e:2d}: test accuracy {acc:.3f}, epsilon {eps:.2f}")
glue("main_acc", round(main["acc"], 3))
glue("main_eps", round(main["eps"], 2))
glue("main_steps", main["steps"])
"""),
md(r"""
With $\sigma = 1$ and $C = 1$, after {glue:text}`epochs` epochs ({glue:text}`main_steps`
noisy steps) the model reaches {glue:text}`main_acc:.1%` test accuracy at
$\epsilon$ = {glue:text}`main_eps` ($\delta$ = {glue:text}`delta`), against
{glue:text}`nonprivate_acc:.1%` without privacy. Over the epochs $\epsilon$ grows at every
step while the accuracy climbs, with some noise: more training buys accuracy with privacy.

### What each knob does

- **noise multiplier $\sigma$**: sets $\epsilon$ (larger $\sigma$, smaller $\epsilon$) and the
  noise on every step;
- **clipping norm $C$**: does not change $\epsilon$ at all (it cancels: the noise is
  $\sigma C$), only *how* the signal is distorted;
- **batch size $B$**: more examples share one noise draw (the noise on the average is
  $\sigma C / B$), but $q = B/N$ grows, and the accountant charges more per step;
- **epochs**: more steps, more $\epsilon$ (roughly like $\sqrt{T}$ for moderate $T$).

We train the article's model at four noise levels with $C = 1$, at two more clipping norms
with $\sigma = 1$, and once with batch 128 with the noise chosen so that $\epsilon$ matches the
$\sigma = 1$, batch-{glue:text}`batch` run. All runs use the same seed, Adam (learning rate
{glue:text}`lr`) and {glue:text}`epochs` epochs.
"""),
code("""
glue("lr", LR)
noise_levels = [0.5, 1.0, 2.0, 4.0]
clip_norms = [0.1, 1.0, 10.0]
runs = {("noise", s): (main if s == 1.0 else train_private(s, 1.0)) for s in noise_levels}
runs.update({("clip", c): (main if c == 1.0 else train_private(1.0, c)) for c in clip_norms})

big_batch = 4 * BATCH
steps_big = EPOCHS * max(1, round(n_train / big_batch))  # what Poisson fit() runs
sigma_big = noise_for_epsilon(main["eps"], big_batch / n_train, steps_big, DELTA)
runs[("batch", big_batch)] = train_private(sigma_big, 1.0, batch_size=big_batch)
for (kind, value), r in runs.items():
    print(f"{kind:5s} {value:<6g} epsilon {r['eps']:7.2f}   test accuracy {r['acc']:.3f}   "
          f"{r['seconds']:.1f} s")
acc_noise = [runs[("noise", s)]["acc"] for s in noise_levels]
eps_noise = [runs[("noise", s)]["eps"] for s in noise_levels]
acc_clip = [runs[("clip", c)]["acc"] for c in clip_norms]
big = runs[("batch", big_batch)]
for s, a, e in zip(noise_levels, acc_noise, eps_noise):
    glue(f"acc_sigma_{s:g}".replace(".", "_"), round(a, 3))
    glue(f"eps_sigma_{s:g}".replace(".", "_"), round(e, 2))
for c, a in zip(clip_norms, acc_clip):
    glue(f"acc_clip_{c:g}".replace(".", "_"), round(a, 3))
glue("big_batch", big_batch)
glue("sigma_big", round(sigma_big, 2))
glue("acc_big", round(big["acc"], 3))
glue("eps_big", round(big["eps"], 2))
"""),
code("""
plots.privacy_utility(
    {f"noise sweep (C = 1, batch {BATCH})": (eps_noise, acc_noise),
     f"clip sweep (sigma = 1, batch {BATCH})": ([runs[("clip", c)]["eps"] for c in clip_norms],
                                                 acc_clip),
     f"batch {big_batch}, sigma {sigma_big:.2f}": ([big["eps"]], [big["acc"]])},
    labels={f"noise sweep (C = 1, batch {BATCH})": [f"sigma={s:g}" for s in noise_levels],
            f"clip sweep (sigma = 1, batch {BATCH})": [f"C={c:g}" for c in clip_norms]},
    baseline=nonprivate_acc, chance=0.1,
    title=f"DP-Adam on row-wise digits, {EPOCHS} epochs, delta = {DELTA:g}");
"""),
code("""
plots.epsilon_vs_training(
    {f"sigma = {s:g}": {"RDP accountant (EpsilonCallback)":
                        (np.arange(1, EPOCHS + 1), runs[("noise", s)]["history"]["epsilon"])}
     for s in noise_levels}, xlabel="epoch", ylabel=f"epsilon (delta = {DELTA:g})",
    title="Privacy spent during training");
"""),
check("""
assert all(a > b for a, b in zip(eps_noise, eps_noise[1:])), eps_noise
eps_clip = [runs[("clip", c)]["eps"] for c in clip_norms]
assert max(eps_clip) - min(eps_clip) < 1e-9, eps_clip  # the clip norm never changes epsilon
assert acc_noise[0] > acc_noise[-1] + 0.05, acc_noise
assert nonprivate_acc > max(acc_noise), (nonprivate_acc, acc_noise)
assert main["acc"] >= 0.4, main["acc"]
assert acc_clip[-1] < acc_clip[1], acc_clip  # C = 10: noise 10x larger than needed
assert big["eps"] <= main["eps"] * 1.01, (big["eps"], main["eps"])
assert big["acc"] < main["acc"], (big["acc"], main["acc"])
for s in noise_levels:
    eps_hist = runs[("noise", s)]["history"]["epsilon"]
    assert all(b > a for a, b in zip(eps_hist, eps_hist[1:]))
"""),
md(r"""
The noise sweep is the privacy-utility trade-off: from $\sigma = 0.5$
($\epsilon$ = {glue:text}`eps_sigma_0_5`, accuracy {glue:text}`acc_sigma_0_5:.1%`) to
$\sigma = 4$ ($\epsilon$ = {glue:text}`eps_sigma_4`, accuracy
{glue:text}`acc_sigma_4:.1%`). The clipping sweep sits on one vertical line, because $C$ does
not enter $\epsilon$: $C = 0.1$ gives {glue:text}`acc_clip_0_1:.1%`, $C = 1$
{glue:text}`acc_clip_1:.1%` and $C = 10$ {glue:text}`acc_clip_10:.1%`. A large $C$ hurts
because the noise $\sigma C$ grows while almost no gradient is that large; a small $C$ costs
little here, since Adam rescales the step anyway and what survives clipping is the direction
of every example. Batch {glue:text}`big_batch` needs $\sigma$ = {glue:text}`sigma_big` for the
same $\epsilon$ ({glue:text}`eps_big`) and reaches {glue:text}`acc_big:.1%`: with a fixed
number of epochs a larger batch means fewer, less noisy steps, and here the lost steps cost more
than the lower noise gained. Larger batches pay off when the number of epochs grows with
them, which is why batch size and epochs are tuned together.

### What it costs in time

DP-SGD needs every example's gradient norm. Computed naively (one backward pass per example,
or `tf.vectorized_map` over examples) that multiplies the cost of a step
{cite}`subramani2021enabling`. `rnnsec`'s fast engine gets all the norms from one forward and
one backward pass (Section 3.2.2), and the clipped sum from one more weighted product. Below,
one epoch of each method on the same {glue:text}`n_timed` digits in fixed batches of
{glue:text}`batch` (median of three epochs after a warm-up epoch, interleaved so that other
load on the machine hits all methods alike); `benchmarks/dp_training.py` runs the same
comparison on more models.
"""),
code("""
class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


x_time, y_time = x_train[:(n_train // BATCH) * BATCH], y_train[:(n_train // BATCH) * BATCH]


def timed_model(method):
    keras.utils.set_random_seed(0)
    if method == "non-private Keras":
        model = models.sequence_classifier((8, 8), 10, units=profile.units)
        model.compile(optimizer=keras.optimizers.Adam(LR), loss=LOSS)
        return model
    if method.startswith("rnnsec"):
        engine = "fast" if "fast" in method else "general"
        model = make_private(build_article_model(), 1.0, 1.0, engine=engine, sampling="shuffle",
                             seed=0)
        model.compile(optimizer=keras.optimizers.Adam(LR), loss=LOSS)
        return model
    import tensorflow_privacy

    model = models.sequence_classifier((8, 8), 10, units=profile.units)
    model.compile(optimizer=tensorflow_privacy.DPKerasAdamOptimizer(
        l2_norm_clip=1.0, noise_multiplier=1.0, num_microbatches=BATCH, learning_rate=LR),
        loss=per_example_loss())
    return model


methods = ["non-private Keras", "rnnsec DP, fast engine", "rnnsec DP, general engine"]
if tf_privacy_available():
    methods.append("TF Privacy DPKerasAdamOptimizer")
timed = {m: timed_model(m) for m in methods}
seconds = {m: [] for m in methods}
for round_ in range(4):
    for m, model in timed.items():
        timer = EpochTimer()
        model.fit(x_time, y_time, batch_size=BATCH, epochs=1, verbose=0, callbacks=[timer])
        if round_ > 0:
            seconds[m].append(timer.seconds)
speed = {m: float(np.median(s)) for m, s in seconds.items()}
print(f"| method | s/epoch | x non-private |\\n|---|---|---|")
for m, s in speed.items():
    print(f"| {m} | {s:.3f} | {s / speed['non-private Keras']:.2f} |")
fast_ratio = speed["rnnsec DP, fast engine"] / speed["non-private Keras"]
general_ratio = speed["rnnsec DP, general engine"] / speed["non-private Keras"]
glue("n_timed", len(x_time))
glue("fast_ratio", round(fast_ratio, 2))
glue("general_ratio", round(general_ratio, 2))
if tf_privacy_available():
    tfp_ratio = speed["TF Privacy DPKerasAdamOptimizer"] / speed["non-private Keras"]
    print(f"TF Privacy takes {tfp_ratio / fast_ratio:.1f}x as long as rnnsec's fast engine")
else:
    print("tensorflow-privacy is not importable on this stack (it needs TensorFlow 2.15; "
          "see the setup page), so its row is measured on the pinned stack only")
"""),
check("""
# Speed is measured, never asserted (timings vary with the machine's load); check only
# that every method ran and produced a finite, positive time per epoch.
assert all(0 < seconds < float("inf") for seconds in speed.values()), speed
"""),
md(r"""
On this run the fast engine took {glue:text}`fast_ratio` times the time of non-private Keras
training and the general engine {glue:text}`general_ratio` times (on the pinned stack the table
also has TF Privacy's optimizer, which runs the model once per microbatch; the ratios are from
whichever stack executed this page, and timings on a shared 2-core machine move by tens of
percent from run to run). The general engine is affordable on this small model because
`tf.vectorized_map` batches its per-example passes; it is the engine for layers the fast one
does not know.

## 3.2.5 Poisson or shuffled batches: what is guaranteed

The accountant of Chapter 4.2 analyses the **Poisson-subsampled** Gaussian mechanism: each
example joins each batch independently with probability $q$. Privacy amplification comes from
that randomness: the adversary does not know whether the target was even in a given batch.
`model.fit` normally does something else: it shuffles and cuts the data into fixed-size batches,
so every example is used exactly once per epoch. `rnnsec` forms both and states what each
guarantees.
"""),
code("""
poisson = poisson_batches(x_train, y_train, BATCH / n_train, seed=0)
shuffled = shuffled_batches(x_train, y_train, BATCH, seed=0)
sizes = np.array([int(tf.shape(yb_)[0]) for _, yb_ in poisson.dataset])
print(poisson)
print(poisson.privacy_statement(), "\\n")
print(shuffled)
print(shuffled.privacy_statement(), "\\n")
print(f"Poisson batch sizes in one epoch: mean {sizes.mean():.1f}, standard deviation "
      f"{sizes.std():.1f}, min {sizes.min()}, max {sizes.max()} "
      f"(Binomial: mean {BATCH}, sd {np.sqrt(BATCH * (1 - BATCH / n_train)):.1f})")
glue("poisson_sd", round(float(sizes.std()), 1))
"""),
md(r"""
Training on the shuffled batches, the callback reports two numbers: `epsilon`, the bound that
is *proven* for shuffling (each epoch is one Gaussian mechanism on the replaced example, with
noise $\sigma/2$ relative to its sensitivity $2C$, and no amplification), and
`epsilon_if_poisson`, the number most code prints, which treats the shuffled batches as if they
were Poisson-sampled. {cite}`chua2024private` show that the true $\epsilon$ of shuffling can be
well above that second number, so it is not a guarantee.
"""),
code("""
dp_shuffled = make_private(build_article_model(), 1.0, 1.0, sampling="shuffle", seed=0)
dp_shuffled.compile(optimizer=keras.optimizers.Adam(LR), loss=LOSS, metrics=["accuracy"])
shuffle_eps = EpsilonCallback.from_batches(shuffled, 1.0, DELTA, verbose=False)
dp_shuffled.fit(shuffled, epochs=EPOCHS, verbose=0, callbacks=[shuffle_eps])
shuffle_acc = dp_shuffled.evaluate(x_test, y_test, verbose=0)[1]
last = shuffle_eps.history[-1]
print(f"shuffled batches: test accuracy {shuffle_acc:.3f}; proven epsilon {last['epsilon']:.1f}; "
      f"'if Poisson' epsilon {last['epsilon_if_poisson']:.2f} (not proven)")
print(f"Poisson batches:  test accuracy {main['acc']:.3f}; proven epsilon {main['eps']:.2f}")
glue("shuffle_acc", round(shuffle_acc, 3))
glue("shuffle_proven", round(last["epsilon"], 1))
glue("shuffle_if_poisson", round(last["epsilon_if_poisson"], 2))
"""),
check("""
assert sizes.std() > 1 and abs(sizes.mean() - BATCH) < 4 * sizes.std() / np.sqrt(len(sizes)) + 1
assert last["epsilon"] > 5 * last["epsilon_if_poisson"], last
assert abs(last["epsilon_if_poisson"] - main["eps"]) < 0.1 * main["eps"], (last, main["eps"])
assert shuffle_acc >= 0.4, shuffle_acc
"""),
md(r"""
Poisson batches vary in size (standard deviation {glue:text}`poisson_sd` around
{glue:text}`batch`), which costs nothing in accuracy here. The shuffled run reaches
{glue:text}`shuffle_acc:.1%`; its customary $\epsilon$ "if Poisson" is
{glue:text}`shuffle_if_poisson`, but the bound actually proven for what it did is
{glue:text}`shuffle_proven`. The lesson: report $\epsilon$ for the sampling you ran, which is
why `make_private` samples Poisson batches by default.

## 3.2.6 Microbatches

TF Privacy's optimizers take `num_microbatches`: the batch is cut into $m$ groups and the
*mean* gradient of each group is clipped as one unit. Fewer units means fewer gradients to
compute, which made DP-SGD cheaper before fast per-example engines. But the accountant's
statement is about adding or removing one **unit**. With $k = B/m > 1$ examples per unit, one
example can move its unit's clipped mean anywhere in a ball of radius $C$, a change of up to
$2C$: the example-level guarantee is the one for noise $\sigma/2$
(`rnnsec.privacy.dp` module docstring). Below, one batch of {glue:text}`batch` digits clipped
as 32, 8 and 1 units, with the trained non-private model.
"""),
code("""
xb32, yb32 = x_train[:BATCH], y_train[:BATCH]
per_example = clipping.per_example_norms(baseline, per_example_loss(), xb32, yb32).numpy()
rows = []
for m in (BATCH, 8, 1):
    unit_norms = clipping.per_example_norms(baseline, per_example_loss(), xb32, yb32,
                                            num_microbatches=m).numpy()
    sigma_example = 1.0 if m == BATCH else 0.5
    eps = compute_epsilon(sigma_example, BATCH / n_train, main["steps"], DELTA).epsilon
    rows.append((m, BATCH // m, float(np.median(unit_norms)), eps))
    print(f"{m:2d} units of {BATCH // m:2d} examples: unit norms median "
          f"{np.median(unit_norms):.3f}, max {unit_norms.max():.3f}; example-level epsilon "
          f"after {main['steps']} steps at sigma = 1: {eps:.1f}")
glue("eps_micro", round(rows[1][3], 1))
glue("batch_mean_norm", f"{rows[-1][2]:.2g}")
glue("mean_example_norm", f"{per_example.mean():.2g}")
"""),
check("""
assert rows[-1][2] <= per_example.mean() + 1e-6  # norm of the mean <= mean of the norms
assert rows[1][3] > 3 * rows[0][3], rows
assert rows[0][2] < rows[1][2], rows  # the median unit norm grows with the group size
"""),
md(r"""
A unit's norm is that of its examples' *mean* gradient, never more than their mean norm (the
whole batch's mean gradient has norm {glue:text}`batch_mean_norm`, the examples' mean norm is
{glue:text}`mean_example_norm`). The median rises with the group size because with heavy-tailed
norms most groups contain one hard example, whose gradient the group's mean carries; clipping
then acts on groups, and no single example's gradient is bounded by $C$ on its own. The
example-level $\epsilon$ after the same run grows from {glue:text}`main_eps` to
{glue:text}`eps_micro`. With `num_microbatches=1`, the source
article's setting, the whole batch is one unit: the accountant then protects a *batch*, not a
person (Chapter 5.2 corrects that snippet). `rnnsec` clips each example by default, at
{glue:text}`fast_ratio` times the non-private cost, so microbatches buy nothing here.

## Summary

- DP-SGD = per-example gradients, clip to $C$, add $\mathcal N(0, \sigma^2C^2)$ to the sum,
  step, account. Our 30-line loop and `rnnsec` agree to {glue:text}`scratch_diff`.
- Per-example gradient norms spread over orders of magnitude once a model is trained; clip
  near the typical norm so that outliers, not everyone, are cut.
- On row-wise digits, the article's LSTM reaches {glue:text}`main_acc:.1%` at
  $\epsilon$ = {glue:text}`main_eps` ($\delta$ = {glue:text}`delta`) against
  {glue:text}`nonprivate_acc:.1%` without privacy; $\sigma$ moves both, $C$ only accuracy.
- rnnsec's fast engine ran at {glue:text}`fast_ratio` times non-private cost.
- Report $\epsilon$ for the sampling you ran (Poisson unless stated) and for the unit you
  clipped (one example unless stated).

## Exercises

```{exercise}
:label: ex-3-2-1
Your privacy budget is $\epsilon = 2$ at $\delta = 10^{-5}$ for {glue:text}`epochs` epochs at
batch {glue:text}`batch`. Use `noise_for_epsilon` to find the smallest noise multiplier, train
the article's model with it, and check with `EpsilonCallback` that the budget holds. Store the
noise multiplier in `sigma_2` and run `check.exercise("3.2-1", sigma_2, n_examples=n_train,
batch_size=BATCH, epochs=EPOCHS, delta=DELTA)`.
```

```{solution-start} ex-3-2-1
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
steps = EPOCHS * round(n_train / BATCH)
sigma_2 = noise_for_epsilon(2.0, BATCH / n_train, steps, DELTA)
budget_run = train_private(sigma_2, 1.0)
print(f"sigma = {sigma_2:.3f}: epsilon {budget_run['eps']:.3f}, "
      f"test accuracy {budget_run['acc']:.3f}")
assert budget_run["eps"] <= 2.0
# END SOLUTION
check.exercise("3.2-1", sigma_2, n_examples=n_train, batch_size=BATCH, epochs=EPOCHS, delta=DELTA)
"""),
md(r"""
The accountant is exact about its own inputs, so the callback's $\epsilon$ lands just below 2;
the accuracy lies between those of the $\sigma = 1$ and $\sigma = 2$ runs above.
```{solution-end}
```

```{exercise}
:label: ex-3-2-2
Check {prf:ref}`thm-clip-sensitivity` numerically: for one batch (the first 16 training
digits, `xs, ys`) and the trained non-private model `baseline`, compute the clipped sum with
`clipped_gradient_sum`, remove one example, and measure the L2 distance between the two sums.
Do it for every example of the batch and for $C \in \{0.1, 1, 10\}$. Does any change exceed $C$?
Store the largest change for each $C$ in a dict `largest_change` (keys 0.1, 1.0 and 10.0) and
run `check.exercise("3.2-2", largest_change, model=baseline, x=xs, y=ys)`.
```

```{solution-start} ex-3-2-2
:class: dropdown
```
"""),
code("""
from rnnsec import check

xs, ys = x_train[:16], y_train[:16]
# BEGIN SOLUTION
largest_change = {}
for clip in (0.1, 1.0, 10.0):
    full = clipping.clipped_gradient_sum(baseline, per_example_loss(), xs, ys, clip).grads
    changes = []
    for j in range(len(xs)):
        keep = np.arange(len(xs)) != j
        less = clipping.clipped_gradient_sum(baseline, per_example_loss(), xs[keep], ys[keep],
                                             clip).grads
        changes.append(np.sqrt(sum(float(tf.reduce_sum((a - b) ** 2)) for a, b in zip(full, less))))
    print(f"C = {clip:4g}: largest change {max(changes):.4f}, smallest {min(changes):.4f}")
    assert max(changes) <= clip * (1 + 1e-4)
    largest_change[clip] = max(changes)
# END SOLUTION
check.exercise("3.2-2", largest_change, model=baseline, x=xs, y=ys)
"""),
md(r"""
No change exceeds $C$. Removing an example whose gradient was clipped changes the sum by
exactly $C$ (the largest change for $C = 0.1$ and $C = 1$); removing one with a small gradient
changes it by that gradient's norm. For $C = 10$ no example of this batch reaches $C$, so the
noise $\sigma C$ is much larger than any example's actual influence: wasted utility.
```{solution-end}
```

```{exercise}
:label: ex-3-2-3
Train with microbatches: `make_private(..., num_microbatches=8, sampling="shuffle")` on
`shuffled_batches(..., drop_remainder=True)` (every batch must split into 8 groups), with
$\sigma = 1$, $C = 1$. Log $\epsilon$ with `EpsilonCallback.from_batches(...,
num_microbatches=8)`. Compare the accuracy and the example-level $\epsilon$ with the
per-example run of Section 3.2.5. Store the test accuracy and the last epoch's `epsilon` and
`epsilon_if_poisson` in a dict `grouped` with those three keys (`"accuracy"`, `"epsilon"`,
`"epsilon_if_poisson"`) and run `check.exercise("3.2-3", grouped, batches=grouped_batches,
noise_multiplier=1.0, delta=DELTA, epochs=EPOCHS, num_microbatches=8)`.
```

```{solution-start} ex-3-2-3
:class: dropdown
```
"""),
code("""
from rnnsec import check

grouped_batches = shuffled_batches(x_train, y_train, BATCH, seed=0, drop_remainder=True)
# BEGIN SOLUTION
dp_grouped = make_private(build_article_model(), 1.0, 1.0, num_microbatches=8,
                          sampling="shuffle", seed=0)
dp_grouped.compile(optimizer=keras.optimizers.Adam(LR), loss=LOSS, metrics=["accuracy"])
grouped_eps = EpsilonCallback.from_batches(grouped_batches, 1.0, DELTA, num_microbatches=8,
                                           verbose=False)
dp_grouped.fit(grouped_batches, epochs=EPOCHS, verbose=0, callbacks=[grouped_eps])
grouped_acc = dp_grouped.evaluate(x_test, y_test, verbose=0)[1]
g = grouped_eps.history[-1]
print(f"8 microbatches: accuracy {grouped_acc:.3f}, epsilon proven {g['epsilon']:.1f}, "
      f"'if Poisson' {g['epsilon_if_poisson']:.2f}")
print(f"per example:    accuracy {shuffle_acc:.3f}, epsilon proven {last['epsilon']:.1f}, "
      f"'if Poisson' {last['epsilon_if_poisson']:.2f}")
assert grouped_acc <= shuffle_acc + 0.02
assert g["epsilon_if_poisson"] > 3 * last["epsilon_if_poisson"]
grouped = {"accuracy": grouped_acc, "epsilon": g["epsilon"],
           "epsilon_if_poisson": g["epsilon_if_poisson"]}
# END SOLUTION
check.exercise("3.2-3", grouped, batches=grouped_batches, noise_multiplier=1.0, delta=DELTA,
               epochs=EPOCHS, num_microbatches=8)
"""),
md(r"""
The proven shuffling bound is the same for both (it already allows a change of $2C$ per
epoch), but the customary "if Poisson" number is computed with $\sigma/2$ for groups and is
several times larger, and grouping did not buy accuracy either. Per-example clipping is the
better deal once per-example norms are cheap.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks" / "32_dp_training.ipynb"))

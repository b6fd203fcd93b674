"""Source of notebooks/62_capstone.ipynb (Chapter 6.2, capstone: one system, every defence)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

# The one table of Section 6.2.5, every cell glued from the computation.
ROWS = (("baseline", "base"), ("adversarial (PGD-AT)", "at"), ("DP", "dp"),
        ("DP + adversarial", "dpat"))
TABLE = "\n".join(
    ["| model | clean acc. | PGD acc. at $\\epsilon_{\\text{adv}}$ | $\\epsilon$ (accountant) "
     "| $\\epsilon$ lower bound (audit) | membership advantage | MIA AUC "
     "| training CPU time | inference cost |",
     "|---|---|---|---|---|---|---|---|---|"]
    + [f"| {name} | " + " | ".join(
        [f"{{glue:text}}`{key}_clean:.1%`", f"{{glue:text}}`{key}_robust:.1%`",
         "$\\infty$" if key in ("base", "at") else f"{{glue:text}}`{key}_eps`",
         f"{{glue:text}}`{key}_audit`", f"{{glue:text}}`{key}_adv`", f"{{glue:text}}`{key}_auc`",
         f"{{glue:text}}`{key}_time`x", "1x (plaintext)"]) + " |"
       for name, key in ROWS]
    + ["| DP + adversarial, 2-party secure inference | {glue:text}`mpc_acc:.1%` "
       "(on {glue:text}`mpc_n` test utterances) | as above | as above | as above | as above "
       "| as above | as above | {glue:text}`mpc_slowdown`x CPU, {glue:text}`mpc_rounds` rounds, "
       "{glue:text}`mpc_mb_per_seq` MB / utterance |"])

cells = [
md(r"""
# 6.2 Capstone: a robust, private and secure speaker identifier

Every part of this book defended a recurrent network against one attacker at a time. A
system that is deployed faces all of them at once. This last chapter builds one system end to
end on one task, **speaker identification** from the JapaneseVowels utterances of Chapter 1
{cite}`kudo1999multidimensional,bagnall2018uea`, and puts every defence of the book on it:

1. a **baseline** LSTM, trained as in Chapter 1;
2. {term}`adversarial training <Adversarial training (对抗训练)>` with PGD
   {cite}`madry2018towards` at a stated budget
   $\epsilon_{\text{adv}}$, in standard deviations of each feature (Chapter 3.1);
3. **DP-SGD** {cite}`abadi2016deep` with a noise multiplier chosen so that the accountant
   states a target $(\epsilon, \delta)$ (Chapters 3.2 and 4.2);
4. both at once, **DP + adversarial**, the composition of Chapter 2.3;
5. a {term}`membership inference <Membership inference (成员推断攻击)>` attack
   {cite}`yeom2018privacy` against each model (Chapter 2.2);
6. a {term}`privacy audit <Privacy audit (隐私审计)>` that proves a lower bound on
   $\epsilon$ from one training run with
   canaries {cite}`steinke2023privacy`, next to the accountant's upper bound (Chapter 6.1);
7. **secure two-party inference** with `rnnsec.mpc` {cite}`knott2021crypten,rathee2021sirnn`
   of the final model, so that the client's voice and the model owner's weights stay secret
   (Chapter 3.3).

It ends in one table of what each defence buys and what it costs, in accuracy and in time.
The exercises at the end are the book's last assignment.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- train one recurrent model with adversarial training, with DP-SGD at a target $\epsilon$,
  and with both, from the book's building blocks;
- evaluate each model against an evasion attacker (PGD) and a membership attacker, and audit
  the private ones, reporting the accountant's upper bound and the audit's lower bound side by
  side;
- serve the final model by secure two-party inference and measure its agreement with the
  plaintext model and its cost in rounds, bytes and time;
- write the whole result as one table and defend each number in it.
```

```{admonition} Threat model of the deployed system
:class: important
The model owner trains a speaker identifier on recorded utterances and offers it as a service;
a client sends an utterance and learns who is speaking.
- **Evasion attacker:** *goal*: make the model name the wrong speaker. *Knowledge*: white-box
  (weights and gradients; the strongest assumption). *Capability*: change every real frame's
  12 coefficients by at most $\epsilon_{\text{adv}}$ = {glue:text}`eps_adv` standard
  deviations ($L_\infty$; padding untouched), PGD with {glue:text}`pgd_steps` steps.
  *Defence*: adversarial training. *Guarantee*: none; robust accuracy is measured against this
  attack only.
- **Membership attacker:** *goal*: decide whether an utterance was in the training set.
  *Knowledge*: the model's logits on any input and candidate utterances with their speakers.
  *Defence*: DP-SGD. *Guarantee*: $(\epsilon, \delta)$-DP for every training utterance against
  every attacker, whatever it knows. The **auditor** plays this attacker on purpose, with
  canaries it inserts by coin flips.
- **Honest-but-curious server or client:** *goal*: learn the other side's secret during
  inference (the client's utterance, the owner's weights). *Defence*: 2-party additive
  secret sharing with a trusted dealer of Beaver triples. *Guarantee*: each party's view is
  independent of the other's secret, except for what the output and the public sequence
  length reveal.
- **Out of scope:** poisoning and backdoors, a malicious (deviating) party or a colluding
  dealer, side channels, attacks on the accountant's assumptions, and the privacy of queries
  *after* the logits are revealed (a client can still run the membership attack through the
  secure service: MPC hides the computation, not its output).
```
"""),
code("""
import math
import time

import numpy as np
import tensorflow as tf
from threadpoolctl import threadpool_limits

import rnnsec
from rnnsec import data, models, mpc, plots
from rnnsec.adversarial import AdversarialTrainer, pgd
from rnnsec.book import glue
from rnnsec.compat import keras
from rnnsec.privacy import attacks
from rnnsec.privacy.accounting import compute_epsilon, noise_for_epsilon
from rnnsec.privacy.audit import one_run_audit, sample_inclusion
from rnnsec.privacy.dp import DPModel, EpsilonCallback, make_private
from rnnsec.privacy.metrics import membership_advantage

rnnsec.set_seed(0)
profile = rnnsec.config.get_profile()
# Chapter sizes: the CPU profile runs in about three minutes; the full one (RNNSEC_FULL=1)
# trains 4x longer, doubles the hidden units and the audit, and serves 5x more utterances.
SIZES = {"cpu": dict(epochs=2 * profile.epochs, canaries=100, guesses=10, mpc_sequences=20),
         "full": dict(epochs=2 * profile.epochs, canaries=200, guesses=20,
                      mpc_sequences=100)}[profile.name]
UNITS = profile.units // 2                       # 32 (CPU) or 64 (full) LSTM units
EPOCHS = SIZES["epochs"]                         # 20 (CPU) or 80 (full)
EPS_ADV, AT_STEPS, PGD_STEPS = 0.25, 3, 10       # L-inf budget in standard deviations
TARGET_EPSILON, DELTA, CLIP = 8.0, 1e-4, 1.0     # DP target and clipping norm
BATCH, LR = profile.batch_size, 3e-3
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
print(profile)
print(SIZES, f"units={UNITS}")
glue("eps_adv", EPS_ADV)
glue("pgd_steps", PGD_STEPS)
glue("at_steps", AT_STEPS)
glue("target_eps", TARGET_EPSILON)
glue("delta", DELTA)
glue("epochs", EPOCHS)
glue("units", UNITS)
glue("epochs_full", 2 * rnnsec.config.get_profile(full=True).epochs)
"""),
md(r"""
## 6.2.1 The task, the training set and the audit's canaries

JapaneseVowels has {glue:text}`n_real` training and {glue:text}`n_test` test utterances of
nine speakers, 7 to 29 frames of 12 LPC cepstrum coefficients, standardised per coefficient
(so a budget of 0.25 means a quarter of a standard deviation) and right-padded with zeros
that a `Masking` layer skips.

The audit needs records whose membership is decided by a coin flip
({prf:ref}`def-capstone-audit`). We make {glue:text}`m_canaries`
{term}`canaries <Canary (金丝雀)>`: utterances of
20 frames of standard normal noise, each labelled with a random speaker. Nothing in real
speech predicts such a label, so a model gets a canary right only by remembering it. Each
canary joins the training set by its own fair coin: {glue:text}`n_included` did, for
{glue:text}`n_train` training records in all. All four models train on this same set, so the
audit and the accuracy numbers describe the same models. The membership attacker, by
contrast, targets the real utterances: the {glue:text}`n_real` members against as many test
utterances the models never saw.
"""),
code("""
vowels = data.load_japanese_vowels()
n_real, n_test = len(vowels.y_train), len(vowels.y_test)
m, K = SIZES["canaries"], SIZES["guesses"]
rng = np.random.default_rng(0)
x_canary = np.zeros((m, 29, 12), "float32")                           # [m, 29, 12]
x_canary[:, :20] = rng.standard_normal((m, 20, 12))                   # 20 frames of noise
y_canary = rng.integers(0, vowels.num_classes, size=m)                # [m] random speakers
included = sample_inclusion(m, seed=1)                                # [m] fair coins
x_train = np.concatenate([vowels.x_train, x_canary[included]])        # [n_train, 29, 12]
y_train = np.concatenate([vowels.y_train, y_canary[included]])
n_train = len(y_train)
# Membership candidates: the real members and as many never-seen test utterances.
x_cand, y_cand, is_member = attacks.membership_candidates(
    vowels.x_train, vowels.y_train, vowels.x_test, vowels.y_test, n=n_real, seed=0)
# The evasion attacker's targets and their masks (1 = real frame, 0 = padding).
n_eval = min(profile.attack_examples, n_test)
x_eval, y_eval = vowels.x_test[:n_eval], vowels.y_test[:n_eval]
mask_eval = vowels.mask("test")[:n_eval]
print(vowels)
print(f"{n_real} utterances + {included.sum()} of {m} canaries = {n_train} training records; "
      f"{len(y_cand)} membership candidates; PGD on {n_eval} test utterances")
for name, value in (("n_real", n_real), ("n_test", n_test), ("m_canaries", m),
                    ("n_included", int(included.sum())), ("n_train", n_train),
                    ("n_cand", len(y_cand)), ("n_eval", n_eval)):
    glue(name, value)
"""),
md(r"""
## 6.2.2 Four ways to train one model

Every model is the same `Masking → LSTM`({glue:text}`units`) `→ Dense(9)` built from
`rnnsec.layers` (drop-in layers whose weights have the Keras layout that `rnnsec.mpc` reads;
the per-example gradient engine of Chapter 3.2 runs them as it runs Keras's own), trained with Adam at learning rate $3 \cdot
10^{-3}$ for {glue:text}`epochs` epochs in batches of {glue:text}`batch`:

- **baseline:** ordinary training;
- **adversarial:** `AdversarialTrainer(method="pgd")` with {glue:text}`at_steps` PGD steps at
  $\epsilon_{\text{adv}}$ = {glue:text}`eps_adv`, padding frames never perturbed;
- **DP:** `make_private` with clipping norm $C = 1$ and Poisson batches of expected size
  {glue:text}`batch`; `noise_for_epsilon` picks the smallest noise multiplier $\sigma$ for
  which the RDP accountant gives $\epsilon \le$ {glue:text}`target_eps` at
  $\delta$ = {glue:text}`delta` after all {glue:text}`steps` steps;
- **DP + adversarial:** DP-SGD whose step first replaces each example by its PGD example
  against the current weights, as in Chapter 2.3. Each adversarial example depends only on its
  own record and the current weights, so clipping still bounds every record's influence and
  the accountant's $\epsilon$ is unchanged ({prf:ref}`thm-dp-at`).

We time each run in **CPU seconds** of the process (`time.process_time`): the machine that
executes this page is shared, and CPU time is far steadier than wall-clock time.
"""),
code("""
steps = EPOCHS * max(1, round(n_train / BATCH))   # Poisson: about 1/q steps per epoch
q = BATCH / n_train
SIGMA = noise_for_epsilon(TARGET_EPSILON, q, steps, DELTA)
print(f"q = {q:.4f}, {steps} steps: sigma = {SIGMA:.4f} gives "
      f"{compute_epsilon(SIGMA, q, steps, DELTA)}")


class DPAdversarialModel(DPModel):
    \"\"\"DP-SGD whose step trains on PGD examples of the current weights (Chapter 2.3).\"\"\"

    def __init__(self, model, l2_norm_clip, noise_multiplier, *, epsilon, steps, **kwargs):
        super().__init__(model, l2_norm_clip, noise_multiplier, **kwargs)
        self.adv_epsilon, self.adv_steps = float(epsilon), int(steps)

    def pgd_inputs(self, x, y):
        \"\"\"L-inf PGD from a random start; padding frames stay zero, examples stay separate.\"\"\"
        eps, alpha = self.adv_epsilon, 2.5 * self.adv_epsilon / self.adv_steps
        real = tf.cast(tf.reduce_any(tf.not_equal(x, 0.0), axis=-1, keepdims=True), x.dtype)
        delta = tf.random.uniform(tf.shape(x), -eps, eps) * real           # [B, T, D]
        for _ in range(self.adv_steps):
            with tf.GradientTape() as tape:
                tape.watch(delta)
                logits = self.base_model(x + delta, training=False)        # [B, 9]
                loss = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
            step = alpha * tf.sign(tape.gradient(loss, delta))
            delta = tf.clip_by_value(delta + step, -eps, eps) * real
        return tf.stop_gradient(x + delta)

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return super().train_step((self.pgd_inputs(x, y), y))


def build(seed=0):
    keras.utils.set_random_seed(seed)
    return models.sequence_classifier((29, 12), vowels.num_classes, units=UNITS, masking=True,
                                      implementation="rnnsec")


def train(kind, *, adv_epsilon=EPS_ADV, sigma=SIGMA, seed=0):
    \"\"\"Train one model on (x_train, y_train); return it, its epsilon and its CPU seconds.\"\"\"
    model = build(seed)
    trainer = {
        "baseline": lambda: model,
        "adversarial": lambda: AdversarialTrainer(model, "pgd", adv_epsilon, steps=AT_STEPS,
                                                  mask_value=0.0),
        "DP": lambda: make_private(model, CLIP, sigma, seed=seed),
        "DP + adversarial": lambda: DPAdversarialModel(model, CLIP, sigma, epsilon=adv_epsilon,
                                                       steps=AT_STEPS, seed=seed),
    }[kind]()
    trainer.compile(optimizer=keras.optimizers.Adam(LR), loss=LOSS)
    private = kind.startswith("DP")
    callbacks = [EpsilonCallback(n_train, sigma, DELTA, batch_size=BATCH, verbose=False)
                 ] if private else []
    tic = time.process_time()
    trainer.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, verbose=0, callbacks=callbacks)
    cpu = time.process_time() - tic
    return model, (callbacks[0].epsilons()["epsilon"] if private else math.inf), cpu


KINDS = ("baseline", "adversarial", "DP", "DP + adversarial")
trained = {kind: train(kind) for kind in KINDS}
for kind, (_, eps, cpu) in trained.items():
    print(f"{kind:17s} {cpu:6.1f} CPU s, epsilon = {eps:.3f}")
glue("batch", BATCH)
glue("steps", steps)
glue("sigma", round(SIGMA, 3))
glue("q", round(q, 4))
"""),
md(r"""
## 6.2.3 Two attackers and an auditor against every model

Each model faces:

- the **evasion attacker**: PGD-{glue:text}`pgd_steps` at $\epsilon_{\text{adv}}$ on
  {glue:text}`n_eval` test utterances, giving the **robust accuracy**;
- the **membership attacker**: the loss threshold on {glue:text}`n_cand` candidates, giving
  the AUC and the **membership advantage** $\max_\tau (\mathrm{TPR}_\tau - \mathrm{FPR}_\tau)$
  {cite}`yeom2018privacy`;
- the **auditor**: the one-run audit of {cite}`steinke2023privacy` on the canaries.

```{prf:definition} One-run audit of the capstone
:label: def-capstone-audit
Each of $m$ canaries was included independently with probability $1/2$. Score every canary
by minus its loss under the trained model; guess "included" for the $k$ highest scores and
"excluded" for the $k$ lowest, with $k$ = {glue:text}`guesses` fixed before training. If
$v$ of the $2k$ guesses are right, the audit's bound is the largest $\epsilon$ for which
$v$ right guesses would be less likely than $\alpha = 0.05$ under $(\epsilon, \delta)$-DP
(Chapter 6.1).
```

```{prf:theorem} The audit cannot exceed the truth
:label: thm-capstone-audit
If training is $(\epsilon, \delta)$-DP, the probability that the audit reports a lower bound
above $\epsilon$ is at most $\alpha$ {cite}`steinke2023privacy`. So a bound above the
accountant's $\epsilon$ means, with 95% confidence, that the training code or the accounting
is wrong.
```
"""),
code("""
def accuracy(model, x, y):
    return float(np.mean(attacks.model_logits(model, x).argmax(axis=1) == y))


def assess(model):
    \"\"\"Clean and robust accuracy, membership attack and one-run audit of one model.\"\"\"
    robust = pgd(model, x_eval, y_eval, EPS_ADV, steps=PGD_STEPS, mask=mask_eval, seed=0,
                 progress=False).robust_accuracy
    mia = attacks.loss_threshold_attack(model, x_cand, y_cand, is_member)
    canary_loss = attacks.per_example_loss(attacks.model_logits(model, x_canary), y_canary)
    audit = one_run_audit(-canary_loss, included, K, K, delta=DELTA, alpha=0.05)
    return {"clean": accuracy(model, vowels.x_test, vowels.y_test), "robust": float(robust),
            "train": accuracy(model, vowels.x_train, vowels.y_train),
            "advantage": float(mia.result.advantage), "auc": float(mia.auc),
            "audit": float(audit.epsilon), "audit_correct": audit.n_correct}, mia


rows, rocs = {}, {}
for kind, (model, eps, cpu) in trained.items():
    rows[kind], rocs[kind] = assess(model)
    rows[kind].update(epsilon=eps, cpu=cpu, time=cpu / trained["baseline"][2])
print(f"{'model':17s}{'train':>7}{'clean':>7}{'PGD':>7}{'epsilon':>9}{'audit':>7}{'right':>7}"
      f"{'adv.':>7}{'AUC':>7}{'time':>7}")
for kind, r in rows.items():
    print(f"{kind:17s}{r['train']:7.3f}{r['clean']:7.3f}{r['robust']:7.3f}{r['epsilon']:9.3f}"
          f"{r['audit']:7.3f}{r['audit_correct']:>5}/{2 * K}{r['advantage']:7.3f}{r['auc']:7.3f}"
          f"{r['time']:6.2f}x")
short = dict(zip(KINDS, ("base", "at", "dp", "dpat")))
for kind, r in rows.items():
    for key in ("clean", "robust", "train", "advantage", "auc"):
        glue(f"{short[kind]}_{key if key != 'advantage' else 'adv'}", round(r[key], 3))
    glue(f"{short[kind]}_audit", round(r["audit"], 2))
    glue(f"{short[kind]}_correct", r["audit_correct"])
    glue(f"{short[kind]}_time", round(r["time"], 1))
    if math.isfinite(r["epsilon"]):
        glue(f"{short[kind]}_eps", round(r["epsilon"], 2))
glue("guesses", K)
glue("n_guesses", 2 * K)
# How large is the advantage of a score that carries no information? Shuffle the labels.
perm = np.random.default_rng(0)
null_adv = [membership_advantage(rocs["baseline"].scores, perm.permutation(is_member))
            for _ in range(200)]
glue("adv_null95", round(float(np.quantile(null_adv, 0.95)), 3))
print(f"advantage with shuffled membership labels, 95th percentile: "
      f"{np.quantile(null_adv, 0.95):.3f}")
"""),
check("""
base, at, dp, dpat = (rows[k] for k in KINDS)
# Adversarial training buys robustness at the stated budget, and costs no clean accuracy here.
assert at["robust"] >= base["robust"] + 0.2, (base, at)
assert at["clean"] >= base["clean"] - 0.05, (base, at)
assert base["clean"] >= 0.85, base
# DP: the callback's epsilon is the accountant's for (sigma, q, steps, delta), at the target.
accountant = compute_epsilon(SIGMA, q, steps, DELTA).epsilon
for r in (dp, dpat):
    assert abs(r["epsilon"] - accountant) <= 1e-6 * accountant, (r["epsilon"], accountant)
assert TARGET_EPSILON * 0.99 <= accountant <= TARGET_EPSILON * 1.001, accountant
assert base["epsilon"] == at["epsilon"] == math.inf
# The audit's lower bound never exceeds the accountant's upper bound (thm-capstone-audit).
for r in (dp, dpat):
    assert r["audit"] <= r["epsilon"], r
# The audit sees the non-private model's canaries; DP hides them at least as well.
assert base["audit_correct"] >= dp["audit_correct"], (base, dp)
assert base["audit"] > 0, base
# Membership: DP's advantage is not above the baseline's (up to noise of the estimate).
assert dp["advantage"] <= base["advantage"] + 0.03, (base, dp)
assert dpat["advantage"] <= base["advantage"] + 0.05, (base, dpat)
# DP costs accuracy, but the private models still identify most speakers.
assert dp["clean"] <= base["clean"] - 0.02 and dp["clean"] >= 0.6, (base, dp)
# Cost of the defences in CPU time: PGD-AT runs 1 + AT_STEPS passes per step.
assert at["time"] > 1.5 and dpat["time"] > dp["time"], rows
"""),
md(r"""
**Robustness.** PGD at $\epsilon_{\text{adv}}$ = {glue:text}`eps_adv` standard deviations
takes the baseline from {glue:text}`base_clean:.1%` clean accuracy to
{glue:text}`base_robust:.1%`; adversarial training raises the robust accuracy to
{glue:text}`at_robust:.1%` with a clean accuracy of {glue:text}`at_clean:.1%`. On this small,
clean dataset the adversarial examples act as data augmentation, so robustness costs little or
no clean accuracy, only training time ({glue:text}`at_time`x the baseline's CPU time, for
{glue:text}`at_steps` extra forward-backward passes per step).

**Privacy.** With $\sigma$ = {glue:text}`sigma` the accountant certifies
$\epsilon$ = {glue:text}`dp_eps` at $\delta$ = {glue:text}`delta` for both private models. DP
costs clean accuracy ({glue:text}`dp_clean:.1%` against {glue:text}`base_clean:.1%`) and
{glue:text}`dp_time`x the baseline's CPU time for the per-example gradients. The loss
threshold is a weak attack on every model here (AUC {glue:text}`base_auc` for the baseline,
{glue:text}`dp_auc` for DP): {glue:text}`n_real` utterances of nine speakers leave the
baseline little to memorise, and its train-test gap is small (train accuracy
{glue:text}`base_train:.1%`). The membership advantage falls from {glue:text}`base_adv` to
{glue:text}`dp_adv`, but read both against the noise: with the membership labels shuffled, so
that the score carries no information at all, the advantage still reaches
{glue:text}`adv_null95` in 5% of 200 shuffles. On this task the loss threshold barely sees the
real members of any model.

**The audit** is where memorisation shows. The baseline gets {glue:text}`base_correct` of its
{glue:text}`n_guesses` guesses about the canaries right and so *proves*
$\epsilon \ge$ {glue:text}`base_audit`: a non-private model is measurably not private. The
DP model gets {glue:text}`dp_correct` right, a lower bound of {glue:text}`dp_audit` against
the accountant's {glue:text}`dp_eps`. The bound is far below the certificate, as in
Chapter 6.1: a black-box auditor with {glue:text}`n_guesses` guesses cannot prove much
(Exercise 6.2.3), and DP guards the worst case, not this canary.

**Both.** DP + adversarial keeps the accountant's $\epsilon$ and reaches
{glue:text}`dpat_robust:.1%` robust and {glue:text}`dpat_clean:.1%` clean accuracy, at
{glue:text}`dpat_time`x the baseline's CPU time (adversarial training alone:
{glue:text}`at_time`x): the only model with both defences.
"""),
code("""
plots.audit_bounds({kind: (rows[kind]["epsilon"], {"one-run audit": rows[kind]["audit"]})
                    for kind in KINDS}, ylabel=f"epsilon (delta = {DELTA:g})",
                   title="Accountant's epsilon (upper) and the audit's lower bound");
"""),
md(r"""
## 6.2.4 Serving the final model by secure inference

The model we deploy is the one with both defences, **DP + adversarial**. A client who does
not want to reveal its voice and a model owner who does not want to reveal its weights run it
as two parties of `rnnsec.mpc` (Chapter 3.3): the client
{term}`secret-shares <Secret sharing (秘密共享)>`
{glue:text}`mpc_n` test utterances, the owner shares the weights, the sigmoid and tanh are
evaluated with the order-3 exponential and 4 squarings that Chapter 3.3 found more accurate
and cheaper than CrypTen's default, and only the client learns the logits. We compare its
predictions with the plaintext Keras model and its CPU time with the same network in NumPy
(`mpc.rnn_forward`), both on one thread.
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


final_model = trained["DP + adversarial"][0]
n_mpc = SIZES["mpc_sequences"]
x_mpc, y_mpc, len_mpc = vowels.x_test[:n_mpc], vowels.y_test[:n_mpc], vowels.lengths_test[:n_mpc]
weights = final_model.get_weights()  # [kernel, recurrent kernel, bias, dense kernel, dense bias]
keras_logits = attacks.model_logits(final_model, x_mpc)
with threadpool_limits(limits=1):
    _, plain_cpu = cpu_seconds(lambda: mpc.rnn_forward(weights, x_mpc, "lstm", len_mpc),
                               repeats=3)
    session = mpc.Session(parties=2, frac_bits=16, seed=0, keep_views=False)
    secure, secure_cpu = cpu_seconds(lambda: mpc.secure_rnn_predict(
        session, weights, x_mpc, "lstm", lengths=len_mpc,
        function_options={"exp_order": 3, "exp_iterations": 4}, plaintext_logits=keras_logits))
print(secure)
print(f"plaintext NumPy {plain_cpu * 1e3:.1f} ms, secure {secure_cpu:.2f} s of CPU time: "
      f"{secure_cpu / plain_cpu:.0f}x")
mpc_acc = float(np.mean(secure.predictions == y_mpc))
glue("mpc_n", n_mpc)
glue("mpc_agree", secure.agreement)
glue("mpc_err", secure.max_abs_error)
glue("mpc_acc", mpc_acc)
glue("mpc_plain_acc", float(np.mean(keras_logits.argmax(axis=1) == y_mpc)))
glue("mpc_rounds", secure.rounds)
glue("mpc_mb_per_seq", round(secure.bytes_per_sequence / 1e6, 2))
glue("mpc_mb", round(secure.online_bytes / 1e6, 1))
glue("mpc_offline_mb", round(secure.offline_bytes / 1e6, 1))
glue("mpc_slowdown", int(round(secure_cpu / plain_cpu)))
glue("mpc_cpu", round(secure_cpu, 2))
glue("mpc_wan", round(secure.rounds * 0.04, 1))
"""),
check("""
assert secure.agreement >= 0.95, secure.agreement
assert secure.max_abs_error < 0.05, secure.max_abs_error
assert abs(mpc_acc - np.mean(keras_logits.argmax(axis=1) == y_mpc)) <= 0.05
assert secure.rounds > 100 and secure_cpu > plain_cpu     # MPC costs rounds and time
"""),
md(r"""
The secure predictions agree with the plaintext model on {glue:text}`mpc_agree:.0%` of the
{glue:text}`mpc_n` utterances (largest logit error {glue:text}`mpc_err:.1e`, from fixed-point
rounding and the approximated sigmoid), so the secure model identifies
{glue:text}`mpc_acc:.0%` of the speakers, against {glue:text}`mpc_plain_acc:.0%` in
plaintext. The price: {glue:text}`mpc_mb_per_seq` MB exchanged per utterance online
({glue:text}`mpc_mb` MB in all, plus {glue:text}`mpc_offline_mb` MB of Beaver triples from the
dealer), {glue:text}`mpc_rounds` rounds of communication and {glue:text}`mpc_slowdown` times the
CPU time of plaintext inference. The parties run in one process here, so the rounds cost
nothing; over a wide-area link with 40 ms round trips they alone would take
{glue:text}`mpc_wan` s, whatever the batch. Secure inference protects the inputs and the
weights *during* the computation; the logits it reveals still carry everything the
membership attacker and the evasion attacker use, which is why the model inside it needs the
other two defences.

## 6.2.5 The table

@@TABLE@@

Training time is CPU time relative to the baseline on the machine that executed this page;
inference cost is secure CPU time relative to the same network in plaintext NumPy, on one
thread. The robust accuracy of the secure row is the DP + adversarial model's: secure
inference computes the same function, up to the fixed-point error above.
""".replace("@@TABLE@@", TABLE)),
code("""
panel_rows = {kind: {**{k: rows[kind][k] for k in ("clean", "robust", "advantage", "time")},
                     "audit": rows[kind]["audit"]} for kind in KINDS}
plots.defence_panels(
    panel_rows, ["clean", "robust", "advantage", "audit", "time"],
    labels={"clean": "clean test accuracy", "robust": f"PGD accuracy (eps {EPS_ADV} std)",
            "advantage": "membership advantage", "audit": "audit: epsilon lower bound",
            "time": "training CPU time (x baseline)"},
    references={"time": 1.0}, title="What each defence buys, and what it costs");
"""),
md(r"""
Read the table by column. Clean and robust accuracy are *measured* against one attack;
$\epsilon$ is *proven* for every attack; the audit's bound is *proven* too, but from below,
and only as tight as the auditor is strong; the membership advantage is *measured* for one
attack. A system description that reports one of these numbers without the others is
incomplete, and one that confuses a measured number with a proven one is wrong.

**What changes under the full profile.** With `RNNSEC_FULL=1` the same cells train
for {glue:text}`epochs_full` epochs with 64 units and batches of 64, audit with 200
canaries and 20 guesses each way, attack 370 test utterances and serve 100 by MPC. The target
$\epsilon$ stays {glue:text}`target_eps`: with four times the steps the accountant asks for
more noise per step, so DP's accuracy cost is a fair comparison across the two profiles only
at equal $\epsilon$, which is exactly what `noise_for_epsilon` holds fixed.

## Summary

- On one speaker identifier, PGD adversarial training at {glue:text}`eps_adv` standard
  deviations raised robust accuracy from {glue:text}`base_robust:.1%` to
  {glue:text}`at_robust:.1%` at {glue:text}`at_time`x the training time.
- DP-SGD with $\sigma$ = {glue:text}`sigma` met the stated $\epsilon$ =
  {glue:text}`dp_eps` ($\delta$ = {glue:text}`delta`) at a cost of
  {glue:text}`base_clean:.1%` → {glue:text}`dp_clean:.1%` clean accuracy; the membership
  advantage went from {glue:text}`base_adv` to {glue:text}`dp_adv`.
- A one-run audit proved $\epsilon \ge$ {glue:text}`base_audit` for the baseline and
  {glue:text}`dp_audit` for DP: always below the accountant's $\epsilon$, as it must be.
- Secure 2-party inference of the DP + adversarial model agreed with plaintext on
  {glue:text}`mpc_agree:.0%` of the utterances at {glue:text}`mpc_slowdown`x the CPU time,
  {glue:text}`mpc_rounds` rounds and {glue:text}`mpc_mb_per_seq` MB per utterance.
- Each defence answers one attacker; none replaces another.

## Exercises: the final assignment

Hand in the notebook with the three exercises solved and one paragraph per exercise that
defends your numbers. Each has a self-check (`check.exercise`) that tells you whether your
answer is right without giving it away.

```{exercise}
:label: ex-6-2-1
*Least noise for a tighter budget.* The product owner asks for $\epsilon = 4$ at the same
$\delta$, batch size and number of epochs. Every bit of noise beyond what the accountant needs
costs accuracy for nothing. Find the smallest noise multiplier `sigma_4` whose accountant
$\epsilon$ is at most 4 (within 2%), check it with
`check.exercise("6.2-1", sigma_4, sampling_rate=q, steps=steps, delta=DELTA, target_epsilon=4.0)`,
then train the DP model with it (`train("DP", sigma=sigma_4)`) and report its clean accuracy
next to the $\epsilon \approx 8$ model's.
```

```{solution-start} ex-6-2-1
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
sigma_4 = noise_for_epsilon(4.0, q, steps, DELTA)
model_4, eps_4, _ = train("DP", sigma=sigma_4)
print(f"sigma {sigma_4:.3f} (was {SIGMA:.3f}): epsilon {eps_4:.2f}, clean accuracy "
      f"{accuracy(model_4, vowels.x_test, vowels.y_test):.3f} "
      f"(epsilon {rows['DP']['epsilon']:.2f}: {rows['DP']['clean']:.3f})")
# END SOLUTION
check.exercise("6.2-1", sigma_4, sampling_rate=q, steps=steps, delta=DELTA, target_epsilon=4.0)
"""),
md(r"""
`noise_for_epsilon` bisects on $\sigma$ for the smallest value that meets the target, so no
hand search is needed. Halving $\epsilon$ takes noticeably more noise and, on
{glue:text}`n_train` records, usually some accuracy; the way to buy it back is more data
(DP's cost per record falls with the dataset size), not fewer steps chosen after looking at
the test accuracy, which would leak test information into the model choice.
```{solution-end}
```

```{exercise}
:label: ex-6-2-2
*Robust at a larger budget.* A stronger attacker may change each coefficient by 0.5 standard
deviations. Measure the PGD accuracy of the chapter's adversarially trained model at 0.5, then
train a model (`at_large`) that is clearly more robust at 0.5 without giving away most of its
clean accuracy, and check it with
`check.exercise("6.2-2", at_large, x=x_eval, y=y_eval, mask=mask_eval, epsilon=0.5,
reference=trained["adversarial"][0])`.
```

```{solution-start} ex-6-2-2
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
at_large, _, at_large_cpu = train("adversarial", adv_epsilon=0.5)
for label, model in (("trained at 0.25", trained["adversarial"][0]), ("trained at 0.5", at_large)):
    robust = pgd(model, x_eval, y_eval, 0.5, steps=PGD_STEPS, mask=mask_eval, seed=0,
                 progress=False).robust_accuracy
    print(f"{label}: clean {accuracy(model, vowels.x_test, vowels.y_test):.3f}, "
          f"PGD at 0.5: {robust:.3f}")
# END SOLUTION
check.exercise("6.2-2", at_large, x=x_eval, y=y_eval, mask=mask_eval, epsilon=0.5,
               reference=trained["adversarial"][0])
"""),
md(r"""
Train against the attacker you will face: PGD-AT at 0.5 is much more robust at 0.5 than the
model trained at 0.25, which it was never asked to withstand. Larger budgets cost clean
accuracy sooner or later (the balls of different speakers begin to overlap), and a robust
accuracy measured with a single PGD attack is an upper bound; a careful evaluation adds
restarts and other attacks (Chapter 5.1).
```{solution-end}
```

```{exercise}
:label: ex-6-2-3
*How tight is the audit?* (a) Compute the **ceiling** of this audit: the lower bound a perfect
auditor would prove, with all {glue:text}`n_guesses` guesses right, on the same
{glue:text}`m_canaries` canaries, $\delta$ and $\alpha = 0.05$
(`rnnsec.privacy.audit.one_run_epsilon_lower_bound`). (b) Compute the **tightness** of the DP
model's audit, its lower bound divided by the accountant's $\epsilon$. Store both in a dict
`tightness` with keys `"ceiling"` and `"tightness"` and check it with
`check.exercise("6.2-3", tightness, m=m, n_guesses=2 * K, delta=DELTA, alpha=0.05,
audit_epsilon=rows["DP"]["audit"], accountant_epsilon=rows["DP"]["epsilon"])`.
Could *any* audit with this many guesses have exposed an accountant that was wrong by a factor
of two?
```

```{solution-start} ex-6-2-3
:class: dropdown
```
"""),
code("""
from rnnsec import check
from rnnsec.privacy.audit import one_run_epsilon_lower_bound

# BEGIN SOLUTION
ceiling = one_run_epsilon_lower_bound(m, 2 * K, 2 * K, delta=DELTA, alpha=0.05)
tightness = {"ceiling": ceiling, "tightness": rows["DP"]["audit"] / rows["DP"]["epsilon"]}
print(f"perfect audit: epsilon >= {ceiling:.2f}; measured {rows['DP']['audit']:.2f} of the "
      f"accountant's {rows['DP']['epsilon']:.2f} ({tightness['tightness']:.1%})")
# END SOLUTION
check.exercise("6.2-3", tightness, m=m, n_guesses=2 * K, delta=DELTA, alpha=0.05,
               audit_epsilon=rows["DP"]["audit"], accountant_epsilon=rows["DP"]["epsilon"])
"""),
md(r"""
Even a perfect auditor proves only the ceiling, far below $\epsilon \approx 8$: with
{glue:text}`n_guesses` guesses this audit could not have caught an accountant that
under-reported $\epsilon$ by a factor of two. Tightening needs more canaries and guesses,
stronger canaries (gradient canaries, white-box access to intermediate models
{cite}`nasr2021adversary`), or many training runs {cite}`jagielski2020auditing`. An audit is a
test for bugs, not a measurement of $\epsilon$.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks" / "62_capstone.ipynb"))

"""Source of notebooks/23_robustness_and_security.ipynb (Chapter 2.3, Robustness and security)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

# The final table of Section 2.3.3, every cell glued from the computation.
TABLE = "\n".join(
    ["| model | clean acc. | PGD acc. | $\\epsilon$ ($\\delta$ = {glue:text}`delta`) "
     "| MIA AUC (loss) | TPR @ 1% FPR | MIA AUC (adv. loss) "
     "| canary exposure, 16 insertions (bits, max {glue:text}`canary_max_exposure`) |",
     "|---|---|---|---|---|---|---|---|"]
    + [f"| {name} | " + " | ".join(
        [f"{{glue:text}}`{key}_{m}`" for m in ("clean_accuracy", "robust_accuracy")]
        + ["$\\infty$" if key in ("std", "at") else f"{{glue:text}}`{key}_epsilon`"]
        + [f"{{glue:text}}`{key}_{m}`" for m in ("mia_auc", "mia_tpr_1", "adv_mia_auc")]
        + [f"{{glue:text}}`{key}_exposure16`"]) + " |"
       for name, key in (("standard", "std"), ("adversarial (PGD-AT)", "at"), ("DP", "dp"),
                         ("DP + adversarial", "dpat"))])

cells = [
md(r"""
# 2.3 Robustness and security: one model, two attackers

Chapter 2.1 attacked a recurrent model's *predictions* with small input perturbations;
Chapter 2.2 attacked its *training data* through its outputs. The defences against the two
are different (adversarial training for the first, differential privacy for the second), and
they do not simply add up. {cite}`song2019privacy` found that adversarially trained image
classifiers leak *more* about their training members than standard ones: robust training
fits each training point together with a whole ball around it, so the model's behaviour in
that ball becomes a fingerprint of membership. Differential privacy, in turn, bounds every
record's influence, which costs accuracy, and models trained with DP-SGD have been found
*less* robust to adversarial examples than standard ones {cite}`tursynbek2020robustness`.

This chapter measures both effects on one task, row-wise handwritten digits with the book's
`LSTM(64)`, for four models trained with the same budget of epochs: standard,
PGD-adversarially trained ({term}`adversarial training <Adversarial training (对抗训练)>`), DP-Adam,
and DP-Adam on PGD examples. The numbers are what *this*
run measured at this small scale; where they differ from the papers, the text says so.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- evaluate one model against an evasion attacker (PGD robust accuracy) and a membership
  attacker (loss threshold, AUC and TPR at 1% FPR) on a member/non-member split;
- run the membership attack of {cite}`song2019privacy` that scores a record by the loss of
  its *adversarial* example, and say why it targets robust models;
- combine DP-SGD with PGD adversarial training so that the accountant's $\epsilon$ still
  holds, and explain why it does;
- read a table of clean accuracy, robust accuracy, $\epsilon$ and leakage, and say which
  defence buys which guarantee at which price.
```

```{admonition} Threat model of this chapter: two attackers
:class: important
- **Evasion attacker (Chapter 2.1):** *goal*: make the deployed model misclassify a test
  sequence. *Knowledge*: white-box (weights and gradients). *Capability*: change every pixel
  of the input by at most $\epsilon_{\text{adv}} = 0.1$ ($L_\infty$, pixel values in
  $[0, 1]$), PGD with 10 steps. *Measure*: robust accuracy.
- **Membership attacker (Chapter 2.2):** *goal*: decide whether a given digit was in the
  training set. *Knowledge*: the model's output scores (loss-threshold attack); for the
  adversarial-loss attack of {cite}`song2019privacy` also the gradients needed to run PGD
  around the candidate (white-box; a query-based attack could replace them). It holds
  candidates from the same distribution, half members and half non-members.
  *Measure*: AUC and TPR at 1% FPR. A third question for the same attacker: how far does
  a record planted several times (a *canary*, Section 2.3.3) stand out? *Measure*: exposure.
- **Guarantees:** adversarial training gives *none*, only measured robustness against the
  attack tried. DP-SGD gives $(\epsilon, \delta)$-DP for every record against every
  membership attacker, adversarial-loss ones included.
- **Out of scope:** poisoning, LiRA with shadow models (Chapter 2.2), certified robustness.
```
"""),
code("""
import time

import numpy as np
import tensorflow as tf

import rnnsec
from rnnsec import data, models, plots, stats
from rnnsec.adversarial import AdversarialTrainer, pgd
from rnnsec.book import glue
from rnnsec.compat import keras
from rnnsec.privacy import attacks
from rnnsec.privacy.accounting import compute_epsilon
from rnnsec.privacy.dp import DPModel, EpsilonCallback, make_private
from rnnsec.privacy.exposure import exposure_exact

rnnsec.set_seed(0)
profile = rnnsec.config.get_profile()
# Chapter sizes: the CPU profile keeps about a third of the members so the models overfit
# (and leak) within a few seconds of training; the full profile keeps them all.
SIZES = {"cpu": dict(member_fraction=0.35, epochs=3 * profile.epochs),
         "full": dict(member_fraction=1.0, epochs=2 * profile.epochs)}[profile.name]
EPS_ADV, AT_STEPS, PGD_STEPS = 0.1, 3, 10          # L-inf budget in pixel units, PGD steps
CLIP, SIGMA, DELTA, BATCH, LR = 1.0, 1.0, 1e-5, profile.batch_size, 1e-2
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

# Half of the 1,797 digits are candidate members, the other half non-members.
digits = data.load_digits_sequences(test_fraction=0.5, fraction=SIZES["member_fraction"])
x_in, y_in, x_out, y_out = digits.x_train, digits.y_train, digits.x_test, digits.y_test
x_cand, y_cand, is_member = attacks.membership_candidates(x_in, y_in, x_out, y_out,
                                                          n=len(x_in), seed=0)
x_eval, y_eval = x_out[:profile.attack_examples], y_out[:profile.attack_examples]
# Canaries for a classifier (Section 2.3.3): images of uniform random pixels, each with a
# random label, planted 0, 4 or 16 times (four each); references: random images never planted.
CANARY_REPS, PER_GROUP, N_REFERENCES = (0, 4, 16), 4, 2047
canary_rng = np.random.default_rng(1)
x_canary = canary_rng.random((PER_GROUP * len(CANARY_REPS), 8, 8)).astype("float32")  # [12, 8, 8]
y_canary = canary_rng.integers(0, 10, size=len(x_canary))                    # [12]
canary_reps = np.repeat(CANARY_REPS, PER_GROUP)                                # [12]
x_reference = canary_rng.random((N_REFERENCES, 8, 8)).astype("float32")      # [2047, 8, 8]
x_train = np.concatenate([x_in, np.repeat(x_canary, canary_reps, axis=0)])   # members + copies
y_train = np.concatenate([y_in, np.repeat(y_canary, canary_reps)])
print(profile, SIZES, digits, sep="\\n")
print(f"{len(x_in)} members, {len(x_out)} held-out digits; the membership attacker gets "
      f"{is_member.sum()} members and {(~is_member).sum()} non-members; training adds "
      f"{len(x_train) - len(x_in)} canary copies ({len(x_train)} records)")
glue("n_members", len(x_in))
glue("n_train", len(x_train))
glue("n_canary_copies", len(x_train) - len(x_in))
glue("n_references", N_REFERENCES)
glue("per_group", PER_GROUP)
glue("n_candidates", len(x_cand))
glue("epochs", SIZES["epochs"])
glue("eps_adv", EPS_ADV)
glue("at_steps", AT_STEPS)
glue("sigma", SIGMA)
glue("delta", DELTA)
"""),
md(r"""
## 2.3.1 Four ways to train the same model

All four models are the book's `LSTM(64)+Dense(10)` built from `rnnsec.layers` (the
per-example gradient engine of Chapter 3.2 needs them), trained with Adam at learning rate
$10^{-2}$ for {glue:text}`epochs` epochs on the {glue:text}`n_members` members plus
{glue:text}`n_canary_copies` copies of planted canaries ({glue:text}`n_train` records in all;
Section 2.3.3 explains the canaries, which leave the members and the membership candidates
unchanged).

- **standard:** ordinary training.
- **adversarial (PGD-AT):** `AdversarialTrainer(method="pgd")`, the min-max training of
  {cite}`madry2018towards` with {glue:text}`at_steps` PGD steps at
  $\epsilon_{\text{adv}}$ = {glue:text}`eps_adv`.
- **DP:** `make_private` with clipping norm $C = 1$ and noise multiplier
  $\sigma$ = {glue:text}`sigma`, Poisson batches, $\epsilon$ from the RDP accountant at
  $\delta$ = {glue:text}`delta`.
- **DP + adversarial:** the two do not compose as wrappers (`AdversarialTrainer` and
  `DPModel` each own the training step), so we subclass `DPModel`: its step first runs PGD
  against the *current* weights, then hands the adversarial batch to the private step.

```{prf:theorem} PGD inside DP-SGD keeps the accountant's guarantee
:label: thm-dp-at
If each training input is replaced by $x_i' = A(x_i, y_i, w_t)$, a function of that example
and of the current weights only, before per-example clipping, then every DP-SGD step is still
the Gaussian mechanism with sensitivity $C$, and the accountant's $(\epsilon, \delta)$ holds
for the whole run.
```

```{prf:proof}
The clipped sum is $S(B) = \sum_{i \in B} \mathrm{clip}_C\big(\nabla_w \ell(w_t; x_i', y_i)\big)$.
Adding or removing example $j$ adds or removes one term, which depends on $(x_j, y_j)$ and
$w_t$ only, and has norm at most $C$ after clipping. $w_t$ is the output of the earlier noisy
steps, which the adversary may see anyway (adaptive composition). So each step has the same
sensitivity and noise as in {prf:ref}`thm-clip-sensitivity`, and the sampling is unchanged.
```

A perturbation that mixed examples (a universal perturbation computed from the whole batch,
or batch normalisation in the attack) would break the argument: then one record would move
every other record's term.
"""),
code("""
class DPAdversarialModel(DPModel):
    \"\"\"DP-SGD whose step trains on PGD examples computed against the current weights.\"\"\"

    def __init__(self, model, l2_norm_clip, noise_multiplier, *, epsilon, steps, **kwargs):
        super().__init__(model, l2_norm_clip, noise_multiplier, **kwargs)
        self.adv_epsilon, self.adv_steps = float(epsilon), int(steps)

    def pgd_inputs(self, x, y):
        \"\"\"L-inf PGD with a random start; each example's perturbation uses only itself.\"\"\"
        eps, alpha = self.adv_epsilon, 2.5 * self.adv_epsilon / self.adv_steps
        x_adv = tf.clip_by_value(x + tf.random.uniform(tf.shape(x), -eps, eps), 0.0, 1.0)
        for _ in range(self.adv_steps):
            with tf.GradientTape() as tape:
                tape.watch(x_adv)
                logits = self.base_model(x_adv, training=False)  # [B, 10]
                loss = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
            step = alpha * tf.sign(tape.gradient(loss, x_adv))  # [B, 8, 8]
            x_adv = tf.clip_by_value(tf.clip_by_value(x_adv + step, x - eps, x + eps), 0.0, 1.0)
        return tf.stop_gradient(x_adv)

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        return super().train_step((self.pgd_inputs(x, y), y))


def build(seed=0):
    keras.utils.set_random_seed(seed)
    return models.sequence_classifier((8, 8), 10, units=profile.units, implementation="rnnsec")


def train(kind, seed=0):
    \"\"\"Train one of the four models; return it, its epsilon and its training time.\"\"\"
    model = build(seed)
    trainer = {"standard": lambda: model,
               "adversarial": lambda: AdversarialTrainer(model, "pgd", EPS_ADV, steps=AT_STEPS,
                                                         clip_min=0.0, clip_max=1.0),
               "DP": lambda: make_private(model, CLIP, SIGMA, seed=seed),
               "DP + adversarial": lambda: DPAdversarialModel(model, CLIP, SIGMA, epsilon=EPS_ADV,
                                                              steps=AT_STEPS, seed=seed)}[kind]()
    trainer.compile(optimizer=keras.optimizers.Adam(LR), loss=LOSS)
    private = kind.startswith("DP")
    callbacks = [EpsilonCallback(len(x_train), SIGMA, DELTA, batch_size=BATCH, verbose=False)
                 ] if private else []
    start = time.perf_counter()
    trainer.fit(x_train, y_train, batch_size=BATCH, epochs=SIZES["epochs"], verbose=0,
                callbacks=callbacks)
    seconds = time.perf_counter() - start
    eps = callbacks[0].history[-1]["epsilon"] if private else float("inf")
    return model, eps, seconds


KINDS = ("standard", "adversarial", "DP", "DP + adversarial")
trained = {kind: train(kind) for kind in KINDS}
for kind, (_, eps, seconds) in trained.items():
    print(f"{kind:17s} trained in {seconds:5.1f} s, epsilon = {eps:.2f}")
"""),
md(r"""
## 2.3.2 Both attackers against all four models

For each model we measure the evasion attacker (PGD-{glue:text}`pgd_steps` at
$\epsilon_{\text{adv}}$ on {glue:text}`n_eval` held-out digits) and two membership attackers
on the {glue:text}`n_candidates` candidates:

- the **loss threshold** of Chapter 2.2: score $-\ell(f(x), y)$;
- the **adversarial loss** of {cite}`song2019privacy`: score $-\ell(f(x'), y)$ with $x'$ the
  PGD example around the candidate. A robust model was trained to keep the loss low in the
  whole $\epsilon_{\text{adv}}$-ball around its members, not around other digits, so this
  score asks exactly the question robust training answered for the members only.
"""),
code("""
def canary_exposures(model):
    \"\"\"Exposure (bits) of each canary's planted label among the never-planted references.\"\"\"
    canary_loss = attacks.per_example_loss(attacks.model_logits(model, x_canary), y_canary)  # [12]
    ref_logits = attacks.model_logits(model, x_reference)                      # [R, 10]
    return np.array([exposure_exact(loss, attacks.per_example_loss(ref_logits,
                                                                   np.full(N_REFERENCES, label)))
                     for loss, label in zip(canary_loss, y_canary)])         # [12]


def assess(model):
    \"\"\"Clean and robust accuracy, both membership attacks and canary exposure of a model.\"\"\"
    clean = float(np.mean(attacks.model_logits(model, x_out).argmax(1) == y_out))
    train_acc = float(np.mean(attacks.model_logits(model, x_in).argmax(1) == y_in))
    robust = pgd(model, x_eval, y_eval, EPS_ADV, steps=PGD_STEPS, clip_min=0.0, clip_max=1.0,
                 seed=0, progress=False).robust_accuracy
    losses = attacks.per_example_loss(attacks.model_logits(model, x_cand), y_cand)
    mia = attacks.loss_threshold_attack_from_losses(losses, is_member)
    around = pgd(model, x_cand, y_cand, EPS_ADV, steps=PGD_STEPS, clip_min=0.0, clip_max=1.0,
                 seed=0, progress=False).x_adv  # the PGD example around every candidate
    adv_losses = attacks.per_example_loss(attacks.model_logits(model, around), y_cand)
    mia_adv = attacks.loss_threshold_attack_from_losses(adv_losses, is_member,
                                                        name="adversarial loss")
    exposure = canary_exposures(model)
    return {"train_accuracy": train_acc, "clean_accuracy": clean, "robust_accuracy": robust,
            "mia_auc": mia.auc, "mia_tpr_1": mia.tpr_at(0.01),
            "adv_mia_auc": mia_adv.auc, "adv_mia_tpr_1": mia_adv.tpr_at(0.01),
            **{f"exposure{k}": float(exposure[canary_reps == k].mean()) for k in CANARY_REPS}
            }, (mia, mia_adv), {"loss": -losses, "adv": -adv_losses, "exposure": exposure}


rows, rocs, scores = {}, {}, {}
for kind, (model, eps, seconds) in trained.items():
    metrics, rocs[kind], scores[kind] = assess(model)
    rows[kind] = {**metrics, "epsilon": eps, "train_seconds": seconds}

header = ("| model | train acc. | clean acc. | PGD acc. | epsilon | MIA AUC | TPR@1% | "
          "adv. MIA AUC | adv. TPR@1% | exposure 0x/4x/16x | train s |")
print(header)
print("|---" * 11 + "|")
for kind, r in rows.items():
    exposures = "/".join(f"{r[f'exposure{k}']:.1f}" for k in CANARY_REPS)
    print(f"| {kind} | {r['train_accuracy']:.3f} | {r['clean_accuracy']:.3f} | "
          f"{r['robust_accuracy']:.3f} | {r['epsilon']:.2f} | {r['mia_auc']:.3f} | "
          f"{r['mia_tpr_1']:.3f} | {r['adv_mia_auc']:.3f} | {r['adv_mia_tpr_1']:.3f} | "
          f"{exposures} | {r['train_seconds']:.1f} |")

short = {"standard": "std", "adversarial": "at", "DP": "dp", "DP + adversarial": "dpat"}
for kind, r in rows.items():
    for key in ("train_accuracy", "clean_accuracy", "robust_accuracy", "mia_auc", "mia_tpr_1",
                "adv_mia_auc", "adv_mia_tpr_1"):
        glue(f"{short[kind]}_{key}", round(r[key], 3))
    for k in CANARY_REPS:
        glue(f"{short[kind]}_exposure{k}", round(r[f"exposure{k}"], 1))
    glue(f"{short[kind]}_seconds", round(r["train_seconds"], 1))
glue("dp_epsilon", round(rows["DP"]["epsilon"], 2))
glue("dpat_epsilon", round(rows["DP + adversarial"]["epsilon"], 2))
glue("canary_max_exposure", round(float(np.log2(N_REFERENCES + 1)), 1))
glue("pgd_steps", PGD_STEPS)
glue("n_eval", len(x_eval))
"""),
md(r"""
Every comparison the text below makes is a difference between two numbers measured on a
few hundred examples, so each comes with its 95% interval (`rnnsec.stats`): Newcombe's
interval for two accuracies (conservative here: both models see the same examples),
DeLong's paired interval for two AUCs on the same candidates, and Welch's interval for the
mean exposure of two groups of {glue:text}`per_group` canaries. A difference whose interval
contains 0 is noise at this sample size, and the text says so instead of reading a direction
into it.
"""),
code("""
def accuracy_gap(a, b, key):
    \"\"\"Interval of rows[a][key] - rows[b][key] (Newcombe, 95%).\"\"\"
    n = len(x_eval) if key == "robust_accuracy" else len(x_out)
    return stats.proportion_difference_interval(rows[a][key], rows[b][key], n_a=n, n_b=n)


def auc_gap(a, score_a, b, score_b):
    \"\"\"Paired DeLong interval of AUC(scores[a][score_a]) - AUC(scores[b][score_b]).\"\"\"
    return stats.auc_difference_interval(scores[a][score_a], scores[b][score_b], is_member)


def exposure_gap(a, b, reps=16):
    \"\"\"Welch interval of the mean exposure of the reps-times canaries, model a - model b.\"\"\"
    pick = canary_reps == reps
    return stats.mean_difference_interval(scores[a]["exposure"][pick],
                                          scores[b]["exposure"][pick])


claims = {
    "PGD accuracy: adversarial - standard": accuracy_gap("adversarial", "standard",
                                                         "robust_accuracy"),
    "clean accuracy: adversarial - standard": accuracy_gap("adversarial", "standard",
                                                           "clean_accuracy"),
    "clean accuracy: standard - DP": accuracy_gap("standard", "DP", "clean_accuracy"),
    "clean accuracy: adversarial - DP + adv.": accuracy_gap("adversarial", "DP + adversarial",
                                                            "clean_accuracy"),
    "PGD accuracy: adversarial - DP + adv.": accuracy_gap("adversarial", "DP + adversarial",
                                                          "robust_accuracy"),
    "loss AUC: adversarial - standard": auc_gap("adversarial", "loss", "standard", "loss"),
    "adv.-loss AUC: adversarial - standard": auc_gap("adversarial", "adv", "standard", "adv"),
    "adv.-loss minus loss AUC, adversarial": auc_gap("adversarial", "adv", "adversarial", "loss"),
    "adv.-loss minus loss AUC, standard": auc_gap("standard", "adv", "standard", "loss"),
    "exposure 16x: standard - DP": exposure_gap("standard", "DP"),
    "exposure 16x: adversarial - DP + adv.": exposure_gap("adversarial", "DP + adversarial"),
    **{f"exposure 16x - 0x, {kind}": stats.mean_difference_interval(
        scores[kind]["exposure"][canary_reps == 16], scores[kind]["exposure"][canary_reps == 0])
       for kind in ("standard", "adversarial", "DP")},
}
for name, iv in claims.items():
    verdict = "excludes 0" if iv.excludes(0.0) else "contains 0: noise"
    print(f"{name:42s} {iv.estimate:+.3f}  [{iv.low:+.3f}, {iv.high:+.3f}]  {verdict}")


def interval_text(iv, digits=3):
    \"\"\"'+0.021 (95% interval -0.010 to +0.052)' for the prose.\"\"\"
    return (f"{iv.estimate:+.{digits}f} (95% interval {iv.low:+.{digits}f} to "
            f"{iv.high:+.{digits}f})")


song = claims["adv.-loss AUC: adversarial - standard"]
glue("song_gap", interval_text(song))
glue("song_verdict", "the robust model is the more exposed one, as Song et al. found" if
     song.above(0.0) else "the difference is inside the noise of "
     f"{len(x_cand)} candidates, so at this scale we do not reproduce their finding")
glue("loss_auc_gap", interval_text(claims["loss AUC: adversarial - standard"]))
glue("at_gain_interval", interval_text(claims["adv.-loss minus loss AUC, adversarial"]))
glue("std_gain_interval", interval_text(claims["adv.-loss minus loss AUC, standard"]))
dp_lower, dp_rise = claims["exposure 16x: standard - DP"], claims["exposure 16x - 0x, DP"]
glue("dp_exposure_gap", interval_text(dp_lower, 1))
glue("dp_exposure_rise", interval_text(dp_rise, 1))
glue("dp_exposure_verdict", {
    (True, True): "both intervals exclude 0: DP lowers the exposure, but not to the "
                  "never-inserted level",
    (True, False): "DP lowers the exposure clearly; whether it stays above the "
                   "never-inserted level is inside the noise",
    (False, True): "the canaries still stand out under DP; whether DP lowered their exposure "
                   "is inside the noise",
    (False, False): "neither difference is outside the noise of four canaries per group, so "
                    "we draw no conclusion about DP from them"}[dp_lower.above(0.0),
                                                               dp_rise.above(0.0)])
"""),
check("""
std, at, dp, dpat = (rows[k] for k in KINDS)
# each claim of the text holds with its 95% interval, not only in its point estimate:
# adversarial training buys robustness at no clean-accuracy cost on these digits
assert claims["PGD accuracy: adversarial - standard"].above(0.2), claims
assert claims["clean accuracy: adversarial - standard"].above(-0.02), claims
# DP costs clean accuracy, and DP + adversarial keeps little of what adversarial training bought
assert claims["clean accuracy: standard - DP"].above(0.1), claims
assert claims["clean accuracy: adversarial - DP + adv."].above(0.1), claims
assert claims["PGD accuracy: adversarial - DP + adv."].above(0.2), claims
# the same accountant inputs give the same, finite epsilon ({prf:ref}`thm-dp-at`)
assert np.isfinite(dp["epsilon"]) and abs(dp["epsilon"] - dpat["epsilon"]) < 1e-9
assert std["epsilon"] == at["epsilon"] == float("inf")
# every attack is a weak one here: each AUC's interval stays far from perfect separation
for kind in KINDS:
    for score in ("loss", "adv"):
        auc = stats.auc_interval(scores[kind][score], is_member)
        assert 0.4 < auc.low and auc.high < 0.8, (kind, score, auc)
# canaries: never-inserted ones rank like random images (max exposure 11 bits); both
# non-private models memorise the 16-times ones. What DP does to them is reported with its
# interval and a verdict (four canaries per group), not asserted.
assert all(r["exposure0"] < 4.0 for r in rows.values()), rows
assert claims["exposure 16x - 0x, standard"].above(3.0), claims
assert claims["exposure 16x - 0x, adversarial"].above(3.0), claims
"""),
code("""
at_gain = rows["adversarial"]["adv_mia_auc"] - rows["adversarial"]["mia_auc"]
std_gain = rows["standard"]["adv_mia_auc"] - rows["standard"]["mia_auc"]
glue("at_gain", f"{at_gain:+.3f}")
glue("std_gain", f"{std_gain:+.3f}")
clean_mia_direction = ("higher" if rows["adversarial"]["mia_auc"] > rows["standard"]["mia_auc"]
                       else "lower")
glue("clean_mia_direction", clean_mia_direction)
# Standard error of an AUC between two independent groups of n (Hanley & McNeil's bound).
n_half = int(is_member.sum())
auc_se = float(np.sqrt(0.25 / n_half + 0.25 / n_half) / np.sqrt(3))
glue("auc_se", round(auc_se, 3))
print(f"adversarial-loss minus loss AUC: standard {std_gain:+.3f}, adversarial {at_gain:+.3f}; "
      f"the loss AUC of the robust model is {clean_mia_direction}; "
      f"AUC standard error near 0.5: about {auc_se:.3f}")
"""),
md(r"""
**Robustness.** Adversarial training lifts PGD accuracy from
{glue:text}`std_robust_accuracy:.1%` to {glue:text}`at_robust_accuracy:.1%` and, on these
small, clean digits, does not cost clean accuracy ({glue:text}`std_clean_accuracy:.1%`
standard, {glue:text}`at_clean_accuracy:.1%` adversarial): the perturbation acts as data
augmentation for a model that would otherwise memorise {glue:text}`n_members` examples.

**Membership, the loss threshold.** With the plain loss the robust model's AUC is
{glue:text}`clean_mia_direction` than the standard model's ({glue:text}`at_mia_auc` against
{glue:text}`std_mia_auc`), but the difference, {glue:text}`loss_auc_gap`, is noise: one AUC
near 0.5 on {glue:text}`n_candidates` candidates has a standard error of about
{glue:text}`auc_se`. {cite}`song2019privacy` report robust models more exposed to attacks on
benign inputs as well, for image models with a large gap between robust accuracy on training
and on test data. At our scale robust training regularised the model at least as much as it
made it memorise (its clean train-test gap is smaller than the standard model's, Exercise
2.3.3), and we do not reproduce that part.

**Membership, the adversarial loss.** Scoring each candidate by the loss of its PGD example
changes the robust model's AUC by {glue:text}`at_gain_interval` (to
{glue:text}`at_adv_mia_auc`) and the standard model's by {glue:text}`std_gain_interval` (to
{glue:text}`std_adv_mia_auc`). The mechanism {cite}`song2019privacy` describe predicts this
direction: the robust model keeps the loss low in the ball around each *member* (it was
trained to) and less so around non-members, while the standard model is non-robust around
both, so PGD raises the loss of members and non-members alike and the score loses signal.
Compared directly, the robust model's adversarial-loss AUC minus the standard model's is
{glue:text}`song_gap`: {glue:text}`song_verdict`. Song et al. measured the effect on models
with a far larger robust generalisation gap than our {glue:text}`n_members` members produce;
Exercise 2.3.3 measures that gap here.

**DP.** Both private models reach $\epsilon$ = {glue:text}`dp_epsilon` at
$\delta$ = {glue:text}`delta`: the PGD inside the step does not change the accountant's
inputs ({prf:ref}`thm-dp-at`). They pay for it in accuracy ({glue:text}`dp_clean_accuracy:.1%`
clean for DP) and DP removes most of what adversarial training bought: the DP + adversarial
model keeps only {glue:text}`dpat_robust_accuracy:.1%` PGD accuracy (against
{glue:text}`dp_robust_accuracy:.1%` for DP alone and {glue:text}`at_robust_accuracy:.1%`
without DP). Robust training needs more capacity and more signal than standard training, and
clipping plus noise take both away {cite}`tursynbek2020robustness`. An $\epsilon$ this large
is a weak formal guarantee; it is the one this budget of epochs allows at $\sigma = 1$.
The figure puts the four models on the robustness-leakage plane.
"""),
code("""
plots.tradeoff_scatter(
    rows, "robust_accuracy", ["clean_accuracy", "mia_auc", "adv_mia_auc"],
    labels={"robust_accuracy": f"PGD accuracy (L-inf, eps {EPS_ADV})",
            "clean_accuracy": "clean test accuracy",
            "mia_auc": "membership AUC, loss threshold",
            "adv_mia_auc": "membership AUC, adversarial loss"},
    references={"mia_auc": 0.5, "adv_mia_auc": 0.5},
    title="Robustness, accuracy and membership leakage on row-wise digits");
"""),
code("""
plots.roc_curves({f"{kind}, adversarial loss": rocs[kind][1] for kind in KINDS},
                 title="Adversarial-loss membership attack (log-log)");
"""),
md(r"""
At 1% FPR every attack here is close to guessing (the loss threshold finds
{glue:text}`std_mia_tpr_1:.1%` of the standard model's members and
{glue:text}`at_mia_tpr_1:.1%` of the robust model's; the adversarial loss
{glue:text}`std_adv_mia_tpr_1:.1%` and {glue:text}`at_adv_mia_tpr_1:.1%`). With
{glue:text}`n_candidates` candidates, 1% FPR is a handful of non-members, so these TPRs are
noisy; the per-record LiRA of Chapter 2.2 is what an attacker would run to do better at low
FPR.

## 2.3.3 Canaries in a classifier, and the final table

Chapter 2.2 measured memorisation with canaries: random secrets planted in a language model's
training text ({term}`Canary (金丝雀)`), ranked by the model's log-perplexity among all secrets of
the same format
{cite}`carlini2019secret`. A digit classifier completes no text, but the same idea carries
over once we say what the "format" is. Ours is *an image of uniform random pixels with a given
label*: such an image is far from every digit, and nothing but memorisation can make a model
prefer its planted label over the label's prior. We drew {glue:text}`per_group` canaries for
each of 0, 4 and 16 insertions (each with its own random label) and added the copies to the
training set of all four models, before training.

```{prf:definition} Exposure of a classifier canary
:label: def-classifier-exposure
Let $(x_c, y_c)$ be a canary and $r_1, \dots, r_N$ random images from the same distribution
that were never in the training data. With the loss $\ell(f(x), y)$ in the role of the
log-perplexity, the canary's rank is its position when $\ell(f(x_c), y_c)$ is sorted among
$\ell(f(r_1), y_c), \dots, \ell(f(r_N), y_c)$ (rank 1 = lowest loss), and its exposure is
$\log_2 (N + 1) - \log_2 \mathrm{rank}$, as in {prf:ref}`def-exposure` with the candidate set
$\{x_c, r_1, \dots, r_N\}$.
```

Comparing with the *same* label $y_c$ removes the model's general preference for some label on
noise images, so a never-planted canary has a uniformly random rank, with an expected exposure
near $1/\ln 2 \approx 1.44$ bits (Exercise 2.2.1). We use $N$ = {glue:text}`n_references`
references, so the exposure is computed exactly with `rnnsec.privacy.exposure.exposure_exact`
and is at most {glue:text}`canary_max_exposure` bits. The last column of the table is the mean
over the {glue:text}`per_group` canaries inserted 16 times.

@@TABLE@@

Both non-private models memorise the canaries: those inserted 16 times reach
{glue:text}`std_exposure16` bits (standard) and {glue:text}`at_exposure16` bits (adversarial),
against {glue:text}`std_exposure0` and {glue:text}`at_exposure0` bits for the never-inserted
ones; 4 insertions already give {glue:text}`std_exposure4` and {glue:text}`at_exposure4`.
Adversarial training does not protect them: it fits each planted image together with a ball
around it. The private models' 16-times canaries average {glue:text}`dp_exposure16` (DP) and
{glue:text}`dpat_exposure16` bits (DP + adversarial), against {glue:text}`dp_exposure0` and
{glue:text}`dpat_exposure0` for the never-inserted ones. Four canaries per group make these
means noisy: standard minus DP is {glue:text}`dp_exposure_gap` bits and, under DP, 16 times
minus never inserted is {glue:text}`dp_exposure_rise`, so {glue:text}`dp_exposure_verdict`.
The guarantee itself promises little here: $(\epsilon, \delta)$-DP for one record gives a
group of 16 copies only about $16\epsilon$, vacuous at $\epsilon$ = {glue:text}`dp_epsilon`.
Chapter 6.1 repeats the experiment on a language model at smaller $\epsilon$.
Training took {glue:text}`std_seconds` s (standard), {glue:text}`at_seconds` s (adversarial),
{glue:text}`dp_seconds` s (DP) and {glue:text}`dpat_seconds` s (DP + adversarial) on the
machine that executed this page.

## Summary

- Robustness and privacy are different properties with different defences; one does not
  give the other. Adversarial training gave PGD accuracy {glue:text}`at_robust_accuracy:.1%`
  (standard: {glue:text}`std_robust_accuracy:.1%`) and no privacy guarantee.
- The adversarial-loss membership attack of {cite}`song2019privacy` changes the AUC by
  {glue:text}`at_gain` against the robust model (to {glue:text}`at_adv_mia_auc`) and by
  {glue:text}`std_gain` against the standard one (to {glue:text}`std_adv_mia_auc`); robust
  minus standard, {glue:text}`song_gap`: {glue:text}`song_verdict`. A claim about leakage
  needs its interval: at a few hundred candidates, AUC differences of a few points are noise.
- PGD inside DP-SGD keeps the accountant's $\epsilon$ ({glue:text}`dpat_epsilon` here), but
  DP took most of the robustness: {glue:text}`dpat_robust_accuracy:.1%` PGD accuracy.
- Random-image canaries inserted 16 times reach an exposure of {glue:text}`std_exposure16`
  bits in the standard model and {glue:text}`at_exposure16` in the robust one (at most
  {glue:text}`canary_max_exposure`); under DP they average {glue:text}`dp_exposure16`, and
  {glue:text}`dp_exposure_verdict`.

## Exercises

```{exercise}
:label: ex-2-3-1
*Same epsilon, whatever the attack.* Compute with `compute_epsilon` the $\epsilon$ of the
DP run from its noise multiplier, sampling rate and number of steps (all
{glue:text}`n_train` training records count, canary copies included), store it in
`recomputed` and check it with
`check.exercise("2.3-1", recomputed, logged_epsilon=rows["DP"]["epsilon"], sigma=SIGMA,
n_train=len(x_train), n_members=len(x_in), batch_size=BATCH, epochs=SIZES["epochs"],
delta=DELTA)`; is it the one the callback logged for *both* private models? Which argument
of {prf:ref}`thm-dp-at` would fail if `pgd_inputs` used the batch's mean gradient sign for
every example?
```

```{solution-start} ex-2-3-1
:class: dropdown
```
""".replace("@@TABLE@@", TABLE)),
code("""
from rnnsec import check

# BEGIN SOLUTION
steps = SIZES["epochs"] * round(len(x_train) / BATCH)
recomputed = compute_epsilon(SIGMA, BATCH / len(x_train), steps, DELTA).epsilon
print(f"{steps} steps at q = {BATCH / len(x_train):.3f}: epsilon {recomputed:.3f}; logged: "
      f"DP {rows['DP']['epsilon']:.3f}, DP + adversarial {rows['DP + adversarial']['epsilon']:.3f}")
# END SOLUTION
check.exercise("2.3-1", recomputed, logged_epsilon=rows["DP"]["epsilon"], sigma=SIGMA,
               n_train=len(x_train), n_members=len(x_in), batch_size=BATCH,
               epochs=SIZES["epochs"], delta=DELTA)
"""),
check("""
assert abs(recomputed - rows["DP + adversarial"]["epsilon"]) < 1e-6 * recomputed
"""),
md(r"""
The accountant sees only $\sigma$, $q$ and the number of steps, and the PGD step changes
none of them. With a batch-wide perturbation, example $j$'s gradient would enter every other
example's adversarial input, so removing $j$ would change many terms of the clipped sum and
the sensitivity would no longer be $C$.
```{solution-end}
```

```{exercise}
:label: ex-2-3-2
*How large a ball?* Repeat the adversarial-loss attack on the robust and the standard model
with balls of radius 0.05 and 0.2 (the robust model was trained at 0.1). Store the AUCs in a
dict `radius_auc` from `(radius, kind)` (kind `"standard"` or `"adversarial"`) to the AUC and
run `check.exercise("2.3-2", radius_auc, models={k: trained[k][0] for k in ("standard",
"adversarial")}, x=x_cand, y=y_cand, is_member=is_member, pgd_steps=PGD_STEPS)`. Where is the
gain over the plain loss largest?
```

```{solution-start} ex-2-3-2
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
radius_auc = {}
for radius in (0.05, 0.2):
    for kind in ("standard", "adversarial"):
        model = trained[kind][0]
        around = pgd(model, x_cand, y_cand, radius, steps=PGD_STEPS, clip_min=0.0, clip_max=1.0,
                     seed=0, progress=False).x_adv
        losses = attacks.per_example_loss(attacks.model_logits(model, around), y_cand)
        auc = attacks.loss_threshold_attack_from_losses(losses, is_member).auc
        radius_auc[radius, kind] = auc
        print(f"radius {radius:4.2f}, {kind:11s}: AUC {auc:.3f} "
              f"(plain loss {rows[kind]['mia_auc']:.3f})")
# END SOLUTION
check.exercise("2.3-2", radius_auc, models={k: trained[k][0] for k in ("standard", "adversarial")},
               x=x_cand, y=y_cand, is_member=is_member, pgd_steps=PGD_STEPS)
"""),
check("""
def adversarial_loss_scores(kind, radius):
    \"\"\"-loss of the PGD example around every candidate (recomputed, not the reader's).\"\"\"
    model = trained[kind][0]
    around = pgd(model, x_cand, y_cand, radius, steps=PGD_STEPS, clip_min=0.0, clip_max=1.0,
                 seed=0, progress=False).x_adv
    return -attacks.per_example_loss(attacks.model_logits(model, around), y_cand)


# radius 0.2 minus the plain loss, paired intervals; the text reports them with a verdict
wide_std = stats.auc_difference_interval(adversarial_loss_scores("standard", 0.2),
                                         scores["standard"]["loss"], is_member)
wide_at = stats.auc_difference_interval(adversarial_loss_scores("adversarial", 0.2),
                                        scores["adversarial"]["loss"], is_member)
glue("wide_std_gap", interval_text(wide_std))
glue("wide_std_verdict", "its interval lies below 0" if wide_std.below(0.0) else
     "its interval contains 0, so on these candidates that drop is noise")
glue("wide_at_gap", interval_text(wide_at))
# for the robust model the gain over the plain loss is gone at 0.2 (it was clear at 0.1)
assert claims["adv.-loss minus loss AUC, adversarial"].above(0.0), claims
assert not wide_at.above(0.0), wide_at
"""),
md(r"""
For the standard model the small ball changes the AUC little; the large one changes it by
{glue:text}`wide_std_gap` against the plain loss, and {glue:text}`wide_std_verdict`: PGD
pushes members and non-members alike to a high loss. For the robust model the ball helps
near the radius it was trained at ({glue:text}`eps_adv`, where the gain's interval lies above
0); at 0.2 PGD breaks members too and the gain is gone ({glue:text}`wide_at_gap`).
```{solution-end}
```

```{exercise}
:label: ex-2-3-3
*Generalisation gaps.* {cite}`song2019privacy` tie the leakage of robust models to the gap
between robust accuracy on members and on non-members. Measure, for the standard and the
robust model, PGD accuracy on {glue:text}`n_eval` members and {glue:text}`n_eval`
non-members, and compare the two gaps with the clean gaps (train minus test accuracy). Store
them in a dict `gaps` from kind (`"standard"`, `"adversarial"`) to the pair (robust gap, clean
gap), members minus non-members, and run the check call that ends the solution cell,
`check.exercise("2.3-3", gaps, ...)`, which hands the checker the two models and the data.
```

```{solution-start} ex-2-3-3
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
n, gaps = len(x_eval), {}
for kind in ("standard", "adversarial"):
    model = trained[kind][0]
    on = {name: pgd(model, xs[:n], ys[:n], EPS_ADV, steps=PGD_STEPS, clip_min=0.0, clip_max=1.0,
                    seed=0, progress=False).robust_accuracy
          for name, xs, ys in (("members", x_in, y_in), ("non-members", x_out, y_out))}
    r = rows[kind]
    print(f"{kind:11s}: robust gap {on['members'] - on['non-members']:+.3f} "
          f"({on['members']:.3f} vs {on['non-members']:.3f}); clean gap "
          f"{r['train_accuracy'] - r['clean_accuracy']:+.3f}")
    gaps[kind] = (on["members"] - on["non-members"], r["train_accuracy"] - r["clean_accuracy"])
# END SOLUTION
n_eval = len(x_eval)
check.exercise("2.3-3", gaps, models={k: trained[k][0] for k in ("standard", "adversarial")},
               x_members=x_in[:n_eval], y_members=y_in[:n_eval], x_nonmembers=x_out[:n_eval],
               y_nonmembers=y_out[:n_eval], epsilon=EPS_ADV, pgd_steps=PGD_STEPS,
               clean_gaps={k: rows[k]["train_accuracy"] - rows[k]["clean_accuracy"]
                           for k in ("standard", "adversarial")})
"""),
check("""
def robust_gap(kind):
    \"\"\"Interval of PGD accuracy on members minus non-members (Newcombe; recomputed).\"\"\"
    acc = [pgd(trained[kind][0], xs[:n_eval], ys[:n_eval], EPS_ADV, steps=PGD_STEPS,
               clip_min=0.0, clip_max=1.0, seed=0, progress=False).robust_accuracy
           for xs, ys in ((x_in, y_in), (x_out, y_out))]
    return stats.proportion_difference_interval(acc[0], acc[1], n_a=n_eval, n_b=n_eval)


def clean_gap(kind):
    \"\"\"Interval of train minus test accuracy (Newcombe).\"\"\"
    r = rows[kind]
    return stats.proportion_difference_interval(r["train_accuracy"], r["clean_accuracy"],
                                                n_a=len(x_in), n_b=len(x_out))


# the robust model's robust gap exceeds the standard model's (independent intervals combined)
robust_more = stats.difference_interval(robust_gap("adversarial"), robust_gap("standard"))
assert robust_more.above(0.0), robust_more
# and its clean gap is smaller
clean_less = stats.difference_interval(clean_gap("standard"), clean_gap("adversarial"))
assert clean_less.above(0.0), clean_less
"""),
md(r"""
The standard model is not robust on members either, so its robust gap is small; the robust
model's robust gap is what the adversarial-loss attack reads. Its clean gap is smaller than
the standard model's here, which is why the plain loss threshold did not find it more
exposed.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks" /
                    "23_robustness_and_security.ipynb"))

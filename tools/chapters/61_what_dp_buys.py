"""Source of notebooks/61_what_dp_buys.ipynb (Chapter 6.1, what differential privacy buys)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

# The exposure-against-epsilon table of Section 6.1.3, every cell glued from the computation.
LM_TABLE = "\n".join(
    ["| run | $\\sigma$ | $\\epsilon$ | exposure, 0x | 4x | 16x | 64x | beam search best "
     "| held-out loss (nats/char) |",
     "|---|---|---|---|---|---|---|---|---|"]
    + [f"| {name} | {sigma} | {eps} | " + " | ".join(
        f"{{glue:text}}`{key}_{field}`"
        for field in ("exp0", "exp4", "exp16", "exp64", "best", "loss")) + " |"
       for name, key, sigma, eps in
       [("no DP", "lmnodp", "0", "$\\infty$")]
       + [("DP-SGD", f"lmdp{i}", f"{{glue:text}}`lmdp{i}_sigma`", f"{{glue:text}}`lmdp{i}_eps`")
          for i in range(3)]])

cells = [
md(r"""
# 6.1 What differential privacy buys: attacks and audits

Chapters 3.2 and 4.2 trained recurrent networks with DP-SGD and let an accountant certify an
$\epsilon$. A certificate is a promise about the worst case; this chapter measures what it
changes in practice. We train the same small LSTM three times (without privacy, at
$\epsilon \approx 8$ and at $\epsilon \approx 2$) and attack each model; we repeat the canary
experiment of Chapter 2.2 on a character language model trained without DP and with DP at
three values of $\epsilon$; and then
we turn the attack around into an **{term}`audit <Privacy audit (隐私审计)>`**: an experiment whose
outcome proves, with stated
confidence, that $\epsilon$ is *at least* some number
{cite}`jagielski2020auditing,steinke2023privacy`. The accountant's $\epsilon$ is an upper
bound, the audit's is a lower bound, and the gap between them is the subject of the last
section.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- measure membership advantage, AUC and the true positive rate at 1% false positives of a
  model before and after DP training, and read the privacy-utility cost beside them;
- measure how DP-SGD changes the exposure of canaries inserted into a language model's
  training text, and whether beam search still extracts them;
- run a one-run privacy audit (Steinke, Nasr, Jagielski 2023) with random canaries and state
  what its lower bound means;
- explain why audits of DP-SGD with a black-box attacker give lower bounds far below the
  accountant's $\epsilon$, and what a lower bound *above* it would mean.
```

```{admonition} Threat model of this chapter
:class: important
- **Attacker's goal:** tell whether a given record (a digit, or a planted canary) was in the
  training set (membership inference), or recover a secret number planted in a language
  model's training text (extraction); the auditor plays the first attacker on purpose.
- **Attacker's knowledge:** black-box: the trained model's logits on any input, the candidate
  records and their labels (for extraction: the text before the secret and its format); not
  the weights, gradients or intermediate models.
- **Attacker's capability:** query the final model; the auditor may also *insert* canaries
  into the training data, each with probability 1/2, before training.
- **Out of scope here:** white-box or gradient-level canaries, adversarially chosen datasets
  and intermediate-model access {cite}`nasr2021adversary` (they tighten audits, see
  Section 6.1.5); attacks on the accountant's assumptions such as non-Poisson batching
  (Chapter 3.2).
```
"""),
code("""
import math
import re

import numpy as np

import rnnsec
from rnnsec import data, models, plots
from rnnsec.book import glue
from rnnsec.compat import keras
from rnnsec.privacy import attacks, extraction
from rnnsec.privacy.accounting import compute_epsilon, noise_for_epsilon
from rnnsec.privacy.audit import one_run_audit, one_run_epsilon_lower_bound, sample_inclusion
from rnnsec.privacy.dp import EpsilonCallback, make_private

rnnsec.set_seed(0)
profile = rnnsec.config.get_profile()
# Chapter sizes: the CPU profile runs in about two minutes, the full one on a GPU.
SIZES = {"cpu": dict(members=500, canaries=200, units=32, epochs=30, guesses=20,
                    lm_chars=80_000, lm_units=128, lm_epochs=6),
         "full": dict(members=700, canaries=1000, units=64, epochs=60, guesses=100,
                      lm_chars=400_000, lm_units=256, lm_epochs=20)}[profile.name]
print(profile)
print(SIZES)
"""),
md(r"""
## 6.1.1 One training set, two questions

The task is the article's: digits read row by row by an LSTM (Chapter 1), here with
{glue:text}`n_members` training digits so that the non-private model has something to
memorise. Two kinds of record go into training:

- **members**, real digits; another {glue:text}`n_members` digits are held out as
  **non-members**. A membership attack has to tell the two groups apart.
- **audit canaries**: {glue:text}`m_canaries` images of uniform random pixels, each with a
  random label. Each canary is included by its own fair coin flip
  ({prf:ref}`def-one-run-audit`), so roughly half are trained on. A random image with a
  random label is the most "memorable" record one can make: nothing else in the data predicts
  its label, so the only way for a model to get it right is to remember it.
"""),
code("""
digits = data.load_digits_sequences()
n_mem, m = SIZES["members"], SIZES["canaries"]
x_members, y_members = digits.x_train[:n_mem], digits.y_train[:n_mem]
x_out, y_out = digits.x_train[n_mem:2 * n_mem], digits.y_train[n_mem:2 * n_mem]
rng = np.random.default_rng(0)
x_canary = rng.random((m, 8, 8)).astype("float32")  # [m, 8, 8] uniform pixels in [0, 1)
y_canary = rng.integers(0, 10, size=m)                # [m] random labels
included = sample_inclusion(m, seed=1)                # [m] fair coin flips
x_train = np.concatenate([x_members, x_canary[included]])
y_train = np.concatenate([y_members, y_canary[included]])
n_train = len(x_train)
print(f"training set: {n_mem} digits + {included.sum()} of {m} canaries = {n_train} records")
glue("n_members", n_mem)
glue("m_canaries", m)
glue("n_included", int(included.sum()))
glue("n_train", n_train)
"""),
md(r"""
All three models share one recipe: LSTM({glue:text}`units`) + Dense(10), Adam, batch size
{glue:text}`batch`, {glue:text}`epochs` epochs. The private runs use `make_private` with
clipping norm $C = 1$ and Poisson batches (Chapter 3.2); `noise_for_epsilon` picks the noise
multiplier $\sigma$ that meets the target $\epsilon$ at $\delta$ = {glue:text}`delta` after
all steps, and `EpsilonCallback` reports the $\epsilon$ actually spent (RDP accountant,
improved conversion, Chapter 4.2).
"""),
code("""
BATCH, LR, DELTA, CLIP = 32, 3e-3, 1e-4, 1.0
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
steps = SIZES["epochs"] * max(1, round(n_train / BATCH))  # Poisson: round(1/q) steps per epoch


def train(target_epsilon=None, seed=0):
    \"\"\"Train LSTM+Dense on x_train; return model, epsilon, sigma (inf and 0 without DP).\"\"\"
    keras.utils.set_random_seed(seed)
    model = models.sequence_classifier((8, 8), 10, units=SIZES["units"], implementation="rnnsec")
    if target_epsilon is None:
        model.compile(optimizer=keras.optimizers.Adam(LR), loss=LOSS)
        model.fit(x_train, y_train, batch_size=BATCH, epochs=SIZES["epochs"], verbose=0)
        return model, math.inf, 0.0
    sigma = noise_for_epsilon(target_epsilon, BATCH / n_train, steps, DELTA)
    dp_model = make_private(model, CLIP, sigma, seed=seed)
    dp_model.compile(optimizer=keras.optimizers.Adam(LR), loss=LOSS)
    accountant = EpsilonCallback(n_train, sigma, DELTA, batch_size=BATCH, verbose=False)
    dp_model.fit(x_train, y_train, batch_size=BATCH, epochs=SIZES["epochs"], verbose=0,
                 callbacks=[accountant])
    return model, accountant.epsilons()["epsilon"], sigma


def accuracy(model, x, y):
    return float(np.mean(attacks.model_logits(model, x).argmax(axis=1) == y))


x_mi, y_mi, is_member = attacks.membership_candidates(x_members, y_members, x_out, y_out)
runs = {}
for label, target in (("no DP", None), ("eps ~ 8", 8.0), ("eps ~ 2", 2.0)):
    model, eps, sigma = train(target)
    canary_loss = attacks.per_example_loss(attacks.model_logits(model, x_canary), y_canary)
    runs[label] = dict(eps=eps, sigma=sigma, test_acc=accuracy(model, digits.x_test, digits.y_test),
                       train_acc=accuracy(model, x_members, y_members),
                       mia=attacks.loss_threshold_attack(model, x_mi, y_mi, is_member),
                       canary_loss=canary_loss, model=model)
print(f"{'run':<9}{'sigma':>7}{'epsilon':>9}{'train acc':>11}{'test acc':>10}{'AUC':>7}"
      f"{'advantage':>11}{'TPR@1%FPR':>11}")
for label, r in runs.items():
    print(f"{label:<9}{r['sigma']:>7.3f}{r['eps']:>9.2f}{r['train_acc']:>11.3f}{r['test_acc']:>10.3f}"
          f"{r['mia'].auc:>7.3f}{r['mia'].result.advantage:>11.3f}{r['mia'].tpr_at(0.01):>11.3f}")
for key, label in (("nodp", "no DP"), ("eps8", "eps ~ 8"), ("eps2", "eps ~ 2")):
    r = runs[label]
    if math.isfinite(r["eps"]):
        glue(f"{key}_eps", round(r["eps"], 2))
        glue(f"{key}_sigma", round(r["sigma"], 3))
    glue(f"{key}_acc", round(r["test_acc"], 3))
    glue(f"{key}_train_acc", round(r["train_acc"], 3))
    glue(f"{key}_auc", round(r["mia"].auc, 3))
    glue(f"{key}_adv", round(r["mia"].result.advantage, 3))
    glue(f"{key}_tpr1", round(r["mia"].tpr_at(0.01), 3))
glue("units", SIZES["units"])
glue("batch", BATCH)
glue("epochs", SIZES["epochs"])
glue("delta", DELTA)
glue("steps", steps)
"""),
check("""
nodp, e8, e2 = runs["no DP"], runs["eps ~ 8"], runs["eps ~ 2"]
assert e8["eps"] <= 8.0 * 1.001 and e2["eps"] <= 2.0 * 1.001, (e8["eps"], e2["eps"])
assert e8["eps"] >= 7.0 and e2["eps"] >= 1.7, (e8["eps"], e2["eps"])  # budgets are spent
assert nodp["test_acc"] >= 0.7, nodp["test_acc"]
assert nodp["train_acc"] - nodp["test_acc"] >= 0.1, nodp             # the model overfits
assert nodp["mia"].auc >= 0.56, nodp["mia"].auc                      # and it leaks
assert e2["mia"].auc < nodp["mia"].auc - 0.03, (e2["mia"].auc, nodp["mia"].auc)
assert e2["mia"].result.advantage < nodp["mia"].result.advantage, runs
assert nodp["test_acc"] - e2["test_acc"] >= 0.1, (nodp["test_acc"], e2["test_acc"])  # the cost
assert e2["test_acc"] >= 0.2, e2["test_acc"]                          # but far above chance
"""),
md(r"""
## 6.1.2 What the privacy bought, and what it cost

Without privacy the model classifies {glue:text}`nodp_train_acc:.1%` of its training digits
and {glue:text}`nodp_acc:.1%` of the test digits correctly. The loss-threshold attack
{cite}`yeom2018privacy` (Chapter 2.2) separates members from non-members with AUC
{glue:text}`nodp_auc`, membership advantage {glue:text}`nodp_adv` and a true positive rate of
{glue:text}`nodp_tpr1:.1%` at 1% false positives. With DP-SGD the same attack falls to AUC
{glue:text}`eps8_auc` (advantage {glue:text}`eps8_adv`) at $\epsilon$ = {glue:text}`eps8_eps`
and AUC {glue:text}`eps2_auc` (advantage {glue:text}`eps2_adv`) at $\epsilon$ =
{glue:text}`eps2_eps`. The price is accuracy: {glue:text}`eps8_acc:.1%` and
{glue:text}`eps2_acc:.1%` on the test digits. On {glue:text}`n_train` records the noise
needed for a small $\epsilon$ is large compared with the signal of each batch; more data makes
the same $\epsilon$ cheaper (Exercise 3.2.3).

As {cite}`carlini2022membership` argue, the left end of the log-log ROC curve, where the
attacker is confident, is what matters; the AUC averages over thresholds no careful attacker
would use.
"""),
code("""
plots.roc_curves({f"{label} (test acc {r['test_acc']:.2f})": r["mia"] for label, r in runs.items()},
                 title="Loss-threshold membership attack on the digits LSTM");
"""),
code("""
private = ("eps ~ 8", "eps ~ 2")
plots.privacy_utility({"DP-SGD, C = 1": ([runs[k]["eps"] for k in private],
                                         [runs[k]["test_acc"] for k in private])},
                      labels={"DP-SGD, C = 1": [f"AUC {runs[k]['mia'].auc:.2f}"
                                                for k in ("eps ~ 8", "eps ~ 2")]},
                      baseline=runs["no DP"]["test_acc"],
                      baseline_label=f"no DP (AUC {runs['no DP']['mia'].auc:.2f})", chance=0.1,
                      title="Privacy-utility cost on the digits LSTM");
"""),
md(r"""
## 6.1.3 Canaries in a language model, with and without DP

Chapter 2.2 planted phone numbers in a Shakespeare slice and watched a character LSTM
memorise them: the more often a secret was inserted, the higher its
**{term}`exposure <Exposure (暴露度)>`**
({prf:ref}`def-exposure`), until beam search read it back from the prefix alone
{cite}`carlini2019secret`. Carlini et al. also trained the same model with DP-SGD and found
the exposure of the inserted canaries pushed down to that of canaries the model never saw.
We repeat the experiment at a smaller scale: {glue:text}`lm_chars:,d` characters of
Shakespeare, secrets of five digits after `"my phone number is "` ($10^5$ candidates, so the
exposure is computed exactly and is at most {glue:text}`lm_max_exposure` bits), two canaries
never inserted (the reference) and two each inserted 4, 16 and 64 times. The text is cut into
{glue:text}`lm_windows:,d` windows of 100 characters; for DP-SGD each window is one example.
All models are the same LSTM({glue:text}`lm_units`) language model trained for
{glue:text}`lm_epochs` epochs with batches of {glue:text}`batch`; the private ones clip each
window's gradient to $C = 1$ and add noise with $\sigma$ = {glue:text}`lm_sigma_list`, which
the accountant turns into $\epsilon$ = {glue:text}`lm_eps_list` at $\delta$ =
{glue:text}`lm_delta` after the same {glue:text}`lm_steps` steps.
"""),
code("""
LM_SIGMAS, LM_LR, LM_DELTA, FORMAT = (0.5, 1.0, 2.0), 1e-2, 1e-5, "#####"
LM_SIGMA = 1.0  # the run the prose follows in detail
text = data.load_shakespeare(SIZES["lm_chars"] + 10_000)
lm_text, held_out = text[:SIZES["lm_chars"]], text[SIZES["lm_chars"]:]  # train | held-out text
repetitions = [0, 4, 16, 64]
lm_canaries = data.make_canaries(2 * len(repetitions), prefix="my phone number is ",
                                 secret_format=FORMAT, seed=0)
inserted = np.array([r for r in repetitions for _ in range(2)])  # [8] insertions per canary
corpus, _ = data.insert_canaries(lm_text, lm_canaries, inserted.tolist(), seed=0)
vocab = data.CharVocab.fit(corpus, held_out, "0123456789")
x_lm, y_lm = data.char_windows(vocab.encode(corpus), seq_len=100)      # [W, 100] each
x_held, y_held = data.char_windows(vocab.encode(held_out), seq_len=100)
n_windows = len(x_lm)
lm_steps = SIZES["lm_epochs"] * max(1, round(n_windows / BATCH))  # Poisson: round(1/q) per epoch
lm_privacy = {sigma: compute_epsilon(sigma, BATCH / n_windows, lm_steps, LM_DELTA)
              for sigma in LM_SIGMAS}
print(f"{len(corpus):,} characters, {n_windows} windows")
for sigma, report in lm_privacy.items():
    print(f"DP-SGD with sigma {sigma}: {report}")


def train_lm(sigma=None):
    \"\"\"Character LSTM on the windows, non-private (sigma None) or DP-SGD with C = 1, sigma.\"\"\"
    keras.utils.set_random_seed(0)
    lm = models.char_language_model(vocab.size, units=SIZES["lm_units"], implementation="rnnsec")
    trainer = lm if sigma is None else make_private(lm, CLIP, sigma, seed=0)
    trainer.compile(optimizer=keras.optimizers.Adam(LM_LR), loss=LOSS)
    trainer.fit(x_lm, y_lm, batch_size=BATCH, epochs=SIZES["lm_epochs"], verbose=0)
    return lm


top64 = {c.secret for c, r in zip(lm_canaries, inserted) if r == 64}
lm_label = {sigma: f"DP-SGD, eps = {lm_privacy[sigma].epsilon:.1f}" for sigma in LM_SIGMAS}
lms = {}
for label, sigma in [("no DP", None)] + [(lm_label[s], s) for s in LM_SIGMAS]:
    lm = train_lm(sigma)
    exposure = np.array([e.exposure for e in extraction.canary_exposures(lm, vocab, lm_canaries)])
    found = extraction.beam_search_extract(lm, vocab, "my phone number is ", FORMAT,
                                           beam_width=16)
    loss = float(LOSS(y_held, lm.predict(x_held, verbose=0)).numpy())  # nats per character
    lms[label] = dict(exposure=exposure, found=found, loss=loss, sigma=sigma, model=lm,
                      eps=math.inf if sigma is None else lm_privacy[sigma].epsilon,
                      mean={r: float(exposure[inserted == r].mean()) for r in repetitions})
    print(f"{label}: held-out loss {loss:.3f} nats/char (perplexity {math.exp(loss):.1f}); "
          f"mean exposure {lms[label]['mean']}; beam search best {found.best} "
          f"(inserted 64x: {found.best in top64})")
"""),
code("""
unigram = np.bincount(vocab.encode(corpus), minlength=vocab.size) + 1.0  # add-one counts [V]
unigram_loss = float(-np.mean(np.log(unigram / unigram.sum())[y_held]))  # context-free model
print(f"a model that ignores the context: {unigram_loss:.3f} nats/char")
nodp_lm, dp_lm = lms["no DP"], lms[lm_label[LM_SIGMA]]
dp_lms = [lms[lm_label[s]] for s in LM_SIGMAS]  # epsilon from large to small
max_exposure_lm = math.log2(10 ** FORMAT.count("#"))
n_params = int(sum(np.prod(w.shape) for w in nodp_lm["model"].trainable_weights))
noise_ratio = {s: s * math.sqrt(n_params) / BATCH for s in LM_SIGMAS}  # sigma C sqrt(P)/B / C
print(f"{n_params:,} parameters; noise norm / largest clipped-mean norm: "
      + ", ".join(f"sigma {s}: {v:.1f}" for s, v in noise_ratio.items()))
print(f"{'run':<22}{'sigma':>6}{'epsilon':>9}" + "".join(f"{f'{r}x':>7}" for r in repetitions)
      + f"{'beam best':>11}{'64x?':>6}{'loss':>7}")
for label, r in lms.items():
    print(f"{label:<22}{r['sigma'] or 0:>6}{r['eps']:>9.2f}"
          + "".join(f"{r['mean'][k]:>7.1f}" for k in repetitions)
          + f"{r['found'].best:>11}{str(r['found'].best in top64):>6}{r['loss']:>7.3f}")
for i, r in enumerate(dp_lms):
    glue(f"lmdp{i}_eps", round(r["eps"], 2))
    glue(f"lmdp{i}_sigma", r["sigma"])
    glue(f"lmdp{i}_best", r["found"].best)
    glue(f"lmdp{i}_loss", round(r["loss"], 2))
    glue(f"lmdp{i}_noise_ratio", round(noise_ratio[r["sigma"]], 1))
    for reps in repetitions:
        glue(f"lmdp{i}_exp{reps}", round(r["mean"][reps], 1))
glue("lm_params", n_params)
glue("lmdp_spread64", round(max(r["mean"][64] for r in dp_lms)
                            - min(r["mean"][64] for r in dp_lms), 1))
glue("lm_sigma_list", ", ".join(f"{s:g}" for s in LM_SIGMAS))
glue("lm_eps_list", ", ".join(f"{lm_privacy[s].epsilon:.2f}" for s in LM_SIGMAS))
for key, r in (("lmnodp", nodp_lm), ("lmdp", dp_lm)):
    for reps in repetitions:
        glue(f"{key}_exp{reps}", round(r["mean"][reps], 1))
    glue(f"{key}_loss", round(r["loss"], 2))
    glue(f"{key}_ppl", round(math.exp(r["loss"]), 1))
    glue(f"{key}_best", r["found"].best)
    ranks64 = [k for k in (r["found"].rank_of(s) for s in top64) if k is not None]
    glue(f"{key}_rank64", min(ranks64) if ranks64 else "none")
windows64 = {p // 100 for c in lm_canaries if c.secret in top64              # windows that hold
             for p in (m.start() for m in re.finditer(re.escape(c.text), corpus))}  # a 64x copy
print(f"windows holding a copy of a 64x canary: {len(windows64)} of {n_windows}")
glue("lm_windows64", len(windows64))
glue("lm_chars", SIZES["lm_chars"])
glue("lm_units", SIZES["lm_units"])
glue("lm_epochs", SIZES["lm_epochs"])
glue("lm_windows", n_windows)
glue("lm_sigma", LM_SIGMA)
glue("lm_eps", round(lm_privacy[LM_SIGMA].epsilon, 2))
glue("lm_delta", LM_DELTA)
glue("lm_steps", lm_steps)
glue("lm_max_exposure", round(max_exposure_lm, 1))
glue("unigram_loss", round(unigram_loss, 2))
plots.exposure_vs_insertions({label: (inserted, r["exposure"]) for label, r in lms.items()},
                             max_exposure=max_exposure_lm,
                             title="Canary exposure of a character LSTM against epsilon");
"""),
check("""
assert all(math.isfinite(r["loss"]) for r in lms.values())
assert 1.0 < lm_privacy[LM_SIGMA].epsilon < 8.0, lm_privacy          # a meaningful guarantee
eps_order = [lm_privacy[s].epsilon for s in LM_SIGMAS]
assert eps_order[0] > 10 and eps_order[-1] < 2 and eps_order == sorted(eps_order, reverse=True)
# Without DP the model memorises: 64x canaries far above the never-inserted ones.
assert nodp_lm["mean"][64] > nodp_lm["mean"][0] + 8, nodp_lm["mean"]
assert nodp_lm["mean"][16] > nodp_lm["mean"][0] + 5, nodp_lm["mean"]
assert nodp_lm["found"].best in top64, nodp_lm["found"]              # and gives them away
# With DP the 64x canaries fall far below the non-private exposure, near the reference.
# At every epsilon measured, including the largest.
for r in dp_lms:
    assert r["mean"][64] < nodp_lm["mean"][64] - 8, (r["mean"], nodp_lm["mean"])
    assert r["mean"][64] < nodp_lm["mean"][0] + 5, (r["mean"], nodp_lm["mean"])
    assert r["found"].best not in top64, r["found"]
    assert r["loss"] > nodp_lm["loss"] + 0.5, (r["loss"], nodp_lm["loss"])   # the cost
    assert r["loss"] > unigram_loss - 0.4, (r["loss"], unigram_loss)         # ~ frequencies
assert abs(dp_lm["loss"] - unigram_loss) < 0.3, (dp_lm["loss"], unigram_loss)
# No trend with epsilon at this scale: the private runs' 64x exposures lie within a few bits.
dp64 = [r["mean"][64] for r in dp_lms]
assert max(dp64) - min(dp64) < 5, dp64
assert all(v > 3 for v in noise_ratio.values()), noise_ratio   # noise swamps every batch
assert nodp_lm["loss"] < unigram_loss - 0.8, (nodp_lm["loss"], unigram_loss)
"""),
md(r"""
Mean exposure (bits, at most {glue:text}`lm_max_exposure`) of the two canaries in each group,
by number of insertions, and what beam search returns first:

@@LMTABLE@@

Without privacy the exposure climbs with the insertions as in Chapter 2.2: a mean of
{glue:text}`lmnodp_exp0` bits for the never-inserted canaries, {glue:text}`lmnodp_exp4`
after 4 insertions, {glue:text}`lmnodp_exp16` after 16 and {glue:text}`lmnodp_exp64` after
64, close to the maximum of {glue:text}`lm_max_exposure` bits; beam search from
`"my phone number is "` returns {glue:text}`lmnodp_best`, a secret inserted 64 times. With
DP-SGD at $\epsilon$ = {glue:text}`lm_eps` ($\delta$ = {glue:text}`lm_delta`,
{glue:text}`lm_steps` steps) the same canaries have mean exposures of
{glue:text}`lmdp_exp0`, {glue:text}`lmdp_exp4`, {glue:text}`lmdp_exp16` and
{glue:text}`lmdp_exp64` bits: the 64-times canaries stay within a few bits of the
never-inserted ones (two random ranks scatter by about a bit and a half around 1.44 bits,
Exercise 2.2.1), and beam search returns
{glue:text}`lmdp_best`, which is not a planted secret (position of the first 64-times secret
among its 16 candidates: {glue:text}`lmdp_rank64`).

The guarantee itself is about one window. The two canaries inserted 64 times sit in
{glue:text}`lm_windows64` of the {glue:text}`lm_windows:,d` windows, and group privacy only
bounds a group of $k$ examples by roughly $k\epsilon$, a vacuous number here; what keeps the
canary hidden is that each of its windows has its gradient clipped and drowned in noise of the
same size, so repetition accumulates far more slowly than without DP. {cite}`carlini2019secret`
observed the same: DP training drove the exposure of inserted canaries toward that of canaries
never inserted.

**Exposure against $\epsilon$.** Across the three private runs there is *no* trend: at
$\epsilon$ = {glue:text}`lmdp0_eps`, {glue:text}`lmdp1_eps` and {glue:text}`lmdp2_eps` the
64-times canaries have mean exposures of {glue:text}`lmdp0_exp64`, {glue:text}`lmdp1_exp64`
and {glue:text}`lmdp2_exp64` bits, all within a few bits of each other and of the
never-inserted ones, and beam search returns no planted secret at any of them. The private
runs differ by at most {glue:text}`lmdp_spread64` bits at 64 insertions; a mean of two
random ranks alone scatters by about a bit (Exercise 2.2.1), so read no ordering by
$\epsilon$ into the table. A hidden cell asserts only what holds on every run and both
software stacks:
each private model stays far below the non-private one, and the private runs stay within a
few bits of each other. The reason is visible in the noise. The clipped mean gradient of a
batch has norm at most $C$, while the Gaussian noise added to it has norm about
$\sigma C \sqrt{P} / B$ for $P$ = {glue:text}`lm_params:,d` parameters and
$B$ = {glue:text}`batch`: {glue:text}`lmdp0_noise_ratio`, {glue:text}`lmdp1_noise_ratio`
and {glue:text}`lmdp2_noise_ratio` times the largest possible signal. Even at the largest
$\epsilon$ every step is mostly noise, so none of the private models learns much beyond the
character frequencies (held-out losses {glue:text}`lmdp0_loss`, {glue:text}`lmdp1_loss` and
{glue:text}`lmdp2_loss` nats per character), and what a model does not learn it cannot
memorise. A trend with $\epsilon$ can only appear once the private model learns the text,
which needs batches far larger than {glue:text}`batch` windows (the ratio falls as $1/B$) and
correspondingly more data.

The cost is the language model. On {glue:text}`lm_chars:,d` characters the clipped, noisy
gradients teach it little in {glue:text}`lm_epochs` epochs: its held-out loss is
{glue:text}`lmdp_loss` nats per character (perplexity {glue:text}`lmdp_ppl`), against
{glue:text}`lmnodp_loss` (perplexity {glue:text}`lmnodp_ppl`) without DP and
{glue:text}`unigram_loss` for a model that ignores the context and predicts every character by
its frequency. At this scale the private model has learned little beyond the character
frequencies, so the experiment shows the far end of the privacy-utility trade-off: the
canaries are safe, and so is most of Shakespeare. As with the digits, more data makes the
same $\epsilon$ cheaper.
""".replace("@@LMTABLE@@", LM_TABLE)),
md(r"""
## 6.1.4 Auditing in one training run

An attack's success says something about $\epsilon$. If training is $(\epsilon, \delta)$-DP,
*no* test for whether one record was included can have a true positive rate above
$e^{\epsilon}$ times its false positive rate plus $\delta$. Jagielski, Ullman and Oprea
{cite}`jagielski2020auditing` turn this into a lower bound: train many models with and without
a chosen record, bound the attack's TPR from below and FPR from above with Clopper-Pearson
intervals, and conclude $\epsilon \ge \ln((\mathrm{TPR}_{lo} - \delta)/\mathrm{FPR}_{hi})$.
It needs hundreds of training runs. Steinke, Nasr and Jagielski {cite}`steinke2023privacy`
need one.

```{prf:definition} One-run audit
:label: def-one-run-audit
Draw $m$ canaries and flip an independent fair coin $S_i \in \{0, 1\}$ for each; train once
on the data plus the canaries with $S_i = 1$. Score every canary with an attack (here: minus
its loss), guess "included" for the $k_+$ highest scores and "excluded" for the $k_-$ lowest,
and abstain on the rest. Let $v$ of the $r = k_+ + k_-$ guesses be right.
```

```{prf:theorem} One-run audit bound (Steinke, Nasr, Jagielski 2023)
:label: thm-one-run
If training is $\epsilon$-DP, the number of right guesses is stochastically dominated by
$\mathrm{Binomial}(r, e^{\epsilon}/(1 + e^{\epsilon}))$, the accuracy of randomised response;
with $\delta > 0$ a correction of order $m\delta$ is added to the tail. So if
$P[\mathrm{Binomial}(r, e^{\epsilon}/(1+e^{\epsilon})) \ge v]$ (plus the correction) is below
$\alpha$, the claim "$(\epsilon, \delta)$-DP" is refuted at confidence $1 - \alpha$; the
largest refuted $\epsilon$ is the audit's lower bound.
```

`rnnsec.privacy.audit.one_run_audit` implements this. The guess counts are fixed *before*
looking at the outcome ({glue:text}`guesses` each way), otherwise the confidence level is void.
Below are the canary losses of the three models, included canaries against excluded ones.
"""),
code("""
K = SIZES["guesses"]
audits = {label: one_run_audit(-r["canary_loss"], included, K, K, delta=DELTA, alpha=0.05)
          for label, r in runs.items()}
for label, a in audits.items():
    print(f"{label:<8} accountant epsilon {runs[label]['eps']:>6.2f}   {a}")
for key, label in (("nodp", "no DP"), ("eps8", "eps ~ 8"), ("eps2", "eps ~ 2")):
    glue(f"{key}_audit", round(audits[label].epsilon, 2))
    glue(f"{key}_correct", audits[label].n_correct)
glue("guesses", K)
glue("n_guesses", 2 * K)
"""),
check("""
for label, a in audits.items():
    # A lower bound above the accountant's epsilon means a bug in training or accounting.
    assert a.epsilon <= runs[label]["eps"], (label, a, runs[label]["eps"])
assert audits["no DP"].epsilon >= 0.5, audits["no DP"]            # the audit does detect leakage
assert audits["no DP"].n_correct >= audits["eps ~ 2"].n_correct + 5, audits
assert audits["eps ~ 2"].epsilon <= audits["no DP"].epsilon, audits
"""),
code("""
fig = plots.mechanism_histograms(
    {f"{label}: {kind} canaries": -np.log10(np.clip(r["canary_loss"][mask], 1e-12, None))
     for label, r in runs.items() if label in ("no DP", "eps ~ 2")
     for kind, mask in (("included", included), ("excluded", ~included))},
    bins=40, xlabel="-log10(canary loss in nats): higher = better remembered",
    title="Canary losses: included vs excluded");
"""),
md(r"""
The non-private model gets {glue:text}`nodp_correct` of its {glue:text}`n_guesses` guesses
right, which proves $\epsilon \ge$ {glue:text}`nodp_audit` at 95% confidence for
$\delta$ = {glue:text}`delta`: a non-private model is, measurably, not private. At
$\epsilon$ = {glue:text}`eps8_eps` the audit gets {glue:text}`eps8_correct` right and proves
$\epsilon \ge$ {glue:text}`eps8_audit`; at $\epsilon$ = {glue:text}`eps2_eps`,
{glue:text}`eps2_correct` right and $\epsilon \ge$ {glue:text}`eps2_audit`. Every lower bound
stays below the accountant's $\epsilon$, as it must (a hidden cell asserts it).
"""),
code("""
plots.audit_bounds({label: (runs[label]["eps"], {"one-run audit": audits[label].epsilon})
                    for label in runs},
                   ylabel=f"epsilon (delta = {DELTA:g})");
"""),
md(r"""
## 6.1.5 Why audits of DP-SGD are loose

The gap in the figure is not a failure of the accountant; three things open it.

1. **The audit's own ceiling.** Even an auditor whose every guess is right can only prove so
   much with $r$ guesses: $v = r$ refutes $\epsilon$ only while
   $(e^\epsilon/(1+e^\epsilon))^r < \alpha$. The cell below computes that ceiling for our
   {glue:text}`n_guesses` guesses and for larger audits. The many-run audit of Jagielski et al.
   has the same kind of ceiling: 500 + 500 perfectly separated training runs prove at most
   4.54 at $\alpha = 0.01$ (their Table 1).
2. **A weak attacker.** The accountant covers an attacker who sees *every* noisy gradient and
   whose canary has the largest possible gradient in every step; our auditor sees only the
   final model and plants natural-looking canaries whose gradients are often clipped below
   $C$ and drowned among the other records'. {cite}`nasr2021adversary` show that white-box
   auditors with gradient canaries and crafted datasets come close to the accountant's
   $\epsilon$, while black-box auditors of the final model stay far below it.
3. **Worst case versus average case.** DP bounds the privacy loss for the worst pair of
   neighbouring datasets and the worst outcome of the noise; an audit measures what happened
   in one run on one dataset. A loose bound is evidence that *this* attacker learns little,
   not a proof that a better one could not learn more.
"""),
code("""
ceilings = {r: one_run_epsilon_lower_bound(max(m, r), r, r, delta=DELTA, alpha=0.05)
            for r in (2 * K, 100, 1000, 10000)}
for r, c in ceilings.items():
    print(f"all {r:>5} guesses right: epsilon >= {c:.2f} at most "
          f"(with m = {max(m, r)} canaries needed)")
glue("ceiling_ours", round(ceilings[2 * K], 2))
"""),
check("""
assert audits["no DP"].epsilon <= ceilings[2 * K] + 1e-9
assert ceilings[2 * K] < runs["eps ~ 8"]["eps"], ceilings   # our audit could never reach eps 8
"""),
md(r"""
With {glue:text}`n_guesses` guesses, even a perfect auditor proves at most
$\epsilon \ge$ {glue:text}`ceiling_ours`, below the {glue:text}`eps8_eps` of the middle run:
this audit could not have exposed an accountant that was off by a factor of two at
$\epsilon \approx 8$. Audits are useful the other way round: a bound *above* the accountant's
$\epsilon$ is a proof of a bug (a missing clip, noise added once instead of per step,
batches that are not Poisson), which is why the hidden cells of this chapter assert the
opposite.

## Summary

- Without DP the digits LSTM leaks membership (AUC {glue:text}`nodp_auc`, TPR
  {glue:text}`nodp_tpr1:.1%` at 1% FPR); DP-SGD at $\epsilon$ = {glue:text}`eps2_eps` brings
  the AUC to {glue:text}`eps2_auc`, at a cost in test accuracy from
  {glue:text}`nodp_acc:.1%` to {glue:text}`eps2_acc:.1%`.
- In a character LSTM, DP-SGD at $\epsilon$ = {glue:text}`lm_eps` (one window per example)
  cuts the mean exposure of secrets inserted 64 times from {glue:text}`lmnodp_exp64` to
  {glue:text}`lmdp_exp64` bits (never-inserted ones: {glue:text}`lmnodp_exp0` and
  {glue:text}`lmdp_exp0`), and beam search no longer extracts them; the held-out loss rises
  from {glue:text}`lmnodp_loss` to {glue:text}`lmdp_loss` nats per character. At
  $\epsilon$ = {glue:text}`lmdp0_eps` and {glue:text}`lmdp2_eps` the picture is the same
  ({glue:text}`lmdp0_exp64` and {glue:text}`lmdp2_exp64` bits): at batch size
  {glue:text}`batch` the noise swamps every step, so exposure shows no trend with $\epsilon$.
- A one-run audit with {glue:text}`m_canaries` coin-flip canaries proves
  $\epsilon \ge$ {glue:text}`nodp_audit` for the non-private model and
  {glue:text}`eps8_audit` / {glue:text}`eps2_audit` for the private ones: always below the
  accountant's $\epsilon$.
- Black-box audits of DP-SGD are loose because of their statistical ceiling, weak canaries and
  the gap between the worst case DP covers and the average case an audit sees.

## Exercises

```{exercise}
:label: ex-6-1-1
The one-run audit's bound depends on how many guesses the auditor makes. For the non-private
model, compute the bound for $k_+ = k_- \in \{5, 10, 20, 40, 80\}$; store it in a dict
`bounds` from $k$ to the bound and run `check.exercise("6.1-1", bounds,
scores=-runs["no DP"]["canary_loss"], included=included, delta=DELTA)`. Why does it first
rise and then fall, and why may you not report the largest value as "the" audit result?
```

```{solution-start} ex-6-1-1
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
bounds = {}
for k in (5, 10, 20, 40, 80):
    a = one_run_audit(-runs["no DP"]["canary_loss"], included, k, k, delta=DELTA)
    bounds[k] = a.epsilon
    print(f"k = {k:>2} each way: {a.n_correct:>3} of {a.n_guesses:>3} right, "
          f"epsilon >= {a.epsilon:.2f}")
# END SOLUTION
check.exercise("6.1-1", bounds, scores=-runs["no DP"]["canary_loss"], included=included,
               delta=DELTA)
"""),
md(r"""
Few guesses are all right but prove little (the ceiling above); many guesses reach canaries the
model did not memorise and get more wrong. Picking the best $k$ after seeing the outcome is a
multiple comparison: the 95% confidence holds only for a $k$ fixed in advance (or chosen on a
separate set of canaries).
```{solution-end}
```

```{exercise}
:label: ex-6-1-2
Use the Jagielski et al. bound `rnnsec.privacy.audit.epsilon_lower_bound` on the membership
attack against the *real* digits of the non-private model: guess "member" when the loss is
below a threshold fixed in advance (0.01 nats). Store the confusion counts as a tuple
`counts = (tp, fn, fp, tn)` and run `check.exercise("6.1-2", counts,
losses=-runs["no DP"]["mia"].scores, is_member=is_member, threshold=0.01)`. What bound do you
get, and why is this not a valid audit of one training run, unlike the one-run audit?
```

```{solution-start} ex-6-1-2
:class: dropdown
```
"""),
code("""
from rnnsec import check
from rnnsec.privacy.audit import confusion_counts, epsilon_lower_bound

# BEGIN SOLUTION
member_loss = -runs["no DP"]["mia"].scores          # the loss attack's score is minus the loss
guess = member_loss < 0.01                          # threshold fixed before looking
counts = confusion_counts(guess, is_member)         # (tp, fn, fp, tn)
print("tp={} fn={} fp={} tn={}".format(*counts))
print(epsilon_lower_bound(*counts, delta=DELTA, alpha=0.05))
# END SOLUTION
check.exercise("6.1-2", counts, losses=-runs["no DP"]["mia"].scores, is_member=is_member,
               threshold=0.01)
"""),
md(r"""
The numbers look like an audit, but the Clopper-Pearson intervals assume independent trials,
each a training run in which one record was or was not included by a coin flip. Here the
{glue:text}`n_members` members were fixed, all records share one training run, and their
outcomes are correlated through the same weights; nothing randomised membership, so no
confidence statement follows. The one-run audit earns its validity from the independent
coin flips of the canaries, which is why it needs them.
```{solution-end}
```

```{exercise}
:label: ex-6-1-3
The audit's power depends on the attack's score. Rerun the one-run audit of the three models
with the logit-confidence score $\phi = \log(p_y / (1 - p_y))$ that LiRA uses
{cite}`carlini2022membership` (`attacks.logit_confidence`) instead of minus the loss, with the
same {glue:text}`guesses` guesses each way. Store the bounds in a dict `logit_bounds` from run
label to bound and run `check.exercise("6.1-3", logit_bounds, models={label: r["model"] for
label, r in runs.items()}, x=x_canary, y=y_canary, included=included, k=K, delta=DELTA,
accountant_epsilons={label: r["eps"] for label, r in runs.items()})`. Does the bound change,
and can it ever cross the accountant's $\epsilon$?
```

```{solution-start} ex-6-1-3
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
logit_bounds = {}
for label, r in runs.items():
    phi = attacks.logit_confidence(attacks.model_logits(r["model"], x_canary), y_canary)
    logit_bounds[label] = one_run_audit(phi, included, K, K, delta=DELTA).epsilon
    print(f"{label:<8} accountant {r['eps']:>6.2f}  loss score >= {audits[label].epsilon:.2f}  "
          f"logit-confidence score >= {logit_bounds[label]:.2f}")
# END SOLUTION
check.exercise("6.1-3", logit_bounds, models={label: r["model"] for label, r in runs.items()},
               x=x_canary, y=y_canary, included=included, k=K, delta=DELTA,
               accountant_epsilons={label: r["eps"] for label, r in runs.items()})
"""),
md(r"""
For a single example, $-\text{loss} = \log p_y$ and $\phi$ are both increasing functions of
$p_y$, so they rank the canaries identically, up to ties where the loss rounds to zero and
$\phi$ keeps its resolution: the bounds agree or differ only through those ties, because the
one-run audit uses only the order of the scores. A better score must reorder canaries,
e.g. by calibrating each against shadow models as LiRA does. No score can cross the
accountant's $\epsilon$ unless the training code or the accountant is wrong.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks" / "61_what_dp_buys.ipynb"))

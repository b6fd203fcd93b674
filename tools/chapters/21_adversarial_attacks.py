"""Source of notebooks/21_adversarial_attacks.ipynb (Chapter 2.1, Adversarial examples)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

cells = [
md("""
# 2.1 Adversarial examples for sequence models

Chapter 1 showed that one gradient step ({term}`FGSM <Fast gradient sign method (快速梯度符号法, FGSM)>`) lowers the accuracy of a recurrent speaker
identifier. This chapter asks the attacker's questions properly. How much stronger is an
iterative attack? Can the attacker pick the wrong answer it wants? What can an attacker do
who sees only the model's outputs, or only its labels? And what changes when the input is
text, where a word is either there or not? Every attack runs against a model trained here on
real data: speaker identification from JapaneseVowels and sentiment of Rotten Tomatoes critic
snippets.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- state a {term}`threat model <Threat model (威胁模型)>`: the attacker's goal, knowledge and capability, and what counts as
  imperceptible for continuous and for discrete inputs;
- run and compare FGSM and projected gradient descent (PGD) in the $L_\\infty$ and $L_2$
  norms, untargeted and targeted, and draw a robustness curve;
- run black-box attacks that count every query (SimBA) or never see the gradient at all
  (a transfer attack from a substitute model);
- attack a text classifier in embedding space and by swapping words, white-box and black-box;
- check an evaluation for {term}`gradient masking <Gradient masking (梯度掩蔽)>` before trusting a robust accuracy.
```

```{admonition} Threat models of this chapter
:class: important
- **Goal:** evasion at test time: any wrong label (untargeted) or one chosen label (targeted).
- **Knowledge:** *white-box*: weights and gradients. *Score-based black-box*: the output
  probabilities of each query, with a query budget. *Transfer*: only predicted labels, used to
  train the attacker's own substitute model.
- **Capability, speech features:** change each real frame's coefficients by at most
  $\\epsilon$ ($L_\\infty$) or the whole utterance by at most $\\epsilon$ ($L_2$), in standard
  deviations; padding and length stay as they are.
- **Capability, text:** move the word vectors inside an $L_2$ ball (an analysis tool, not a
  real input), or replace at most `max_words` words by candidate words.
- **Out of scope:** training-time attacks (poisoning) and defences (Chapter 3).
```
"""),
code("""
import time

import numpy as np
import tensorflow as tf
from IPython.display import HTML, display
from scipy.sparse import coo_matrix
from sklearn.decomposition import TruncatedSVD

import rnnsec
import rnnsec.config
from rnnsec import data, models, plots
from rnnsec.adversarial import (embedding_fgm, fgsm, greedy_word_substitution,
                                nearest_neighbors, pgd, robustness_curve, sanity_checks, simba,
                                transfer_attack, word_substitution)
from rnnsec.book import glue
from rnnsec.compat import keras

rnnsec.set_seed(0)
profile = rnnsec.config.get_profile()
print(profile)
timings = {}
"""),
md("""
## 2.1.1 Threat models

The definition below fixes the words used in the rest of the book.

```{prf:definition} Adversarial example
:label: def-adversarial-example
Let $f$ be a classifier, $x$ an input with label $y$, and $\\mathcal{B}(x)$ the set of inputs
the attacker may produce from $x$ (its *capability*). An **untargeted** {term}`adversarial example <Adversarial example (对抗样本)>` is
an $x' \\in \\mathcal{B}(x)$ with $f(x') \\ne y$; a **targeted** one, for a chosen
$t \\ne y$, has $f(x') = t$. For continuous inputs, $\\mathcal{B}(x) =
\\{x' : \\lVert x' - x \\rVert_p \\le \\epsilon\\}$; for text, $\\mathcal{B}(x)$ is the set of
sentences with at most $k$ words replaced by allowed substitutes.
```

The attacker's **knowledge** decides which algorithm it can run:

| attacker sees | can compute | attacks in this chapter | cost counted in |
|---|---|---|---|
| weights (white-box) | gradients $\\nabla_x L$ | FGSM, PGD, embedding FGM, word swaps | steps |
| output probabilities | scores of chosen inputs | SimBA, greedy word substitution | queries |
| predicted labels only | labels of chosen inputs | transfer from a substitute | label queries |

**Continuous versus discrete.** A speech feature can move by 0.05 of a standard deviation, and
a small $\\epsilon$ is a fair proxy for *imperceptible*. A word cannot move a little: it is
replaced or not. Perceptibility for text is therefore about which words may replace which
(meaning, grammar), and the budget is counted in words changed, not in a norm
{cite}`papernot2016crafting,jin2020bert`.

## 2.1.2 White-box: FGSM versus PGD on speaker identification

The victim is Chapter 1's speaker identifier: a masked `LSTM` over the 12 standardised
cepstrum coefficients of each frame of JapaneseVowels {cite}`kudo1999multidimensional`.
"""),
code("""
start = time.perf_counter()
vowels = data.load_japanese_vowels()
speaker_model = models.sequence_classifier((29, 12), vowels.num_classes, masking=True,
                                           units=profile.units)
speaker_model.compile(keras.optimizers.Adam(1e-3),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
speaker_model.fit(vowels.x_train, vowels.y_train, epochs=2 * profile.epochs,
                  batch_size=profile.batch_size, verbose=0)
vowels_acc = speaker_model.evaluate(vowels.x_test, vowels.y_test, verbose=0)[1]
timings["train speaker model"] = time.perf_counter() - start
print(f"speaker identification: test accuracy {vowels_acc:.3f} (chance {1 / 9:.3f})")
glue("vowels_acc", round(vowels_acc, 3))

# The attacks run on a fixed random subset of the test utterances (profile-sized).
mask_all = vowels.mask("test")
n_attack = min(profile.attack_examples, len(vowels.x_test))
pick = np.sort(np.random.default_rng(0).choice(len(vowels.x_test), n_attack, replace=False))
x_v, y_v, m_v = vowels.x_test[pick], vowels.y_test[pick], mask_all[pick]
glue("n_attack", n_attack)
"""),
check("""
assert vowels_acc >= 0.85, vowels_acc
"""),
md("""
FGSM takes one step of size $\\epsilon$. **Projected gradient descent** {cite}`madry2018towards`
takes many small steps and projects back into the ball after each, so it can follow the loss
around corners that one linear step misses.

```{prf:definition} Projected gradient descent (PGD) attack
:label: def-pgd
Start from a random point $x^{(0)}$ of $\\mathcal{B}_\\epsilon(x)$ and, for $k = 0, \\dots, K-1$,
$$x^{(k+1)} = \\Pi_{\\mathcal{B}_\\epsilon(x)}\\Big(x^{(k)} + \\alpha\\, d\\big(\\nabla_x
L(f(x^{(k)}), y)\\big)\\Big),$$
where $d(g) = \\operatorname{sign}(g)$ for $L_\\infty$ and $d(g) = g / \\lVert g \\rVert_2$ for
$L_2$, and $\\Pi$ is the projection onto the ball (clipping for $L_\\infty$, rescaling for
$L_2$). FGSM is the special case $K = 1$, $\\alpha = \\epsilon$, $x^{(0)} = x$.
```

`robustness_curve` runs both attacks at every budget on the same
{glue:text}`n_attack` utterances. A budget of 1 in $L_\\infty$ means every coefficient of every
frame may move by one standard deviation; in $L_2$ the budget is shared by the whole
utterance (an utterance has about 15 x 12 = 180 coefficients, so $L_2$ budgets are larger).
"""),
code("""
start = time.perf_counter()
eps_inf = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]
eps_l2 = [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0]
pgd_args = {"pgd": {"steps": 10, "seed": 0}}
curve_inf = robustness_curve(speaker_model, x_v, y_v, eps_inf, attacks=("fgsm", "pgd"),
                             norm="inf", mask=m_v, progress=False, attack_kwargs=pgd_args)
curve_l2 = robustness_curve(speaker_model, x_v, y_v, eps_l2, attacks=("fgsm", "pgd"),
                            norm="2", mask=m_v, progress=False, attack_kwargs=pgd_args)
timings["robustness curves"] = time.perf_counter() - start
print(curve_inf)
print(curve_l2)
"""),
code("""
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), constrained_layout=True)
for ax, curve, label in ((axes[0], curve_inf, "L-inf"), (axes[1], curve_l2, "L2")):
    eps, acc_f = curve.accuracy("fgsm")
    _, acc_p = curve.accuracy("pgd")
    plots.accuracy_vs_epsilon(eps, {"FGSM (1 step)": acc_f, "PGD (10 steps)": acc_p},
                              chance=1 / 9, ax=ax,
                              xlabel=f"epsilon ({label}, standard deviations)",
                              title=f"Speaker identification, {label} attacks")
"""),
code("""
eps_star = 0.2  # the chapter's L-inf budget, in standard deviations
acc_fgsm = dict(zip(*curve_inf.accuracy("fgsm")))
acc_pgd = dict(zip(*curve_inf.accuracy("pgd")))
acc_pgd_l2 = dict(zip(*curve_l2.accuracy("pgd")))
glue("eps_star", eps_star)
glue("clean_subset", round(float(acc_pgd[0.0]), 3))
glue("fgsm_star", round(float(acc_fgsm[eps_star]), 3))
glue("pgd_star", round(float(acc_pgd[eps_star]), 3))
glue("pgd_05", round(float(acc_pgd[0.5]), 3))
glue("pgd_max", round(float(acc_pgd[1.0]), 3))
glue("pgd_l2_2", round(float(acc_pgd_l2[2.0]), 3))
glue("pgd_l2_max", round(float(acc_pgd_l2[10.0]), 3))
"""),
check("""
for eps in eps_inf:  # PGD is never weaker than FGSM (small slack for ties)
    assert acc_pgd[eps] <= acc_fgsm[eps] + 0.02, (eps, acc_pgd, acc_fgsm)
assert acc_pgd[eps_star] <= acc_fgsm[eps_star], (acc_pgd, acc_fgsm)
accs = [acc_pgd[e] for e in eps_inf]
assert all(b <= a + 0.02 for a, b in zip(accs, accs[1:])), accs
assert acc_pgd[1.0] <= 1 / 9 + 0.05, acc_pgd  # falls to (or below) chance
accs2 = [acc_pgd_l2[e] for e in eps_l2]
assert all(b <= a + 0.02 for a, b in zip(accs2, accs2[1:])), accs2
assert acc_pgd_l2[10.0] <= 0.3, acc_pgd_l2
"""),
md("""
On these utterances the model is right {glue:text}`clean_subset:.1%` of the time. At
$\\epsilon$ = {glue:text}`eps_star` standard deviations in $L_\\infty$, FGSM leaves
{glue:text}`fgsm_star:.1%` accuracy and PGD {glue:text}`pgd_star:.1%`; at 0.5 PGD leaves
{glue:text}`pgd_05:.1%` and at 1.0 {glue:text}`pgd_max:.1%`, at or below chance (11.1%). PGD
pulls away from FGSM as $\\epsilon$ grows, until both reach the floor: the larger the ball,
the less a single linear step describes the loss inside it. This is the pattern
{cite}`fawaz2019adversarial` measured for time-series classifiers: an undefended model loses
most of its accuracy, and iterative attacks take more than the fast one. In $L_2$, PGD
leaves {glue:text}`pgd_l2_2:.1%` at $\\epsilon = 2$ and
{glue:text}`pgd_l2_max:.1%` at $\\epsilon = 10$.

### Targeted: make speaker 3 sound like speaker 7

A targeted attack *descends* the loss of the chosen label $t$ instead of ascending the loss of
the true one. We take every test utterance of speaker 3 (class index 2) and ask for speaker 7
(class index 6). Success means the model now says "speaker 7"; a random guess would say so
one time in nine.
"""),
code("""
start = time.perf_counter()
eps_targets = [0.25, 0.5, 1.0]
from3 = vowels.y_test == 2
to7 = np.full(int(from3.sum()), 6)
target_fgsm, target_pgd = [], []
for eps in eps_targets:
    target_fgsm.append(fgsm(speaker_model, vowels.x_test[from3], to7, eps, mask=mask_all[from3],
                            targeted=True, progress=False).success_rate)
    target_pgd.append(pgd(speaker_model, vowels.x_test[from3], to7, eps, steps=30,
                          mask=mask_all[from3], targeted=True, seed=0,
                          progress=False).success_rate)
timings["targeted attacks"] = time.perf_counter() - start
print(f"{from3.sum()} utterances of speaker 3, target speaker 7 (L-inf budgets)")
for eps, f, p in zip(eps_targets, target_fgsm, target_pgd):
    print(f"  eps={eps:<5} targeted FGSM {f:.1%}   targeted PGD-30 {p:.1%}")
glue("n_speaker3", int(from3.sum()))
glue("target_fgsm_05", round(target_fgsm[1], 3))
glue("target_pgd_05", round(target_pgd[1], 3))
glue("target_fgsm", round(target_fgsm[-1], 3))
glue("target_pgd", round(target_pgd[-1], 3))
"""),
check("""
assert target_pgd[-1] >= 0.5, target_pgd  # well above chance (1/9)
assert all(p >= f for p, f in zip(target_pgd, target_fgsm)), (target_pgd, target_fgsm)
assert all(b >= a - 0.03 for a, b in zip(target_pgd, target_pgd[1:])), target_pgd
"""),
md("""
Reaching one chosen speaker needs a larger budget than reaching any wrong one. At
$\\epsilon = 0.5$ targeted PGD turns {glue:text}`target_pgd_05:.1%` of the
{glue:text}`n_speaker3` utterances of speaker 3 into "speaker 7" (one targeted FGSM step:
{glue:text}`target_fgsm_05:.1%`); at $\\epsilon = 1$ it succeeds on
{glue:text}`target_pgd:.1%` (FGSM: {glue:text}`target_fgsm:.1%`). A random label would say
"speaker 7" 11.1% of the time.

## 2.1.3 Black-box: SimBA, every query counted

A deployed speaker identifier is usually a service: the attacker sends a recording and gets
the probabilities back. We model that service as `PredictionAPI`, a thin wrapper that answers
with the victim's logits from a compiled graph (fast enough to be queried thousands of times)
and offers the attacker nothing else. **SimBA** {cite}`guo2019simple` needs only those
answers: visit the coordinates in a random order, try $-\\epsilon$ and then $+\\epsilon$ on one
coordinate, and keep a step if the probability of the true speaker drops. Each evaluation of
one utterance costs one query, and `simba` refuses to exceed the budget.
"""),
code("""
class PredictionAPI(keras.Model):
    \"\"\"The victim behind a prediction service: inputs in, logits out, nothing else.\"\"\"

    def __init__(self, model):
        super().__init__(name="prediction_api")
        self.victim = model
        self._serve = tf.function(lambda z: model(z, training=False), reduce_retracing=True)

    def call(self, inputs, training=False):
        return self._serve(inputs)


speaker_api = PredictionAPI(speaker_model)
start = time.perf_counter()
max_queries = 500
black = simba(speaker_api, x_v, y_v, eps_star, max_queries=max_queries, mask=m_v, seed=0,
              progress=False)
white = pgd(speaker_model, x_v, y_v, eps_star, steps=10, mask=m_v, seed=0, progress=False)
timings["SimBA"] = time.perf_counter() - start
print("black-box:", black)
print("white-box:", white)
budgets = np.arange(0, max_queries + 1, 10)
simba_curve = np.array([np.mean(black.success & (black.queries <= q)) for q in budgets])
flipped = black.success & (black.pred_clean == y_v)
glue("simba_success", round(black.success_rate, 3))
glue("pgd_success", round(white.success_rate, 3))
glue("simba_queries", round(float(black.mean_queries), 1))
glue("simba_queries_success", round(float(black.queries[flipped].mean()), 1))
glue("simba_at_100", round(float(simba_curve[budgets == 100][0]), 3))
glue("max_queries", max_queries)
"""),
code("""
plots.success_vs_queries({"SimBA (black-box, scores only)": (budgets, simba_curve)},
                         reference={"PGD-10 (white-box)": white.success_rate,
                                    "FGSM (white-box)": 1 - acc_fgsm[eps_star]},
                         title=f"Speaker identification, L-inf eps = {eps_star}");
"""),
check("""
assert np.all(black.queries <= max_queries)
assert np.all(np.abs(black.x_adv - x_v) <= eps_star + 1e-6)
assert np.all(black.x_adv[m_v == 0] == x_v[m_v == 0])
assert black.success_rate <= white.success_rate + 0.03, (black, white)
assert black.success_rate > 1 - acc_pgd[0.0] + 0.05, black  # the attack does something
assert np.all(np.diff(simba_curve) >= 0)
"""),
md("""
With at most {glue:text}`max_queries` queries per utterance SimBA succeeds on
{glue:text}`simba_success:.1%` of them (counting the few the model already got wrong), using
{glue:text}`simba_queries` queries on average and {glue:text}`simba_queries_success` on the
utterances it flips; with 100 queries it reaches {glue:text}`simba_at_100:.1%`. White-box PGD at
the same $\\epsilon$ succeeds on {glue:text}`pgd_success:.1%`. That ordering is what one expects:
an attacker with less knowledge should not do better; if it does, the white-box attack is
being misled (Section 2.1.6).

### Transfer: a substitute trained on the victim's labels

The weakest attacker only gets labels. Following {cite}`papernot2017practical`, it records its
own unlabelled utterances (here: the training utterances, without their labels), has the
victim label them, and trains its own **substitute**: a `GRU` with 32 units, a different
architecture from the victim's. It then attacks the substitute white-box and sends the result
to the victim once.
"""),
code("""
start = time.perf_counter()
transfer = transfer_attack(speaker_api, x_v, y_v, vowels.x_train, eps_star, mask=m_v, seed=0,
                           epochs=profile.epochs, progress=False)
print(transfer)
substitute = transfer.substitute
eps_transfer = [0.1, 0.2, 0.5, 1.0]
transfer_acc, white_acc = [], []
for eps in eps_transfer:
    crafted = pgd(substitute, x_v, y_v, eps, steps=10, mask=m_v, seed=0, progress=False).x_adv
    transfer_acc.append(float(np.mean(speaker_api(crafted).numpy().argmax(axis=1) == y_v)))
    white_acc.append(acc_pgd[eps])
timings["transfer"] = time.perf_counter() - start
for eps, t, w in zip(eps_transfer, transfer_acc, white_acc):
    print(f"eps={eps:<4} victim accuracy: transfer from substitute {t:.3f}, white-box PGD {w:.3f}")
glue("transfer_queries", transfer.training_queries)
glue("transfer_agreement", round(transfer.agreement, 3))
glue("transfer_success", round(transfer.result.success_rate, 3))
glue("transfer_sub_success", round(transfer.substitute_result.success_rate, 3))
glue("transfer_acc_max", round(transfer_acc[-1], 3))
"""),
check("""
assert transfer.training_queries == len(vowels.x_train)
assert transfer.result.success_rate <= white.success_rate + 0.03, (transfer, white)
assert transfer_acc[-1] < transfer_acc[0], transfer_acc  # it transfers more as eps grows
assert all(t >= w - 0.03 for t, w in zip(transfer_acc, white_acc)), (transfer_acc, white_acc)
assert transfer_acc[-1] >= acc_pgd[1.0] + 0.2, (transfer_acc, acc_pgd)  # weaker than white-box
"""),
md("""
After {glue:text}`transfer_queries` label queries the substitute agrees with the victim on
{glue:text}`transfer_agreement:.1%` of the attacked utterances. At $\\epsilon$ =
{glue:text}`eps_star` its adversarial utterances fool the substitute itself
{glue:text}`transfer_sub_success:.1%` of the time but the victim only
{glue:text}`transfer_success:.1%` of the time: small perturbations are specific to the model
they were computed on. Larger budgets transfer more, but far less than white-box attacks do:
at $\\epsilon = 1$ the victim still identifies {glue:text}`transfer_acc_max:.1%` of the
speakers, where white-box PGD leaves {glue:text}`pgd_max:.1%`. A substitute that has only
seen {glue:text}`transfer_queries` labelled utterances learns a decision boundary that is
close to the victim's on the data but not in the directions that matter
for an attack; Jacobian-based augmentation (`augment_rounds`) is the remedy that
{cite}`papernot2017practical` propose.

## 2.1.4 Text: attacks in embedding space

For text the victim is the book's `Embedding` + `LSTM` classifier trained for a few epochs on
Rotten Tomatoes critic snippets {cite}`pang2005seeing` ("fresh" or "rotten"). Tokens are ids;
the gradient cannot move an id, but it can move the word *vector* the id looks up.
"""),
code("""
start = time.perf_counter()
rt, tokenizer = data.load_rotten_tomatoes(max_words=3000, max_len=40)
text_model = models.text_classifier(tokenizer.vocab_size, units=profile.units)
text_model.compile(keras.optimizers.Adam(2e-3),
                   keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                   metrics=["accuracy"])
text_epochs = max(3, profile.epochs // 3)
text_model.fit(rt.x_train, rt.y_train, epochs=text_epochs, batch_size=64, verbose=0)
text_acc = text_model.evaluate(rt.x_test, rt.y_test, verbose=0)[1]
timings["train text model"] = time.perf_counter() - start
print(rt)
print(f"sentiment after {text_epochs} epochs: test accuracy {text_acc:.3f}")
glue("text_acc", round(text_acc, 3))
glue("text_epochs", text_epochs)
n_text = min(profile.attack_examples, len(rt.x_test))
pick_t = np.sort(np.random.default_rng(1).choice(len(rt.x_test), n_text, replace=False))
x_t, y_t = rt.x_test[pick_t], rt.y_test[pick_t]
glue("n_text", n_text)
"""),
check("""
assert text_acc >= 0.65, text_acc
"""),
md("""
The **fast gradient method in embedding space** of {cite}`miyato2017adversarial` adds
$r = \\epsilon\\, g / \\lVert g \\rVert_2$ to the sequence of word vectors, where $g$ is the
gradient of the loss with respect to all of them. The vectors are normalised first, so
$\\epsilon = 1$ is as long as one whole word vector, spread over the sentence.
"""),
code("""
start = time.perf_counter()
eps_text = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0]
fgm_acc = [embedding_fgm(text_model, x_t, y_t, e, progress=False).robust_accuracy
           for e in eps_text]
timings["embedding FGM"] = time.perf_counter() - start
for e, a in zip(eps_text, fgm_acc):
    print(f"eps={e:<5} accuracy {a:.3f}")
plots.accuracy_vs_epsilon(eps_text, {"embedding FGM (white-box)": fgm_acc}, chance=0.5,
                          xlabel="epsilon (L2 over the sentence, in word-vector lengths)",
                          title="Sentiment under embedding-space attack");
glue("fgm_clean", round(fgm_acc[0], 3))
glue("fgm_1", round(fgm_acc[eps_text.index(1.0)], 3))
glue("fgm_max", round(fgm_acc[-1], 3))
"""),
check("""
assert all(b <= a + 0.02 for a, b in zip(fgm_acc, fgm_acc[1:])), fgm_acc
assert fgm_acc[-1] <= 0.15, fgm_acc  # far below chance: the attack controls the output
assert fgm_acc[eps_text.index(1.0)] <= fgm_acc[0] - 0.2, fgm_acc
"""),
md("""
A perturbation as long as one word vector, spread over the sentence, lowers the accuracy on
{glue:text}`n_text` held-out snippets from {glue:text}`fgm_clean:.1%` to
{glue:text}`fgm_1:.1%`; four word-vector lengths leave {glue:text}`fgm_max:.1%`. No real
sentence has these perturbed vectors, so embedding attacks measure how steep the model is
(and are the basis of embedding {term}`adversarial training <Adversarial training (对抗训练)>`, Chapter 3), not what a real attacker
can type.

## 2.1.5 Text: swapping words

A real attacker changes words. Which words may replace which is the attacker's
**perceptibility** constraint. We give both attacks the same candidates: for every word, its
eight nearest neighbours among word vectors the attacker computes itself from raw text, by a
truncated SVD of the positive pointwise mutual information of words that appear within two
positions of each other {cite}`levy2014neural`. These vectors know nothing of the victim.
"""),
code("""
start = time.perf_counter()
vocab = tokenizer.vocab_size
pairs = []
for gap in (1, 2):
    left, right = rt.x_train[:, :-gap].ravel(), rt.x_train[:, gap:].ravel()
    real = (left > 1) & (right > 1)  # skip padding (0) and out-of-vocabulary (1)
    pairs += [(left[real], right[real]), (right[real], left[real])]
rows = np.concatenate([p[0] for p in pairs])
cols = np.concatenate([p[1] for p in pairs])
counts = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(vocab, vocab)).tocsr().tocoo()
total = counts.data.sum()
p_word = np.bincount(counts.row, weights=counts.data, minlength=vocab) / total
pmi = np.log(counts.data / total / (p_word[counts.row] * p_word[counts.col]))
keep = pmi > 0
ppmi = coo_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=(vocab, vocab))
word_vectors = TruncatedSVD(64, random_state=0).fit_transform(ppmi.tocsr())  # [V, 64]
candidates = nearest_neighbors(word_vectors, k=8)  # [V, 8]
timings["attacker's word vectors"] = time.perf_counter() - start
index = tokenizer.index
for w in ("good", "boring", "funny"):
    print(f"{w:>7} -> {[tokenizer.vocabulary[j] for j in candidates[index[w]]]}")
"""),
md("""
Neighbours in such vectors are words used in the same places, which includes antonyms
("good" and "bad" fill the same slots). A careful attack would filter them, as TextFooler does
with synonym-tuned vectors and a sentence-similarity check {cite}`jin2020bert`; we keep the
raw list and show the changed words so the reader can judge.

The **white-box** attack estimates the effect of every swap to first order: the change of the
loss from replacing word $v$ by $w$ at position $t$ is about $g_t \\cdot (E_w - E_v)$, with
$g_t$ the gradient at position $t$'s vector {cite}`ebrahimi2018hotflip` (Papernot et al. used
the gradient's sign {cite}`papernot2016crafting`). It makes the best swap and repeats, at most
`max_words` times. The **black-box** greedy attack, in the spirit of TextFooler
{cite}`jin2020bert`, queries the model: it ranks words by how much hiding each one lowers the
true class's probability, then tries the candidates for the most important words first.
"""),
code("""
max_words = 3
start = time.perf_counter()
white_words = word_substitution(text_model, x_t, y_t, max_words=max_words, candidates=candidates,
                                progress=False)
timings["word substitution (white-box)"] = time.perf_counter() - start
text_api = PredictionAPI(text_model)
start = time.perf_counter()
black_words = greedy_word_substitution(text_api, x_t, y_t, candidates, max_words=max_words,
                                       max_queries=200, progress=False)
timings["word substitution (black-box)"] = time.perf_counter() - start


def flip_rate(result):
    \"\"\"Share of correctly classified snippets whose label the attack flips.\"\"\"
    right = result.pred_clean == result.y
    return float(np.mean(result.success[right]))


for name, res in (("white-box, gradient-guided", white_words),
                  ("black-box, greedy with queries", black_words)):
    flipped = res.success & (res.pred_clean == res.y)
    extra = "" if res.queries is None else f", {res.queries[flipped].mean():.1f} queries"
    print(f"{name}: flips {flip_rate(res):.1%} of the correctly classified snippets; "
          f"per flip {res.words_changed[flipped].mean():.2f} words changed{extra}")
flipped_b = black_words.success & (black_words.pred_clean == y_t)
glue("max_words", max_words)
glue("white_flip", round(flip_rate(white_words), 3))
glue("black_flip", round(flip_rate(black_words), 3))
glue("white_words", round(float(white_words.words_changed[
    white_words.success & (white_words.pred_clean == y_t)].mean()), 2))
glue("black_words", round(float(black_words.words_changed[flipped_b].mean()), 2))
glue("black_queries", round(float(black_words.queries[flipped_b].mean()), 1))
"""),
check("""
assert np.all(white_words.words_changed <= max_words)
assert np.all(black_words.words_changed <= max_words)
assert np.all(black_words.queries <= 200)
assert flip_rate(white_words) >= 0.4, white_words
assert flip_rate(black_words) >= 0.4, black_words
assert flip_rate(black_words) <= flip_rate(white_words) + 0.05, (black_words, white_words)
"""),
md("""
With at most {glue:text}`max_words` words changed, the gradient-guided attack flips
{glue:text}`white_flip:.1%` of the snippets the model got right, changing
{glue:text}`white_words` words per flip on average; the black-box greedy attack flips
{glue:text}`black_flip:.1%`, changing {glue:text}`black_words` words and spending
{glue:text}`black_queries` queries per flip. As {cite}`papernot2016crafting` found, a recurrent
sentiment model can be turned by a handful of words. Three of the black-box flips, with the
changed words marked:
"""),
code("""
def highlight(original, adversarial):
    \"\"\"HTML of one snippet with changed words marked (<mark>) and the originals struck out.\"\"\"
    words = []
    for a, b in zip(original, adversarial):
        if a == 0:
            continue
        if a == b:
            words.append(tokenizer.vocabulary[a])
        else:
            words.append(f"<s>{tokenizer.vocabulary[a]}</s> <mark>{tokenizer.vocabulary[b]}</mark>")
    return " ".join(words)


names = rt.class_names
shown = [int(i) for i in np.flatnonzero(flipped_b)
         if (x_t[i] > 0).sum() <= 20][:3]  # short snippets read best
rows_html = "".join(
    f"<li><b>{names[y_t[i]]} &rarr; {names[black_words.pred_adv[i]]}</b>: "
    f"{highlight(x_t[i], black_words.x_adv[i])}</li>" for i in shown)
display(HTML(f"<ol>{rows_html}</ol>"))
"""),
md("""
Some swaps keep the meaning and some do not (an antonym from the co-occurrence neighbours is a
different review, not an adversarial one). Counting only meaning-preserving swaps needs a
human or a stricter candidate filter; the numbers above are therefore an upper bound on what
an attacker constrained to synonyms achieves.

## 2.1.6 Is the evaluation trustworthy? Gradient-masking checks

A robust accuracy is an upper bound that holds only until a stronger attack is found. When a
model hides its gradients rather than being robust, attacks that follow gradients fail while
the model is still easy to fool {cite}`athalye2018obfuscated`. {cite}`carlini2019evaluating`
list checks that catch this; `sanity_checks` runs five of them and reports their numbers.
"""),
code("""
start = time.perf_counter()
report = sanity_checks(speaker_api, x_v, y_v, eps_star, mask=m_v, more_steps=30, restarts=3,
                       max_queries=max_queries, large_epsilons=[0.2, 0.5, 1.0, 2.0])
timings["sanity checks"] = time.perf_counter() - start
print(report)
glue("sanity_passed", sum(c.passed for c in report.checks))
glue("sanity_total", len(report.checks))
"""),
check("""
assert report.passed, report
"""),
md("""
For the undefended speaker model {glue:text}`sanity_passed` of the {glue:text}`sanity_total`
checks pass. More steps and
restarts do not help PGD much (it has converged), PGD beats FGSM, the black-box attack does not
beat the white-box one, and a large enough budget takes accuracy to chance. Chapter 3 runs the
same report on defended models, where it matters.

The run time of each part of this chapter, on the machine that executed it:
"""),
code("""
for part, seconds in timings.items():
    print(f"{part:<32} {seconds:6.1f} s")
glue("time_total", round(sum(timings.values()), 1))
"""),
md("""
## Summary

- PGD is at least as strong as FGSM at every budget; at $\\epsilon$ = {glue:text}`eps_star`
  ($L_\\infty$, standard deviations) it leaves {glue:text}`pgd_star:.1%` speaker accuracy
  against FGSM's {glue:text}`fgsm_star:.1%`, and at $\\epsilon = 1$ the accuracy is at chance.
- Targeted PGD makes {glue:text}`target_pgd:.1%` of speaker 3's utterances "sound like"
  speaker 7 at $\\epsilon = 1$ (chance: 11.1%).
- Knowing less costs the attacker: SimBA, seeing only probabilities, reaches
  {glue:text}`simba_success:.1%` success in at most {glue:text}`max_queries` queries against
  white-box PGD's {glue:text}`pgd_success:.1%`; a transfer attack with labels only leaves the
  victim {glue:text}`transfer_acc_max:.1%` accuracy even at $\\epsilon = 1$.
- Text is attacked in embedding space (accuracy {glue:text}`fgm_clean:.1%` to
  {glue:text}`fgm_1:.1%` at one word-vector length) or by swapping at most
  {glue:text}`max_words` words ({glue:text}`white_flip:.1%` white-box, {glue:text}`black_flip:.1%`
  black-box flips).
- Before trusting a robust accuracy, run the gradient-masking checks.

## Exercises

```{exercise}
:label: ex-2-1-1
How many PGD steps are enough? At $\\epsilon = 0.2$ ($L_\\infty$), measure the speaker model's
robust accuracy for 1, 3, 10 and 30 steps (step size left at its default). Where does it stop
improving? Store the accuracies in `step_accs = {1: ..., 3: ..., 10: ..., 30: ...}` and run
`check.exercise("2.1-1", step_accs, model=speaker_model, x=x_v, y=y_v, mask=m_v, epsilon=eps_star)`.
```

```{solution-start} ex-2-1-1
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
step_accs = {}
for steps in (1, 3, 10, 30):
    step_accs[steps] = pgd(speaker_model, x_v, y_v, eps_star, steps=steps, mask=m_v, seed=0,
                           progress=False).robust_accuracy
    print(f"PGD-{steps:<3} robust accuracy {step_accs[steps]:.3f}")
# END SOLUTION
check.exercise("2.1-1", step_accs, model=speaker_model, x=x_v, y=y_v, mask=m_v, epsilon=eps_star)
"""),
md("""
Most of the gain comes in the first few steps; beyond about ten the accuracy barely moves,
which is what the `more_steps` sanity check relies on.
```{solution-end}
```

```{exercise}
:label: ex-2-1-2
Run SimBA in the $L_2$ norm with $\\epsilon = 2$ and 500 queries, and compare its success
with white-box PGD in $L_2$ at the same $\\epsilon$ (from `curve_l2`). Is the ordering the
same as in $L_\\infty$? Store the SimBA result in `black_l2` and run
`check.exercise("2.1-2", black_l2, model=speaker_model, x=x_v, y=y_v, mask=m_v)`.
```

```{solution-start} ex-2-1-2
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
black_l2 = simba(speaker_api, x_v, y_v, 2.0, norm="2", max_queries=500, mask=m_v, seed=0,
                 progress=False)
print(f"SimBA L2: success {black_l2.success_rate:.3f} with {black_l2.mean_queries:.0f} queries")
print(f"PGD   L2: success {1 - acc_pgd_l2[2.0]:.3f}")
# END SOLUTION
check.exercise("2.1-2", black_l2, model=speaker_model, x=x_v, y=y_v, mask=m_v)
"""),
md("""
The black-box attack again stays below the white-box one: with a shared $L_2$ budget it can
spend the budget only where its random coordinates happen to help.
```{solution-end}
```

```{exercise}
:label: ex-2-1-3
Give the white-box word-substitution attack the *victim's own* embedding neighbours
(`candidates=None`) instead of the attacker's co-occurrence neighbours, with 1 and with 3
words. Which candidate set flips more snippets, and why might the victim's neighbours be a
poor source of substitutes for a *sentiment* model? Store the flip rates (as `flip_rate`
computes them) in `flips = {"victim": {1: ..., 3: ...}, "cooccurrence": {1: ..., 3: ...}}`,
with the victim's 8 nearest neighbours per word, and run
`check.exercise("2.1-3", flips, model=text_model, x=x_t, y=y_t, candidates=candidates)`.
```

```{solution-start} ex-2-1-3
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
flips = {"victim": {}, "cooccurrence": {}}
for k in (1, 3):
    own = word_substitution(text_model, x_t, y_t, max_words=k, num_candidates=8, progress=False)
    cooc = word_substitution(text_model, x_t, y_t, max_words=k, candidates=candidates,
                             progress=False)
    flips["victim"][k], flips["cooccurrence"][k] = flip_rate(own), flip_rate(cooc)
    print(f"max_words={k}: victim's neighbours flip {flip_rate(own):.1%}, "
          f"co-occurrence neighbours flip {flip_rate(cooc):.1%}")
# END SOLUTION
check.exercise("2.1-3", flips, model=text_model, x=x_t, y=y_t, candidates=candidates)
"""),
md("""
The victim's embedding was trained to separate sentiment, so a word's nearest neighbours there
carry the *same* sentiment ("great" sits next to other praise): swapping within them rarely
flips the label. Co-occurrence neighbours mix sentiments and flip far more, which is exactly why
a real attack must check that the meaning survives.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks"
                    / "21_adversarial_attacks.ipynb"))

"""Source of notebooks/22_privacy_leakage.ipynb (Chapter 2.2, Privacy leakage)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

cells = [
md(r"""
# 2.2 Privacy leakage: what a trained RNN gives away

The source article's second threat is privacy: an attacker who can query a trained model
infers personal information (names, addresses, phone numbers) that was in its training data,
from nothing but the model's outputs. This chapter measures that leakage on real recurrent
models, in two forms:

- **{term}`membership inference <Membership inference (成员推断攻击)>`**: given a record,
  was it in the training set? The answer alone can
  be sensitive (a patient's record in a model trained on one hospital's cancer cases);
  {cite}`shokri2017membership` showed that black-box access to a classifier's outputs is
  enough to tell;
- **memorisation and extraction**: a language model trained on text that contained a secret,
  say a phone number, can reproduce it when prompted with the words that preceded it
  {cite}`carlini2019secret,carlini2021extracting`.

All models here are trained without any defence; Chapter 6.1 shows what differential privacy buys
against exactly these attacks.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- run the loss-threshold, shadow-model and likelihood-ratio (LiRA) membership attacks against
  a recurrent classifier with `rnnsec`, and read their ROC curves on log-log axes;
- explain why the TPR at a low FPR, not the AUC, tells how dangerous an attack is, and why
  LiRA's per-record calibration raises it;
- find the records a model leaks most;
- plant canaries in a text corpus, measure their exposure, and extract a planted phone number
  from a character-level LSTM by beam search, for an English and a Chinese record.
```

```{admonition} Threat model of this chapter
:class: important
- **Attacker's goal:** (a) *membership*: decide whether a given record (a review snippet, a
  speech recording) was in the target model's training set; (b) *extraction*: recover a secret
  (a phone number) that appeared in the training text of a language model.
- **Attacker's knowledge:** black-box: the model's output scores (logits or probabilities)
  for any input it submits, never its weights or gradients. For the shadow-model attacks it
  also knows the training recipe (architecture, optimiser, epochs) and holds records from the
  same distribution. For extraction it knows the context before the secret
  (`"my phone number is "`) and the secret's format (how many digits).
- **Attacker's capability:** unlimited queries and enough computation to train a handful of
  models of the target's size.
- **Out of scope here:** white-box attacks on gradients, poisoning the training data to make
  it leak more, and every defence (differential privacy: Chapters 3.2 and 6.1).
```
"""),
code("""
import math
import time

import numpy as np

import rnnsec
from rnnsec import data, models, plots
from rnnsec.book import glue
from rnnsec.compat import keras
from rnnsec.privacy import attacks, extraction

rnnsec.set_seed(0)
profile = rnnsec.config.get_profile()
# Chapter sizes: the CPU profile runs in about two minutes, the full one on a GPU.
SIZES = {"cpu": dict(rt_fraction=0.4, rt_epochs=6, vowel_epochs=15, lm_epochs=6, lm_units=128),
         "full": dict(rt_fraction=1.0, rt_epochs=10, vowel_epochs=30, lm_epochs=20,
                      lm_units=256)}[profile.name]
print(profile)
print(SIZES)
"""),
md(r"""
## 2.2.1 Membership inference against an overfit text classifier

The membership question is a game between a challenger and an attacker
{cite}`yeom2018privacy`.

```{prf:definition} Membership inference experiment and advantage
:label: def-mia
The challenger trains a model $f$ on a set $S$ of records drawn from a distribution
$\mathcal{D}$. It flips a fair coin $b$; if $b = 1$ it hands the attacker a random record
of $S$, otherwise a fresh record of $\mathcal{D}$. The attacker, who may query $f$, outputs a
guess $\hat b$. A threshold attack outputs $\hat b = 1$ when its score $s(z)$ is at least
$t$; over all $t$ its true and false positive rates trace the ROC curve, and its
**membership advantage** is $\max_t \big(\mathrm{TPR}(t) - \mathrm{FPR}(t)\big)$: 0 for a
guess, 1 for an attacker who is always right.
```

The simplest score is the model's loss on the record: training drives the loss of the
training records down, so a low loss suggests a member. This **loss-threshold attack** of
{cite}`yeom2018privacy` needs nothing but the model's output on the record.

Our target is the book's text classifier (an `Embedding` followed by `LSTM(64)` and a dense
layer) trained on a share of the Rotten Tomatoes critic snippets {cite}`pang2005seeing`
until it fits them perfectly. The loader splits the snippets 50/50: training snippets are
the *members*; held-out snippets from the same source are the *non-members*.
"""),
code("""
rt, tokenizer = data.load_rotten_tomatoes(fraction=SIZES["rt_fraction"])
print(rt)
rt_model = models.text_classifier(tokenizer.vocab_size)
rt_model.compile(keras.optimizers.Adam(2e-3),
                 keras.losses.SparseCategoricalCrossentropy(from_logits=True))
rt_model.fit(rt.x_train, rt.y_train, epochs=SIZES["rt_epochs"], batch_size=64, verbose=0)

# The candidates: every training snippet (member) and every held-out snippet (non-member).
x_rt, y_rt, member_rt = attacks.membership_candidates(rt.x_train, rt.y_train,
                                                      rt.x_test, rt.y_test)
texts_rt = rt.info["texts_train"] + rt.info["texts_test"]
logits_rt = attacks.model_logits(rt_model, x_rt, batch_size=512)  # [N, 2]
correct = logits_rt.argmax(axis=1) == y_rt
rt_train_acc, rt_test_acc = float(correct[member_rt].mean()), float(correct[~member_rt].mean())
print(f"accuracy on members {rt_train_acc:.3f}, on non-members {rt_test_acc:.3f}")
glue("rt_members", int(member_rt.sum()))
glue("rt_train_acc", round(rt_train_acc, 3))
glue("rt_test_acc", round(rt_test_acc, 3))
"""),
code("""
loss_rt = attacks.per_example_loss(logits_rt, y_rt)  # [N] nats
rt_attack = attacks.loss_threshold_attack_from_losses(loss_rt, member_rt)
print(rt_attack)
glue("rt_auc", round(rt_attack.auc, 3))
glue("rt_adv", round(rt_attack.result.advantage, 3))
glue("rt_tpr1", round(rt_attack.tpr_at(0.01), 3))
glue("rt_tpr01", round(rt_attack.tpr_at(0.001), 3))
plots.mechanism_histograms(
    {"members (training snippets)": np.log10(loss_rt[member_rt]),
     "non-members (held-out snippets)": np.log10(loss_rt[~member_rt])},
    bins=60, xlabel="log10 of the cross-entropy loss (nats)",
    title="Rotten Tomatoes: the LSTM's loss on members and non-members");
"""),
check("""
assert rt_train_acc >= 0.97, rt_train_acc      # the target fits its training snippets
assert rt_train_acc - rt_test_acc >= 0.15, (rt_train_acc, rt_test_acc)   # and overfits
assert rt_attack.auc > 0.6, rt_attack
assert rt_attack.tpr_at(0.01) > 0.01, rt_attack   # better than guessing at 1% FPR
assert np.median(loss_rt[member_rt]) < 0.1 * np.median(loss_rt[~member_rt])
"""),
md(r"""
The classifier fits its {glue:text}`rt_members:,d` training snippets with
{glue:text}`rt_train_acc:.1%` accuracy but gets only {glue:text}`rt_test_acc:.1%` of the
held-out ones right. Its loss on members is orders of magnitude lower than on non-members,
and the loss threshold separates them with an AUC of {glue:text}`rt_auc` (0.5 is guessing)
and a membership advantage of {glue:text}`rt_adv`.

AUC averages over all thresholds, including those that accuse half the population. An
attacker who must be *confident* works at a low false positive rate: at 1% FPR the loss
threshold identifies {glue:text}`rt_tpr1:.1%` of the members, at 0.1% FPR
{glue:text}`rt_tpr01:.1%`. {cite}`carlini2022membership` therefore plot the ROC on log-log
axes, where that low-FPR corner is visible, and report the TPR there.
"""),
code("""
plots.roc_curves({"loss threshold, Rotten Tomatoes LSTM": rt_attack},
                 title="Membership inference ROC (log-log)");
"""),
md(r"""
### Which snippets leak most?

Every attack in `rnnsec.privacy.attacks` returns its per-record scores, so we can ask which
members it is surest about. Here are the three highest-scored members, and the two
highest-scored *non-members* (the attack's most confident false alarms); only the first
words of each snippet are shown.
"""),
code("""
def excerpt(i, words=12):
    w = texts_rt[i].split()
    return " ".join(w[:words]) + (" ..." if len(w) > words else "")

top_members = rt_attack.most_exposed(3)
top_all = rt_attack.most_exposed(len(member_rt), members_only=False)
false_alarms = [i for i in top_all if not member_rt[i]][:2]
for i in top_members:
    print(f"member     loss {loss_rt[i]:.1e}  {excerpt(i)!r}")
for i in false_alarms:
    print(f"non-member loss {loss_rt[i]:.1e}  {excerpt(i)!r}")
top20_nonmembers = int((~member_rt[top_all[:20]]).sum())
print(f"non-members among the 20 snippets the attack is surest about: {top20_nonmembers}")
glue("rt_top20_non", top20_nonmembers)
"""),
md(r"""
Among the 20 snippets the attack is surest about, {glue:text}`rt_top20_non` are non-members.
A low loss says only that the model is sure of the label, and for a clear-cut snippet it
would be sure whether or not it had seen it: such *easy* records are the false alarms that
keep the TPR at 0.1% FPR low. The loss threshold compares every record
with one global threshold; the next attacks calibrate the comparison record by record.

## 2.2.2 Shadow models and LiRA on a speech RNN

{cite}`shokri2017membership` turn membership inference into supervised learning. The
attacker trains **shadow models** that imitate the target (same architecture and recipe) on
data it holds, so it knows which records each shadow trained on; a classifier learns to tell
the shadows' training records from the others by their output vectors, and is then applied
to the target's outputs.

{cite}`carlini2022membership` go one step further: for each *record*, compare how the models
that trained on it (IN) and the models that did not (OUT) score it. The statistic is the
logit-scaled confidence of the true class, $\phi = \log\frac{p_y}{1 - p_y}$, which is close
to Gaussian across models; each record gets two Gaussians, and the attack asks which one
explains the target's $\phi$ better.

```{prf:theorem} Neyman-Pearson lemma
:label: thm-neyman-pearson
To decide between two hypotheses $H_{\text{in}}$ and $H_{\text{out}}$ about an observation
$\phi$ with densities $p_{\text{in}}$ and $p_{\text{out}}$, the test that answers "in" when
$\Lambda(\phi) = p_{\text{in}}(\phi) / p_{\text{out}}(\phi) \ge t$ has the highest true
positive rate among all tests whose false positive rate is at most its own.
```

```{prf:proof}
Let $R = \{\Lambda \ge t\}$ be the likelihood-ratio test's acceptance region and $R'$ any
other with $P_{\text{out}}(R') \le P_{\text{out}}(R)$. On $R \setminus R'$,
$p_{\text{in}} \ge t\,p_{\text{out}}$; on $R' \setminus R$, $p_{\text{in}} < t\,p_{\text{out}}$.
So $P_{\text{in}}(R) - P_{\text{in}}(R') = \int_{R \setminus R'} p_{\text{in}} -
\int_{R' \setminus R} p_{\text{in}} \ge t\big(P_{\text{out}}(R) - P_{\text{out}}(R')\big) \ge 0$.
```

LiRA (the likelihood-ratio attack) applies the lemma per record with Gaussian fits
$\mathcal{N}(\mu_{\text{in}}, \sigma_{\text{in}}^2)$ and
$\mathcal{N}(\mu_{\text{out}}, \sigma_{\text{out}}^2)$ estimated from shadow models. The
*online* variant trains shadows on random halves of the candidate records, so that each
record is IN for half of them; the *offline* variant uses only the OUT models and asks how far
$\phi$ lies above $\mu_{\text{out}}$. With a handful of shadows, one standard deviation shared
by all records is more stable than one per record.

The target here is a speaker-identification LSTM on JapaneseVowels
{cite}`kudo1999multidimensional,bagnall2018uea`: all 640 utterances form the candidate pool
and a random half trains the target. Training a shadow model costs as much as training the
target, so the recipe is kept small: the padding is moved to the front of each utterance, so
the LSTM ends on real frames and needs no `Masking` layer, whose masked time loop is slower
on a CPU.
The same shadow models serve the shadow-model attack and LiRA.
"""),
code("""
vowels = data.load_japanese_vowels()
x_v = np.concatenate([vowels.x_train, vowels.x_test])
y_v = np.concatenate([vowels.y_train, vowels.y_test])
lengths_v = np.concatenate([vowels.lengths_train, vowels.lengths_test])
# Padding to the front: the last step the LSTM reads is the utterance's last real frame.
x_v = np.stack([np.roll(seq, x_v.shape[1] - n, axis=0) for seq, n in zip(x_v, lengths_v)])
rng = np.random.default_rng(0)
member_v = np.zeros(len(y_v), bool)
member_v[rng.permutation(len(y_v))[: len(y_v) // 2]] = True


def build_speaker_model():
    model = models.sequence_classifier(x_v.shape[1:], vowels.num_classes, units=profile.units)
    model.compile(keras.optimizers.Adam(5e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


keras.utils.set_random_seed(0)
speaker = build_speaker_model()
speaker.fit(x_v[member_v], y_v[member_v], epochs=SIZES["vowel_epochs"], batch_size=32, verbose=0)
pred_v = attacks.model_logits(speaker, x_v).argmax(axis=1)
v_train_acc = float(np.mean(pred_v[member_v] == y_v[member_v]))
v_test_acc = float(np.mean(pred_v[~member_v] == y_v[~member_v]))
print(f"speaker model: accuracy {v_train_acc:.3f} on members, {v_test_acc:.3f} on non-members")
shadows = attacks.train_shadow_models(build_speaker_model, x_v, y_v, profile.shadow_models,
                                      epochs=SIZES["vowel_epochs"], batch_size=32, seed=1,
                                      progress=False)
print(shadows)
glue("v_train_acc", round(v_train_acc, 3))
glue("v_test_acc", round(v_test_acc, 3))
glue("n_shadow", shadows.n_shadow)
"""),
code("""
v_attacks = {
    "loss threshold": attacks.loss_threshold_attack(speaker, x_v, y_v, member_v),
    "shadow models": attacks.shadow_model_attack(speaker, x_v, y_v, member_v, shadows),
    "LiRA offline": attacks.lira_attack(speaker, x_v, y_v, member_v, shadows, online=False),
    "LiRA online": attacks.lira_attack(speaker, x_v, y_v, member_v, shadows),
}
print(f"{'attack':<16}{'AUC':>7}{'advantage':>11}{'TPR@1%FPR':>11}{'TPR@10%FPR':>12}")
for label, out in v_attacks.items():
    print(f"{label:<16}{out.auc:>7.3f}{out.result.advantage:>11.3f}"
          f"{out.tpr_at(0.01):>11.3f}{out.tpr_at(0.1):>12.3f}")
for key, label in (("thr", "loss threshold"), ("shadow", "shadow models"),
                   ("off", "LiRA offline"), ("on", "LiRA online")):
    glue(f"v_auc_{key}", round(v_attacks[label].auc, 3))
    glue(f"v_tpr1_{key}", round(v_attacks[label].tpr_at(0.01), 3))
    glue(f"v_tpr10_{key}", round(v_attacks[label].tpr_at(0.1), 3))
plots.roc_curves({"Rotten Tomatoes, loss threshold": rt_attack,
                  **{f"JapaneseVowels, {k}": v for k, v in v_attacks.items()}},
                 title="Membership inference ROC (log-log)");
"""),
check("""
assert v_train_acc == 1.0 and v_test_acc >= 0.85, (v_train_acc, v_test_acc)
for label, out in v_attacks.items():
    assert out.auc > 0.53, (label, out)
lira, thr = v_attacks["LiRA online"], v_attacks["loss threshold"]
assert lira.auc > thr.auc, (lira, thr)
assert lira.tpr_at(0.01) > 2 * thr.tpr_at(0.01), (lira, thr)
assert lira.tpr_at(0.1) > thr.tpr_at(0.1) + 0.03, (lira, thr)
assert shadows.accuracy()[0] > 0.98      # the shadows overfit as the target does
"""),
md(r"""
The speaker model generalises far better than the text classifier
({glue:text}`v_train_acc:.1%` on members, {glue:text}`v_test_acc:.1%` on non-members), and
the loss threshold gains correspondingly little: AUC {glue:text}`v_auc_thr`, and at 1% FPR
it finds {glue:text}`v_tpr1_thr:.1%` of the members. The shadow-model classifier learns one
global rule from the shadows (AUC {glue:text}`v_auc_shadow`). LiRA, with only
{glue:text}`n_shadow` shadow models, calibrates every record: online it finds
{glue:text}`v_tpr1_on:.1%` of the members at 1% FPR and {glue:text}`v_tpr10_on:.1%` at 10%
FPR (loss threshold: {glue:text}`v_tpr10_thr:.1%`), offline {glue:text}`v_tpr1_off:.1%` and
{glue:text}`v_tpr10_off:.1%`. On a model whose average leakage is small, the per-record
comparison is what finds the few records it does leak.
{cite}`carlini2022membership` train hundreds of shadow models; the attack gets stronger with
more (`RNNSEC_FULL=1` trains more).

## 2.2.3 Canaries: does the model remember a phone number?

Membership inference asks about whole records. A language model can leak *parts* of its
training text verbatim. {cite}`carlini2019secret` measure this with
**{term}`canaries <Canary (金丝雀)>`**: random
secrets of a fixed format, such as `"my phone number is 328-711"`, inserted into the
training text a chosen number of times. Because the secret is random, any preference of the
model for it over the other secrets of the same format can only come from memorisation.

```{prf:definition} Log-perplexity and exposure
:label: def-exposure
For a prefix $p$ and a secret $s = s_1 \dots s_k$, the **log-perplexity** is
$\mathrm{Px}(s) = \sum_{i=1}^{k} -\log_2 \Pr[s_i \mid p, s_1, \dots, s_{i-1}]$ (bits).
Let $R$ be the set of all secrets of the format and $\mathrm{rank}(s)$ the position of $s$
when $R$ is sorted by log-perplexity (1 = most likely). The **{term}`exposure <Exposure (暴露度)>`**
of $s$ is
$\log_2 |R| - \log_2 \mathrm{rank}(s)$: 0 for the least likely secret, $\log_2 |R|$ for the
most likely one.
```

Exposure has a second reading: if it is $e$ bits, an attacker who guesses secrets in the
model's order finds this one after about $|R| \cdot 2^{-e}$ guesses. When $R$ is too large
to enumerate, a skew-normal fitted to the log-perplexities of a random sample of $R$
extrapolates the rank. For our six-digit format $|R| = 10^6$, and
`rnnsec.privacy.extraction` enumerates it exactly by walking the tree of digit choices from
the prefix, one recurrent step per node of the tree (about $1.1 \times 10^5$ steps, instead
of $10^6$ whole sequences).

We take a slice of Shakespeare and insert ten English canaries: two never, two once, and two
each 4, 16 and 64 times. The never-inserted ones show the exposure of a secret the model has
not seen. In the source article's setting, we also plant a synthetic Chinese record (made by
Faker, so no real person's): a name followed by "的手机号码是" ("'s mobile number is") and an
11-digit mobile number, 64 times.
"""),
code("""
text = data.load_shakespeare(profile.corpus_chars)
repetitions = [0, 1, 4, 16, 64]
canaries = data.make_canaries(2 * len(repetitions), prefix="my phone number is ",
                              secret_format="###-###", seed=0)
inserted = [r for r in repetitions for _ in range(2)]
record = data.personal_records(1, locale="zh_CN", seed=0)[0]
zh_canary = data.Canary(f"{record['name']}的手机号码是", record["phone"], "1" + "#" * 10)
corpus, counts = data.insert_canaries(text, canaries + [zh_canary], inserted + [64], seed=0)
vocab = data.CharVocab.fit(corpus, "0123456789")
x_lm, y_lm = data.char_windows(vocab.encode(corpus), seq_len=100)
print(f"{len(corpus):,} characters, {vocab.size} distinct, {len(x_lm):,} windows of 100")
lm = models.char_language_model(vocab.size, units=SIZES["lm_units"])
lm.compile(keras.optimizers.Adam(1e-2),
           keras.losses.SparseCategoricalCrossentropy(from_logits=True))
lm_history = lm.fit(x_lm, y_lm, epochs=SIZES["lm_epochs"], batch_size=64, verbose=0)
lm_loss = lm_history.history["loss"][-1]
print(f"final training loss {lm_loss:.3f} nats/character ({lm_loss / math.log(2):.2f} bits)")
glue("corpus_chars", len(corpus))
glue("lm_bits", round(lm_loss / math.log(2), 2))
"""),
code("""
started = time.perf_counter()
exposures = extraction.canary_exposures(lm, vocab, canaries)  # one enumeration of 10^6 secrets
exposure_seconds = time.perf_counter() - started
print(f"exact exposure of {len(canaries)} canaries among 10^6 candidates: "
      f"{exposure_seconds:.1f} s")
for reps, res in zip(inserted, exposures):
    print(f"{reps:>3} insertions: {res}")
mean_exposure = {r: float(np.mean([e.exposure for e, n in zip(exposures, inserted) if n == r]))
                 for r in repetitions}
max_exposure = exposures[0].max_exposure
for r in repetitions:
    glue(f"exp_{r}", round(mean_exposure[r], 1))
glue("max_exposure", round(max_exposure, 1))
glue("exposure_seconds", round(exposure_seconds, 1))
plots.exposure_vs_insertions({"English canaries": (inserted, [e.exposure for e in exposures])},
                             max_exposure=max_exposure);
"""),
check("""
assert all(e.method == "exact" for e in exposures)
assert mean_exposure[64] > mean_exposure[16] > mean_exposure[1], mean_exposure
assert mean_exposure[16] > mean_exposure[0] + 2, mean_exposure
assert mean_exposure[64] > mean_exposure[0] + 10, mean_exposure
assert mean_exposure[0] < 7, mean_exposure           # unseen secrets rank like random ones
"""),
md(r"""
Secrets the model never saw have a mean exposure of {glue:text}`exp_0` bits (a random rank
gives about $1/\ln 2 \approx 1.4$ bits on average; see the exercises). Exposure then grows
with the number of insertions: {glue:text}`exp_4` bits after 4, {glue:text}`exp_16` after 16
and {glue:text}`exp_64` after 64, out of a maximum of {glue:text}`max_exposure` bits for
$10^6$ candidates, although each canary makes up a tiny share of the
{glue:text}`corpus_chars:,d` characters and the model is far from fitting the text as a
whole ({glue:text}`lm_bits` bits per character). Scoring all $10^6$ candidates and ranking the
ten canaries took {glue:text}`exposure_seconds` s. The histogram below places the canaries
among all the candidates.
"""),
code("""
most = [i for i, n in enumerate(inserted) if n == 64]
plots.mechanism_histograms(
    {"all 10^6 candidate secrets": exposures[0].reference_log_perplexities},
    bins=80, xlabel="log-perplexity after 'my phone number is ' (bits)",
    vlines={f"inserted {inserted[i]}x: {canaries[i].secret}": exposures[i].log_perplexity
            for i in (0, 4, 6, most[0])},
    title="Where the canaries rank among all candidates");
"""),
md(r"""
### Extracting the secret

Exposure assumes we know the secret and ask how it ranks. An attacker does not, but it can
search: starting from the prefix, extend the partial secret digit by digit and keep the
`beam_width` most likely partial secrets at each step. This needs only the model's
next-character probabilities.
"""),
code("""
found = extraction.beam_search_extract(lm, vocab, "my phone number is ", "###-###", beam_width=16)
print(found)
planted = {c.secret for c, n in zip(canaries, inserted) if n > 0}
print("candidates that were planted:", [(c, n) for c in found.candidates[:8]
                                         for cc, n in zip(canaries, inserted) if cc.secret == c])
glue("extracted", found.best)
glue("extracted_bits", round(float(found.log_perplexities[0]), 1))
glue("third_gap", round(float(found.log_perplexities[2] - found.log_perplexities[1]), 1))
plots.ranked_candidates(found.candidates[:10], found.log_perplexities[:10], planted=planted,
                        title="Beam search after 'my phone number is '");
"""),
check("""
top64 = {canaries[i].secret for i in most}
assert found.best in top64, (found, top64)
assert set(found.candidates[:2]) == top64, found
assert found.log_perplexities[2] - found.log_perplexities[1] > 1, found
"""),
md(r"""
The best candidate the search returns, {glue:text}`extracted`, at
{glue:text}`extracted_bits` bits, is one of the two secrets inserted 64 times, and the other
comes second; the third candidate's log-perplexity is already {glue:text}`third_gap` bits
higher than the second's. None of the secrets inserted 16 times or fewer is among the top
two: with this much training, the model gives away the frequent secrets.

### A Chinese record

The same attack on the planted zh_CN record: the prefix is the person's name and
"的手机号码是", the format a Chinese mobile number (1 followed by ten digits, $10^{10}$
candidates: too many to enumerate, so exposure is extrapolated from 2,000 random ones).
"""),
code("""
zh_exposure = extraction.canary_exposure(lm, vocab, zh_canary, n_references=2000, seed=0)
print(zh_exposure)
zh_found = extraction.beam_search_extract(lm, vocab, zh_canary.prefix, zh_canary.secret_format,
                                          beam_width=64)
print(zh_found)
print("planted:", zh_canary.text, "| found at beam position:", zh_found.rank_of(zh_canary.secret))
glue("zh_exposure", round(zh_exposure.exposure, 1))
glue("zh_max", round(zh_exposure.max_exposure, 1))
glue("zh_rank", zh_found.rank_of(zh_canary.secret) or 0)
plots.ranked_candidates(zh_found.candidates[:8], zh_found.log_perplexities[:8],
                        planted={zh_canary.secret},
                        title="Beam search after the planted name and prefix");
"""),
check("""
assert zh_exposure.method == "extrapolated" and zh_exposure.exposure > 12, zh_exposure
assert zh_found.rank_of(zh_canary.secret) is not None and zh_found.rank_of(zh_canary.secret) <= 3
"""),
md(r"""
The Chinese mobile number has an extrapolated exposure of {glue:text}`zh_exposure` bits (out
of {glue:text}`zh_max` for $10^{10}$ candidates), and beam search, knowing only the name and
the format, puts it at position {glue:text}`zh_rank` of its candidates: the model gives away
the phone number of a person whose record it was trained on, which is the source article's
scenario.

## Summary

- An overfit LSTM text classifier leaks membership: a loss threshold reaches AUC
  {glue:text}`rt_auc` on Rotten Tomatoes and {glue:text}`rt_tpr1:.1%` TPR at 1% FPR.
- TPR at low FPR on a log-log ROC is the measure that matters. LiRA's per-record Gaussian
  fits from only {glue:text}`n_shadow` shadow models beat the loss threshold on a well
  generalising speech model (AUC {glue:text}`v_auc_on` against {glue:text}`v_auc_thr`).
- A character LSTM memorises canaries in proportion to how often they appear: exposure rises
  from {glue:text}`exp_0` bits (unseen) to {glue:text}`exp_64` bits (64 insertions), and beam
  search extracts the most-inserted phone numbers and a planted Chinese mobile number from
  the prefix alone.

## Exercises

```{exercise}
:label: ex-2-2-1
*Random rank.* Show that if a secret's rank is uniform on $\{1, \dots, N\}$, its expected
exposure tends to $1/\ln 2 \approx 1.44$ bits as $N$ grows. Check it by simulation with
$N = 10^6$, store the simulated mean exposure in `sim_exposure` and run
`check.exercise("2.2-1", sim_exposure)`; compare it with the never-inserted canaries above.
```

```{solution-start} ex-2-2-1
:class: dropdown
```
$\mathbb{E}[\log_2 N - \log_2 R] = \log_2 N - \frac{1}{N}\sum_{r=1}^{N} \log_2 r
= \log_2 N - \frac{\log_2 N!}{N}$, and by Stirling $\log_2 N! = N \log_2 N - N/\ln 2 +
O(\log N)$, so the expectation tends to $1/\ln 2$.
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
sim_rng = np.random.default_rng(1)
N = 10**6
ranks = sim_rng.integers(1, N + 1, size=100_000)
sim_exposure = float(np.mean(np.log2(N) - np.log2(ranks)))
print(f"simulated mean exposure {sim_exposure:.3f} bits, "
      f"limit {1 / math.log(2):.3f}; never-inserted canaries: {mean_exposure[0]:.2f}")
# END SOLUTION
check.exercise("2.2-1", sim_exposure)
"""),
md(r"""
Two canaries are a small sample, so their mean exposure scatters around 1.44 bits.
```{solution-end}
```

```{exercise}
:label: ex-2-2-2
*How wide a beam?* Find the smallest beam width in 1, 2, 4, 8, 16 with which beam search
still returns a 64-times-inserted secret first, and the smallest with which it finds the
Chinese number at all. Store them in a dict `widths = {"english": ..., "chinese": ...}` and
run `check.exercise("2.2-2", widths, model=lm, vocab=vocab, prefix="my phone number is ",
secret_format="###-###", top_secrets=top64, zh_canary=zh_canary)`.
```

```{solution-start} ex-2-2-2
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
widths = {"english": None, "chinese": None}
for width in (1, 2, 4, 8, 16):
    en = extraction.beam_search_extract(lm, vocab, "my phone number is ", "###-###",
                                        beam_width=width)
    zh = extraction.beam_search_extract(lm, vocab, zh_canary.prefix, zh_canary.secret_format,
                                        beam_width=width)
    print(f"beam {width:>2}: English best {en.best} (inserted 64x: {en.best in top64}); "
          f"Chinese number found at position {zh.rank_of(zh_canary.secret)}")
    if widths["english"] is None and en.best in top64:
        widths["english"] = width
    if widths["chinese"] is None and zh.rank_of(zh_canary.secret) is not None:
        widths["chinese"] = width
# END SOLUTION
check.exercise("2.2-2", widths, model=lm, vocab=vocab, prefix="my phone number is ",
               secret_format="###-###", top_secrets=top64, zh_canary=zh_canary)
"""),
md(r"""
A memorised secret is the most likely continuation at almost every digit, so even a narrow
beam (often greedy decoding, width 1) finds it; a wider beam matters for weakly memorised
secrets, whose digits are not all first choices.
```{solution-end}
```

```{exercise}
:label: ex-2-2-3
*Exact or extrapolated exposure?* Compute the exposure of the ten English canaries with
`extraction.canary_exposures(..., exact=False, n_references=2000)`, store the ten exposures
(numbers, in the canaries' order) in `approx_exposure` and run `check.exercise("2.2-3",
approx_exposure, exact_exposures=[e.exposure for e in exposures], model=lm, vocab=vocab,
canaries=canaries)`. Compare with the exact values: where do they disagree, and why?
```

```{solution-start} ex-2-2-3
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
approx = extraction.canary_exposures(lm, vocab, canaries, exact=False, n_references=2000)
approx_exposure = [ap.exposure for ap in approx]
for reps, ex_, ap in zip(inserted, exposures, approx_exposure):
    print(f"{reps:>3} insertions: exact {ex_.exposure:5.2f}  extrapolated {ap:5.2f}")
# END SOLUTION
check.exercise("2.2-3", approx_exposure, exact_exposures=[e.exposure for e in exposures],
               model=lm, vocab=vocab, canaries=canaries)
"""),
md(r"""
For secrets inside the bulk of the distribution the two agree closely. They part for the most
exposed canaries, in either direction: the exact value is capped at
$\log_2 10^6 \approx 19.9$ bits (rank 1), while the extrapolation reads the far tail of a
skew-normal fitted to 2,000 samples, none of which comes near the canary. Use the exact
value whenever the space can be enumerated.
```{solution-end}
```

```{exercise}
:label: ex-2-2-4
*Who is exposed by LiRA but not by the loss?* Among the speaker-model members, count how many
LiRA (online) flags at a threshold with at most 10% FPR, how many the loss threshold flags,
and how many both flag. Store the counts in a dict `flags = {"lira": ..., "loss": ...,
"both": ...}` and run `check.exercise("2.2-4", flags, lira=v_attacks["LiRA online"],
loss=v_attacks["loss threshold"])`.
```

```{solution-start} ex-2-2-4
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
def flagged(out, fpr=0.1):
    threshold = np.quantile(out.scores[~out.is_member], 1 - fpr)  # FPR <= 10% on non-members
    return set(np.flatnonzero(out.is_member & (out.scores > threshold)))

by_lira, by_loss = flagged(v_attacks["LiRA online"]), flagged(v_attacks["loss threshold"])
flags = {"lira": len(by_lira), "loss": len(by_loss), "both": len(by_lira & by_loss)}
print(f"LiRA flags {len(by_lira)} members, the loss threshold {len(by_loss)}, both "
      f"{len(by_lira & by_loss)}")
# END SOLUTION
check.exercise("2.2-4", flags, lira=v_attacks["LiRA online"], loss=v_attacks["loss threshold"])
"""),
md(r"""
The two attacks flag partly different members: the loss threshold favours records that are
easy for every model, LiRA those on which the target is *more* confident than models that
never saw them.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks" / "22_privacy_leakage.ipynb"))

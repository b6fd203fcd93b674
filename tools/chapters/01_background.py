"""Source of notebooks/01_background.ipynb (Chapter 1, Background)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

cells = [
md("""
# 1. Background: why recurrent networks need to be robust and private

{term}`Recurrent neural networks <Recurrent neural network (循环神经网络, RNN)>` (RNNs) read a sequence one step at a time and carry a memory, the
hidden state, from step to step. That makes them natural models of language, speech, sensor
readings and translation {cite}`hochreiter1997long,cho2014learning`. This chapter trains two
small RNNs on real data in well under a minute, then shows the two problems this book is about:
an imperceptibly small, deliberately chosen change to the input flips their predictions, and a
trained model behaves measurably differently on the records it was trained on.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- build and train the source article's model, `LSTM(64)` followed by `Dense(10)`, with `rnnsec`;
- explain what an {term}`adversarial example <Adversarial example (对抗样本)>` is and run the fast gradient sign method (FGSM) against
  a recurrent classifier, including one that reads variable-length sequences;
- tell an adversarial perturbation from random noise of the same size, by measurement;
- say why robustness and privacy matter where RNNs are deployed (driving, medicine).
```

```{admonition} Threat model of this chapter
:class: important
- **Attacker's goal:** make the model misclassify (untargeted evasion at test time).
- **Attacker's knowledge:** white-box: the model's weights and gradients.
- **Attacker's capability:** change every feature of every (real) time step by at most
  $\\epsilon$ in the $L_\\infty$ norm; padding and the sequence length stay as they are.
- **Out of scope here:** black-box attacks, discrete text, training-time attacks (Chapter 2).
```
"""),
code("""
import numpy as np

import rnnsec
from rnnsec import data, models, plots
from rnnsec.adversarial import fgsm
from rnnsec.book import glue
from rnnsec.compat import keras

rnnsec.set_seed(0)
profile = rnnsec.config.get_profile()
print(profile)
"""),
md("""
## 1.1 Why RNNs: a sequence model in under a minute

The source article's model is an LSTM with 64 units followed by a dense layer with 10 outputs.
Its data are not named; we use the ten-class handwritten digits that ship with scikit-learn
{cite}`alpaydin1998optical`, read **row by row**: each 8x8 image becomes a sequence of 8 time
steps with 8 features each, so the LSTM must remember the rows it has seen to recognise the
digit. The last layer outputs *logits* (no softmax); the loss applies the softmax itself
(`from_logits=True`), which is numerically safer and is what every attack in this book
differentiates.
"""),
code("""
digits = data.load_digits_sequences()
print(digits)
print("pixel range:", digits.x_train.min(), "to", digits.x_train.max())
"""),
code("""
def compile_classifier(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model

article_model = compile_classifier(models.sequence_classifier((8, 8), 10))  # LSTM(64) + Dense(10)
article_model.summary()
history = article_model.fit(digits.x_train, digits.y_train, epochs=2 * profile.epochs,
                            batch_size=profile.batch_size,
                            validation_data=(digits.x_test, digits.y_test), verbose=0)
digits_acc = article_model.evaluate(digits.x_test, digits.y_test, verbose=0)[1]
print(f"test accuracy after {len(history.history['loss'])} epochs: {digits_acc:.3f}")
glue("digits_acc", round(digits_acc, 3))
glue("digits_epochs", len(history.history["loss"]))
"""),
code("""
plots.training_curves(history.history, title="LSTM(64) + Dense(10) on row-wise digits");
"""),
check("""
assert digits_acc >= 0.85, f"the article's model should reach 85% on digits, got {digits_acc}"
"""),
md("""
After {glue:text}`digits_epochs` epochs the article's model classifies
{glue:text}`digits_acc:.1%` of the held-out digits correctly.

A second, more typical sequence task: **speaker identification** from speech. In the
JapaneseVowels data {cite}`kudo1999multidimensional,bagnall2018uea`, nine speakers each say the
vowel pair /ae/; an utterance is 7 to 29 frames of 12 LPC cepstrum coefficients. The lengths
vary, so the loader pads every utterance with zeros to 29 frames and the model skips the padding
with a `Masking` layer. Features are standardised, so one unit is one standard deviation of a
coefficient.
"""),
code("""
vowels = data.load_japanese_vowels()
print(vowels)
print("frames per utterance: min", vowels.lengths_train.min(), "max", vowels.lengths_train.max())

speaker_model = compile_classifier(
    models.sequence_classifier((29, 12), vowels.num_classes, masking=True))
speaker_history = speaker_model.fit(vowels.x_train, vowels.y_train, epochs=4 * profile.epochs,
                                    batch_size=profile.batch_size, verbose=0,
                                    validation_data=(vowels.x_test, vowels.y_test))
vowels_acc = speaker_model.evaluate(vowels.x_test, vowels.y_test, verbose=0)[1]
print(f"speaker identification, test accuracy: {vowels_acc:.3f} (chance: {1 / 9:.3f})")
glue("vowels_acc", round(vowels_acc, 3))
"""),
code("""
example = 0
probs = keras.activations.softmax(speaker_model(vowels.x_test[example:example + 1])).numpy()[0]
plots.class_probabilities(probs, vowels.class_names, true_class=int(vowels.y_test[example]),
                          title=f"Who is speaking? (true: {vowels.class_names[vowels.y_test[example]]})");
"""),
check("""
assert vowels_acc >= 0.90, f"speaker identification should reach 90%, got {vowels_acc}"
"""),
md("""
The speaker model identifies the speaker of {glue:text}`vowels_acc:.1%` of the 370 test
utterances (chance is 11.1%).

## 1.2 Why they are fragile: adversarial examples

An **adversarial example** is an input changed so slightly that a person would not notice,
chosen so that the model errs {cite}`szegedy2014intriguing`. The simplest way to choose the
change is the fast gradient sign method ({term}`FGSM <Fast gradient sign method (快速梯度符号法, FGSM)>`) of {cite}`goodfellow2015explaining`: move every
input feature by $\\epsilon$ in the direction that increases the loss,

$$x_{\\text{adv}} = \\operatorname{clip}\\big(x + \\epsilon \\cdot \\operatorname{sign}(\\nabla_x L(f(x), y))\\big),$$

where the clip keeps the result in the valid input range. {cite}`papernot2016crafting` showed
that recurrent networks are just as exposed, and {cite}`fawaz2019adversarial` measured large
drops for time-series classifiers. `rnnsec.adversarial.fgsm` implements the formula (and, for
padded sequences, never touches the padding).

For the digits, a pixel lies in $[0, 1]$ and the original images have 17 grey levels, one level
being $1/16 = 0.0625$. We attack with $\\epsilon = 0.05$: less than one grey level.
"""),
code("""
eps_digits = 0.05
attack = fgsm(article_model, digits.x_test, digits.y_test, eps_digits, clip_min=0.0, clip_max=1.0,
              progress=False)
print(attack)
digits_adv_acc = float(np.mean(attack.pred_adv == digits.y_test))
print(f"accuracy: clean {digits_acc:.3f} -> FGSM(eps={eps_digits}) {digits_adv_acc:.3f}")
glue("digits_eps", eps_digits)
glue("digits_adv_acc", round(digits_adv_acc, 3))
"""),
code("""
flipped = np.flatnonzero(attack.success & (attack.pred_clean == digits.y_test))[0]
plots.images_side_by_side(
    [digits.x_test[flipped], attack.x_adv[flipped],
     (attack.x_adv[flipped] - digits.x_test[flipped]) / (2 * eps_digits) + 0.5],
    [f"original: predicted {attack.pred_clean[flipped]}",
     f"adversarial: predicted {attack.pred_adv[flipped]}",
     f"change (+/-{eps_digits}, grey = 0)"],
    suptitle="One FGSM example on row-wise digits");
"""),
check("""
assert digits_acc - digits_adv_acc >= 0.15, (digits_acc, digits_adv_acc)
assert np.all(np.abs(attack.x_adv - digits.x_test) <= eps_digits + 1e-6)
assert attack.x_adv.min() >= 0.0 and attack.x_adv.max() <= 1.0
"""),
md("""
A change of at most {glue:text}`digits_eps` per pixel lowers the accuracy of the article's
model from {glue:text}`digits_acc:.1%` to {glue:text}`digits_adv_acc:.1%`.

Now the speaker model. We sweep the budget $\\epsilon$ (in standard deviations of each
coefficient) and, as a control, add **random** noise of exactly the same size: every feature
moved by $\\pm\\epsilon$ with a random sign. If the model were merely sensitive to noise, both
would hurt equally.
"""),
code("""
epsilons = [0.0, 0.05, 0.1, 0.25, 0.5, 1.0]
mask = vowels.mask("test")
rng = np.random.default_rng(0)
fgsm_acc, noise_acc = [], []
for eps in epsilons:
    adv = fgsm(speaker_model, vowels.x_test, vowels.y_test, eps, mask=mask, progress=False)
    fgsm_acc.append(float(np.mean(adv.pred_adv == vowels.y_test)))
    noisy = vowels.x_test + eps * rng.choice([-1.0, 1.0], size=vowels.x_test.shape) * mask[..., None]
    noise_pred = speaker_model.predict(noisy.astype("float32"), verbose=0).argmax(axis=1)
    noise_acc.append(float(np.mean(noise_pred == vowels.y_test)))
for eps, a, n in zip(epsilons, fgsm_acc, noise_acc):
    print(f"eps={eps:<5} FGSM accuracy {a:.3f}   random-sign noise accuracy {n:.3f}")
i25 = epsilons.index(0.25)
glue("vowels_fgsm_025", round(fgsm_acc[i25], 3))
glue("vowels_noise_025", round(noise_acc[i25], 3))
"""),
code("""
plots.accuracy_vs_epsilon(epsilons, {"FGSM (white-box)": fgsm_acc,
                                     "random sign noise, same size": noise_acc},
                          chance=1 / 9, xlabel="epsilon (L-inf, standard deviations)",
                          title="Speaker identification under perturbation");
"""),
check("""
assert fgsm_acc[0] == vowels_acc or abs(fgsm_acc[0] - vowels_acc) < 1e-6
assert fgsm_acc[i25] <= vowels_acc - 0.2, fgsm_acc
assert all(b <= a + 0.02 for a, b in zip(fgsm_acc, fgsm_acc[1:])), fgsm_acc
assert (vowels_acc - noise_acc[i25]) < 0.5 * (vowels_acc - fgsm_acc[i25]), (noise_acc, fgsm_acc)
"""),
md("""
At $\\epsilon = 0.25$ standard deviations, FGSM brings speaker identification down to
{glue:text}`vowels_fgsm_025:.1%`, while random noise of exactly the same size leaves it at
{glue:text}`vowels_noise_025:.1%`. The model is not fragile to noise in general; it is fragile
in the particular directions the gradient points to. Below is one utterance before and after the
attack: the padding after the last real frame is untouched.
"""),
code("""
adv = fgsm(speaker_model, vowels.x_test, vowels.y_test, 0.25, mask=mask, progress=False)
k = int(np.flatnonzero(adv.success & (adv.pred_clean == vowels.y_test))[0])
names = vowels.class_names
plots.sequence_perturbation(
    vowels.x_test[k], adv.x_adv[k], length=int(vowels.lengths_test[k]),
    feature_label="LPC coefficient", step_label="frame", value_label="standardised value",
    title=f"{names[adv.pred_clean[k]]} becomes {names[adv.pred_adv[k]]} under FGSM (eps=0.25)");
"""),
check("""
assert np.all(adv.x_adv[mask == 0] == 0.0), "padding must never change"
"""),
md("""
The same fragility has been shown for speech-to-text {cite}`carlini2018audio`; in driving,
small physical stickers made a vision model misread stop signs {cite}`eykholt2018robust`; in
medicine, imperceptible changes flipped diagnoses {cite}`finlayson2019adversarial`. Part III
shows how {term}`adversarial training <Adversarial training (对抗训练)>` makes models resist such changes.

## 1.3 Why leakage matters

A model is fitted to its training records, and it shows. Below we compare the article's
model's loss on the digits it was trained on with its loss on held-out digits. The gap is
the signal that **{term}`membership inference <Membership inference (成员推断攻击)>`** attacks exploit to tell whether a record was in the
training set {cite}`shokri2017membership`; language models can even reproduce rare secrets,
such as a phone number that appeared in their training text {cite}`carlini2019secret,carlini2021extracting`.
"""),
code("""
loss_fn = rnnsec.compat.per_example_loss()
train_loss = loss_fn(digits.y_train, article_model.predict(digits.x_train, verbose=0)).numpy()
test_loss = loss_fn(digits.y_test, article_model.predict(digits.x_test, verbose=0)).numpy()
print(f"mean loss on training digits: {train_loss.mean():.3f}; on held-out digits: {test_loss.mean():.3f}")
glue("train_loss", round(float(train_loss.mean()), 3))
glue("test_loss", round(float(test_loss.mean()), 3))
"""),
check("""
assert train_loss.mean() < test_loss.mean()
"""),
md("""
The mean loss is {glue:text}`train_loss` on training digits and {glue:text}`test_loss` on
held-out ones. Digits are harmless; the records a deployed RNN learns from often are not.
The source article's examples are names, addresses and phone numbers inferred from a model's
outputs, and the same holds for a clinical model trained on patients' records or a driving
model trained on where people go. The book's privacy chapters plant synthetic personal records
like the ones below (made with Faker, so none belongs to a real person; the Chinese records
follow the source article's setting) in training data and measure how much of them leaks.
"""),
code("""
for record in data.personal_records(2, locale="en_US", seed=0) + data.personal_records(2, locale="zh_CN", seed=0):
    print(record["name"], "|", record["phone"], "|", record["address"])
"""),
md("""
## Summary

- An LSTM learns real sequence tasks in seconds on a CPU: the article's `LSTM(64)+Dense(10)`
  reaches {glue:text}`digits_acc:.1%` on row-wise digits and a masked LSTM identifies speakers
  with {glue:text}`vowels_acc:.1%` accuracy.
- One gradient step of size below one grey level (FGSM, $\\epsilon$ = {glue:text}`digits_eps`)
  drops the digits accuracy to {glue:text}`digits_adv_acc:.1%`; random noise of the same size
  barely matters, so the weakness is directional.
- Trained models behave differently on their training records, which is what privacy attacks
  exploit.

## Exercises

```{exercise}
:label: ex-1-1
Find, by bisection over $\\epsilon$, the smallest FGSM budget that halves the speaker model's
test accuracy. Report it in standard deviations and compare it with the typical spread of a
coefficient. Store it in `eps_half` (to within 0.01) and run
`check.exercise("1-1", eps_half, model=speaker_model, x=vowels.x_test, y=vowels.y_test, mask=mask)`.
```

```{solution-start} ex-1-1
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
low, high = 0.0, 1.0
target = vowels_acc / 2
for _ in range(8):
    mid = (low + high) / 2
    acc = np.mean(fgsm(speaker_model, vowels.x_test, vowels.y_test, mid, mask=mask,
                       progress=False).pred_adv == vowels.y_test)
    low, high = (mid, high) if acc > target else (low, mid)
eps_half = high
print(f"FGSM halves the accuracy at about eps = {eps_half:.3f} standard deviations")
# END SOLUTION
check.exercise("1-1", eps_half, model=speaker_model, x=vowels.x_test, y=vowels.y_test, mask=mask)
"""),
md("""
A change of well under half a standard deviation per coefficient is enough: the attack exploits
directions, not magnitude.
```{solution-end}
```

```{exercise}
:label: ex-1-2
Replace the LSTM of the article's model by a GRU {cite}`cho2014learning`
(`models.sequence_classifier((8, 8), 10, cell="gru")`), train it the same way, and compare its
clean and FGSM ($\\epsilon = 0.05$) accuracy with the LSTM's. Is the GRU more robust? Store
the GRU's accuracies in `gru_scores = {"clean": ..., "fgsm": ...}` (fractions) and run
`check.exercise("1-2", gru_scores, model=gru_model, x=digits.x_test, y=digits.y_test)`.
```

```{solution-start} ex-1-2
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
rnnsec.set_seed(1)
gru_model = compile_classifier(models.sequence_classifier((8, 8), 10, cell="gru"))
gru_model.fit(digits.x_train, digits.y_train, epochs=2 * profile.epochs,
              batch_size=profile.batch_size, verbose=0)
gru_clean = gru_model.evaluate(digits.x_test, digits.y_test, verbose=0)[1]
gru_adv = fgsm(gru_model, digits.x_test, digits.y_test, eps_digits, clip_min=0.0, clip_max=1.0,
               progress=False)
gru_scores = {"clean": gru_clean, "fgsm": float(np.mean(gru_adv.pred_adv == digits.y_test))}
print(f"GRU : clean {gru_scores['clean']:.3f}, FGSM {gru_scores['fgsm']:.3f}")
print(f"LSTM: clean {digits_acc:.3f}, FGSM {digits_adv_acc:.3f}")
# END SOLUTION
check.exercise("1-2", gru_scores, model=gru_model, x=digits.x_test, y=digits.y_test)
"""),
md("""
Both cells lose a large share of their accuracy: changing the recurrent cell is not a defence.
Robustness has to be trained for (Part III).
```{solution-end}
```

```{exercise}
:label: ex-1-3
A *targeted* attack makes the model output a chosen class. Use
`fgsm(..., targeted=True)` with every target set to speaker 7 (class index 6) to make the
utterances of speaker 3 (class index 2) "sound like" speaker 7. What fraction succeeds at
$\\epsilon = 0.5$, and how does that compare with the untargeted success rate? Store both
fractions in `rates = {"targeted": ..., "untargeted": ...}` (untargeted: the same utterances,
their true labels) and run
`check.exercise("1-3", rates, model=speaker_model, x=vowels.x_test, y=vowels.y_test, mask=mask)`.
```

```{solution-start} ex-1-3
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
from3 = vowels.y_test == 2
targets = np.full(from3.sum(), 6)
targeted = fgsm(speaker_model, vowels.x_test[from3], targets, 0.5, mask=mask[from3],
                targeted=True, progress=False)
untargeted = fgsm(speaker_model, vowels.x_test[from3], vowels.y_test[from3], 0.5,
                  mask=mask[from3], progress=False)
print(f"speaker 3 -> speaker 7 (targeted): {targeted.success_rate:.1%} of {from3.sum()} utterances")
print(f"speaker 3 -> anyone else (untargeted): {untargeted.success_rate:.1%}")
rates = {"targeted": targeted.success_rate, "untargeted": untargeted.success_rate}
# END SOLUTION
check.exercise("1-3", rates, model=speaker_model, x=vowels.x_test, y=vowels.y_test, mask=mask)
"""),
md("""
Reaching one particular speaker is harder than reaching any wrong one, so one FGSM step
succeeds less often; iterative attacks (Chapter 2) do much better.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks" / "01_background.ipynb"))

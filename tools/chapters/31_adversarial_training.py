"""Source of notebooks/31_adversarial_training.ipynb (Chapter 3.1, Adversarial training)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

cells = [
md(r"""
# 3.1 Adversarial training

Chapter 1 showed that a change of less than one grey level per pixel breaks the source
article's `LSTM(64)+Dense(10)` digit classifier. The most reliable defence known is to train
on the attacks themselves:
**{term}`adversarial training <Adversarial training (对抗训练)>`**. This chapter states the
problem it solves, then builds four algorithms step by step (PGD adversarial
training, fast FGSM with a
random start, "free" adversarial training and TRADES), trains each on the row-wise digits, and
compares them in one table: clean accuracy, robust accuracy against a white-box and a black-box
attack, and training time. It ends with the failure that makes the fast methods risky,
catastrophic overfitting, and the monitor that catches it.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- state adversarial training as a min-max problem and say which part each algorithm
  approximates, and how cheaply;
- train a recurrent classifier with PGD-AT, FGSM-RS, free AT and TRADES using
  `rnnsec.adversarial.AdversarialTrainer`;
- evaluate a defended model with a white-box (PGD) and a black-box (SimBA) attack and read
  the two together;
- recognise catastrophic overfitting and guard against it with
  `CatastrophicOverfittingMonitor`.
```

```{admonition} Threat model of this chapter
:class: important
- **Attacker's goal:** untargeted misclassification at test time.
- **Attacker's knowledge:** white-box (weights, gradients, the defence) for PGD; only the
  output probabilities, with a query budget, for SimBA.
- **Attacker's capability:** every pixel moved by at most $\epsilon = 0.1$ in $L_\infty$
  (pixels are grey levels / 16 in $[0, 1]$, so 1.6 grey levels), staying in $[0, 1]$.
- **Out of scope:** training-time attacks (poisoning), budgets larger than the training
  budget, certified guarantees (Chapter 4).
```

## 3.1.1 The min-max problem

```{prf:definition} Adversarial risk
:label: def-adversarial-risk-3-1
For a classifier $f_\theta$, a loss $L$ and a set of allowed perturbations
$\Delta(x) = \{\delta : \|\delta\|_\infty \le \epsilon,\ x + \delta \in [0, 1]^{T \times D}\}$,
the adversarial risk is
$R_\epsilon(\theta) = \mathbb{E}_{(x, y)}\big[\max_{\delta \in \Delta(x)}
L(f_\theta(x + \delta), y)\big]$. Adversarial training minimises it over $\theta$
{cite}`madry2018towards`.
```

The inner maximisation has no closed form for a neural network; every algorithm below
replaces it by an attack, and differs in how strong and how expensive that attack is. The
outer minimisation needs the gradient of a maximum, which the next theorem makes simple.

```{prf:theorem} Danskin's theorem (as used by Madry et al.)
:label: thm-danskin-3-1
If $\delta^\ast$ maximises $L(f_\theta(x + \delta), y)$ over $\Delta(x)$ (and, in the smooth
case, the maximiser is unique), then
$\nabla_\theta \max_{\delta \in \Delta(x)} L(f_\theta(x + \delta), y)
= \nabla_\theta L(f_\theta(x + \delta^\ast), y)$.
```

So one training step is: find (approximately) $\delta^\ast$, treat it as a constant, and take
an ordinary gradient step on the loss at $x + \delta^\ast$. {cite}`madry2018towards` showed
that this works in practice even though the attack only finds a local maximum and the network
is not smooth everywhere. Chapter 5.1 writes such a step out in plain TensorFlow; here we use
`rnnsec`, whose `AdversarialTrainer` wraps a Keras model so that `fit` trains it
adversarially.
"""),
code("""
import time

import numpy as np
from IPython.display import Markdown

import rnnsec
from rnnsec import data, models, plots
from rnnsec.adversarial import (AdversarialTrainer, CatastrophicOverfittingMonitor, fgsm, pgd,
                               simba)
from rnnsec.book import glue
from rnnsec.compat import keras

rnnsec.set_seed(0)
profile = rnnsec.config.get_profile()
digits = data.load_digits_sequences()
EPSILON = 0.1                         # L-inf, pixel units: 1.6 grey levels
EPOCHS = profile.epochs
n = profile.attack_examples           # test digits attacked
x_eval, y_eval = digits.x_test[:n], digits.y_test[:n]
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
print(profile)
print(digits)
glue("eps", EPSILON)
glue("epochs", EPOCHS)
glue("attack_n", n)
glue("batch_size", profile.batch_size)
"""),
md(r"""
Every method below trains the same architecture from the same seed, with Adam at learning rate
0.002, batch size {glue:text}`batch_size`, the same number of passes over the data
({glue:text}`epochs` epochs) and the same $\epsilon$; `train` returns the model, the CPU
seconds its training took and its training log.
"""),
code("""
def train(method=None, epsilon=EPSILON, callbacks=(), epochs=EPOCHS, seed=0, **options):
    \"\"\"Train LSTM(64)+Dense(10) by `method` (None: standard); return model, CPU s, log.\"\"\"
    rnnsec.set_seed(seed)
    model = models.sequence_classifier((8, 8), 10)
    trainer = model if method is None else AdversarialTrainer(
        model, method, epsilon, clip_min=0.0, clip_max=1.0, **options)
    trainer.compile(keras.optimizers.Adam(2e-3), loss_fn, metrics=["accuracy"])
    fit_epochs = epochs if method is None else trainer.epochs_for(epochs)
    start = time.process_time()
    history = trainer.fit(digits.x_train, digits.y_train, epochs=fit_epochs,
                          batch_size=profile.batch_size, verbose=0, callbacks=list(callbacks))
    return model, time.process_time() - start, history.history


trained = {}
trained["standard"] = train()
print(f"standard training: {trained['standard'][1]:.1f} CPU seconds")
"""),
md(r"""
## 3.1.2 PGD adversarial training (Madry et al. 2018)

The strongest of the four approximates the inner maximisation with $k$ steps of projected
gradient descent from a random start in the ball:

1. $\delta_0 \sim U[-\epsilon, \epsilon]^{T \times D}$;
2. for $i = 1 \dots k$: $\delta_i = \Pi_{\Delta(x)}\big(\delta_{i-1} + \alpha\,
   \operatorname{sign}\nabla_x L(f_\theta(x + \delta_{i-1}), y)\big)$, with
   $\alpha = 2.5\,\epsilon / k$ and $\Pi$ the projection onto the ball and the valid range;
3. one optimiser step on $L(f_\theta(x + \delta_k), y)$.

A step costs $k + 1$ forward/backward passes instead of one {cite}`madry2018towards`. We use
$k = 3$ during training; evaluation uses 10 steps.
"""),
code("""
trained["PGD-3 AT"] = train("pgd", steps=3)
print(f"PGD-3 AT: {trained['PGD-3 AT'][1]:.1f} CPU seconds")
"""),
md(r"""
## 3.1.3 Fast adversarial training: FGSM with a random start (Wong et al. 2020)

{cite}`wong2020fast` showed that one step suffices if it starts at a random point of the ball
and is a little larger than the ball: $\delta_0 \sim U[-\epsilon, \epsilon]$, then one signed
step of $\alpha = 1.25\,\epsilon$, projected. A step then costs two passes. On CIFAR-10 this
matched PGD-7 training's robustness in a small fraction of its time. The risk is
*{term}`catastrophic overfitting <Catastrophic overfitting (灾难性过拟合)>`*: with too
large a step, or without the random start, robust
accuracy against PGD can fall to zero within an epoch while accuracy against the training
attack keeps rising. Their remedy is to watch PGD accuracy on a slice of the training data
and stop early; `CatastrophicOverfittingMonitor` does exactly that after every epoch and
restores the best weights if PGD accuracy drops by more than `max_drop`.
"""),
code("""
monitor_slice = (digits.x_train[:200], digits.y_train[:200])
fast_monitor = CatastrophicOverfittingMonitor(*monitor_slice, EPSILON, steps=10, clip_min=0.0,
                                              clip_max=1.0, max_drop=0.2)
trained["FGSM-RS AT"] = train("fgsm_rs", callbacks=[fast_monitor])
print(f"FGSM-RS AT: {trained['FGSM-RS AT'][1]:.1f} CPU seconds; "
      f"monitor's PGD accuracy per epoch {np.round(fast_monitor.history, 2)}, "
      f"collapse detected: {fast_monitor.collapsed}")
"""),
md(r"""
## 3.1.4 Free adversarial training (Shafahi et al. 2019)

{cite}`shafahi2019adversarial` observed that the backward pass of a training step computes
the input gradient almost for free. Free AT replays each minibatch $m$ times; every replay
takes an optimiser step on $x + \delta$ *and* updates $\delta \leftarrow
\Pi(\delta + \epsilon\, \operatorname{sign}\nabla_x L)$ from the same backward pass, and
$\delta$ is carried over to the next minibatch. To keep the total number of passes equal to
standard training, it runs for $1/m$ of the epochs (`trainer.epochs_for(epochs)`); here
$m = 4$.
"""),
code("""
trained["free AT (m=4)"] = train("free", replays=4)
free_fit_epochs = len(trained["free AT (m=4)"][2]["loss"])
print(f"free AT: {trained['free AT (m=4)'][1]:.1f} CPU seconds, {free_fit_epochs} epochs of fit")
glue("free_fit_epochs", free_fit_epochs)
"""),
md(r"""
## 3.1.5 TRADES (Zhang et al. 2019)

{cite}`zhang2019theoretically` split the robust error into the natural error plus a boundary
error, and bound the latter by how much the prediction changes inside the ball. The training
loss is

$$L(f_\theta(x), y) + \beta \max_{\delta \in \Delta(x)}
\operatorname{KL}\big(p_\theta(\cdot \mid x) \,\|\, p_\theta(\cdot \mid x + \delta)\big),$$

the inner maximum again found by $k$ PGD steps, now on the KL divergence (which needs no
label). $\beta$ trades clean for robust accuracy; we use the paper's $\beta = 6$ and $k = 3$.
"""),
code("""
trained["TRADES-3 AT"] = train("trades", steps=3, beta=6.0)
print(f"TRADES-3 AT: {trained['TRADES-3 AT'][1]:.1f} CPU seconds")
"""),
md(r"""
## 3.1.6 The comparison

Each model is scored on the whole test set (clean accuracy), against PGD-10 with a random start
(white-box) on the first {glue:text}`attack_n` test digits, and against SimBA
{cite}`guo2019simple` (black-box: only output probabilities, at most 200 queries per digit,
each pixel moved by $\pm\epsilon$ at most once) on the first 100. Training time is CPU time
relative to standard training, measured in this run (it varies with the machine and its load;
the ratios, not the seconds, are what to read).
"""),
code("""
rows = {}
for name, (model, cpu, _) in trained.items():
    clean = float(np.mean(model.predict(digits.x_test, verbose=0).argmax(1) == digits.y_test))
    white = pgd(model, x_eval, y_eval, EPSILON, steps=10, clip_min=0.0, clip_max=1.0, seed=0,
                progress=False).robust_accuracy
    black = simba(model, x_eval[:100], y_eval[:100], EPSILON, max_queries=200, clip_min=0.0,
                  clip_max=1.0, seed=0, progress=False).robust_accuracy
    rows[name] = dict(clean=clean, pgd=white, simba=black, time=cpu / trained["standard"][1])

print(f"{'method':<15} {'clean':>6} {'PGD-10':>7} {'SimBA':>6} {'time vs standard':>17}")
for name, r in rows.items():
    print(f"{name:<15} {r['clean']:6.3f} {r['pgd']:7.3f} {r['simba']:6.3f} {r['time']:16.1f}x")

keys = {"standard": "std", "PGD-3 AT": "pgd", "FGSM-RS AT": "fgsm", "free AT (m=4)": "free",
        "TRADES-3 AT": "trades"}
for name, r in rows.items():
    for field, value in r.items():
        glue(f"{keys[name]}_{field}", round(value, 3 if field != "time" else 1))
"""),
code("""
plots.clean_vs_robust({name: (r["clean"], r["pgd"]) for name, r in rows.items()},
                      attack_label=f"PGD-10, eps={EPSILON}", chance=0.1,
                      title="Adversarial training methods on row-wise digits");
"""),
check("""
std = rows["standard"]
assert std["clean"] >= 0.85 and std["pgd"] <= 0.45, std
for name in ("PGD-3 AT", "FGSM-RS AT", "TRADES-3 AT"):
    r = rows[name]
    assert r["pgd"] >= std["pgd"] + 0.25, (name, r, std)     # robust by a clear margin
    assert r["clean"] >= std["clean"] - 0.08, (name, r, std)  # at a modest clean cost
r = rows["free AT (m=4)"]
assert r["pgd"] >= std["pgd"] + 0.15 and r["clean"] >= 0.7, r
for r in rows.values():
    assert r["simba"] >= r["pgd"] - 0.12, rows              # black-box is not much stronger
assert not fast_monitor.collapsed
"""),
md(r"""
Standard training reaches {glue:text}`std_clean:.1%` clean accuracy but keeps only
{glue:text}`std_pgd:.1%` under PGD. PGD-3 AT raises PGD robust accuracy to
{glue:text}`pgd_pgd:.1%` ({glue:text}`pgd_clean:.1%` clean) at {glue:text}`pgd_time` times the
training time; FGSM-RS reaches {glue:text}`fgsm_pgd:.1%` ({glue:text}`fgsm_clean:.1%` clean)
at {glue:text}`fgsm_time` times; free AT, with the passes of standard training, reaches
{glue:text}`free_pgd:.1%` robust but only {glue:text}`free_clean:.1%` clean at
{glue:text}`free_time` times (its passes make only {glue:text}`free_fit_epochs` epochs over
the data, each minibatch replayed 4 times, too few for this model to fit the clean task as
well);
TRADES reaches {glue:text}`trades_pgd:.1%` robust and {glue:text}`trades_clean:.1%` clean at
{glue:text}`trades_time` times. These totals include the tracing of each training step into a
graph, which weighs most in free AT's few, long epochs;
`benchmarks/adversarial_training.py` leaves the first epoch out and finds free AT no more
expensive per epoch of data than standard training. On this small task, adversarial training
costs at most a few points of clean accuracy.

Read the two attacks together. SimBA, which sees only probabilities, leaves every model at
least about as accurate as PGD does: {glue:text}`std_simba:.1%` for the standard model,
{glue:text}`pgd_simba:.1%` for PGD-3 AT. If a defended model were much *more* robust to the
white-box attack than to the black-box one, its gradients would be misleading the white-box
attack ({term}`gradient masking <Gradient masking (梯度掩蔽)>`), and its robust accuracy
against PGD would be an overestimate
{cite}`athalye2018obfuscated`. Here the ordering is the healthy one.

## 3.1.7 Catastrophic overfitting, and the monitor

The monitor on the FGSM-RS run above logged the PGD accuracy on 200 training digits after
every epoch and saw no collapse: on these 8x8 digits, with 64 input values, one random-start
step stayed a good stand-in for the worst case (we also tried plain FGSM without the random
start, steps of $2\epsilon$ and budgets up to $\epsilon = 0.3$ with LSTM, GRU and ReLU
recurrent cells, and PGD accuracy kept pace with FGSM accuracy). {cite}`wong2020fast` saw the
collapse with plain FGSM (no random start) and with too large a step, and it is easier to
provoke where the inputs have more dimensions and the training set is small. So we move to
the JapaneseVowels speakers (Chapter 2.1): 270 training utterances of up to 29 frames of 12
standardised LPC coefficients (348 input values), an LSTM with a `Masking` layer, and plain
FGSM training (`random_start=False`) at $\epsilon$ = {glue:text}`risky_eps` in standardised
units, Adam at learning rate 0.01, for {glue:text}`risky_epochs` epochs. After every epoch we
measure on 100 training utterances both the accuracy under the training attack (FGSM) and
under PGD-10; padding frames are never perturbed.
"""),
code("""
vowels = data.load_japanese_vowels()
RISKY_EPSILON = 0.5                   # L-inf, standardised LPC units
RISKY_EPOCHS = 36                     # long enough for the gap to open (same in both profiles)
risky_slice = (vowels.x_train[:100], vowels.y_train[:100])
risky_mask = np.any(risky_slice[0] != 0.0, axis=-1).astype("float32")  # [100, 29], 1 = frame


class SliceAccuracy(keras.callbacks.Callback):
    \"\"\"After every epoch, FGSM and PGD-10 accuracy of the trained model on a fixed slice.\"\"\"

    def __init__(self, x, y, mask, epsilon):
        super().__init__()
        self.x, self.y, self.mask, self.epsilon = x, y, mask, epsilon
        self.fgsm, self.pgd = [], []

    def on_epoch_end(self, epoch, logs=None):
        model = self.model.base_model
        self.fgsm.append(fgsm(model, self.x, self.y, self.epsilon, mask=self.mask,
                              progress=False).robust_accuracy)
        self.pgd.append(pgd(model, self.x, self.y, self.epsilon, steps=10, mask=self.mask,
                            seed=0, progress=False).robust_accuracy)


def train_plain_fgsm(callbacks):
    \"\"\"Plain FGSM training (no random start) of a masked LSTM(64) on JapaneseVowels.\"\"\"
    rnnsec.set_seed(0)
    model = models.sequence_classifier(vowels.x_train.shape[1:], vowels.num_classes,
                                       masking=True)
    trainer = AdversarialTrainer(model, "fgsm_rs", RISKY_EPSILON, random_start=False,
                                 mask_value=0.0)
    trainer.compile(keras.optimizers.Adam(0.01), loss_fn, metrics=["accuracy"])
    trainer.fit(vowels.x_train, vowels.y_train, epochs=RISKY_EPOCHS,
                batch_size=profile.batch_size, verbose=0, callbacks=list(callbacks))
    return model


curve = SliceAccuracy(*risky_slice, risky_mask, RISKY_EPSILON)
risky_model = train_plain_fgsm([curve])
print("FGSM accuracy per epoch ", np.round(curve.fgsm, 2))
print("PGD-10 accuracy per epoch", np.round(curve.pgd, 2))
late_fgsm, late_pgd = np.mean(curve.fgsm[-5:]), np.mean(curve.pgd[-5:])
print(f"last 5 epochs: FGSM {late_fgsm:.3f}, PGD-10 {late_pgd:.3f}; best PGD-10 "
      f"{max(curve.pgd):.3f} after epoch {int(np.argmax(curve.pgd)) + 1}")
# a full collapse: PGD accuracy near zero after having been well above it
risky_collapsed = max(curve.pgd) >= 0.2 and min(curve.pgd[int(np.argmax(curve.pgd)):]) < 0.05
glue("risky_eps", RISKY_EPSILON)
glue("risky_epochs", RISKY_EPOCHS)
glue("risky_collapsed", Markdown("did" if risky_collapsed else "did not"))
glue("risky_first_fgsm", round(float(np.mean(curve.fgsm[:5])), 3))
glue("risky_late_fgsm", round(float(late_fgsm), 3))
glue("risky_late_pgd", round(float(late_pgd), 3))
glue("risky_best_pgd", round(max(curve.pgd), 3))
glue("risky_best_epoch", int(np.argmax(curve.pgd)) + 1)
"""),
md(r"""
Now the same run, from the same seed, with `CatastrophicOverfittingMonitor` watching PGD-10
accuracy on the same 100 utterances (its default `max_drop=0.2`). It stops the run at the
first epoch whose PGD accuracy is more than 0.2 below the best so far, and puts back the
weights of the best epoch.
"""),
code("""
risky_monitor = CatastrophicOverfittingMonitor(*risky_slice, RISKY_EPSILON, steps=10,
                                               max_drop=0.2, mask_value=0.0)
guarded_model = train_plain_fgsm([risky_monitor])
test_mask = np.any(vowels.x_test != 0.0, axis=-1).astype("float32")
co_rows = {}
for name, model in (("run to the end", risky_model), ("stopped, best restored", guarded_model)):
    on_slice = pgd(model, *risky_slice, RISKY_EPSILON, steps=10, mask=risky_mask, seed=0,
                   progress=False)
    on_test = pgd(model, vowels.x_test, vowels.y_test, RISKY_EPSILON, steps=10, mask=test_mask,
                  seed=0, progress=False)
    co_rows[name] = dict(slice_pgd=on_slice.robust_accuracy, test_clean=on_test.clean_accuracy,
                         test_pgd=on_test.robust_accuracy)
    print(f"{name:<24} PGD-10 on the slice {on_slice.robust_accuracy:.3f}; test: clean "
          f"{on_test.clean_accuracy:.3f}, PGD-10 {on_test.robust_accuracy:.3f}")
print("monitor stopped after epoch", risky_monitor.stopped_epoch + 1 if risky_monitor.collapsed
      else None, "and restored epoch", risky_monitor.best_epoch + 1)
glue("monitor_stop_epoch", (risky_monitor.stopped_epoch or 0) + 1)
glue("monitor_best_epoch", risky_monitor.best_epoch + 1)
for key, row in (("end", co_rows["run to the end"]), ("restored",
                                                      co_rows["stopped, best restored"])):
    for field, value in row.items():
        glue(f"co_{key}_{field}", round(value, 3))
"""),
code("""
plots.overfitting_monitor(
    {"FGSM (training attack), no monitor": curve.fgsm,
     "PGD-10, no monitor": curve.pgd,
     "PGD-10, with the monitor": risky_monitor.history},
    stopped={"PGD-10, with the monitor": risky_monitor.stopped_epoch},
    ylabel="accuracy on 100 training utterances",
    title=f"Plain FGSM training on JapaneseVowels, eps={RISKY_EPSILON}");
"""),
check("""
assert len(fast_monitor.history) == EPOCHS and not fast_monitor.collapsed
assert len(curve.fgsm) == len(curve.pgd) == RISKY_EPOCHS
first_fgsm = np.mean(curve.fgsm[:5])
assert late_fgsm >= first_fgsm + 0.2, curve.fgsm               # the training attack is beaten
assert late_fgsm >= late_pgd + 0.25, (curve.fgsm, curve.pgd)   # ... but PGD is not
assert late_pgd <= max(curve.pgd) - 0.08, curve.pgd            # PGD fell back from its best
assert not risky_collapsed or min(curve.pgd) < 0.05
# the monitor stopped the run early and brought back its best epoch
assert risky_monitor.collapsed and risky_monitor.stopped_epoch < RISKY_EPOCHS - 1
end, best = co_rows["run to the end"], co_rows["stopped, best restored"]
assert abs(best["slice_pgd"] - max(risky_monitor.history)) <= 0.02, (best, risky_monitor.history)
assert best["slice_pgd"] >= end["slice_pgd"] + 0.1, co_rows
assert best["test_pgd"] >= end["test_pgd"] + 0.03, co_rows
assert best["test_clean"] >= end["test_clean"] - 0.08, co_rows
"""),
md(r"""
The plain-FGSM run {glue:md}`risky_collapsed` fall all the way to zero robust accuracy (the
CIFAR-10 networks of {cite}`wong2020fast` did), yet it shows the split that defines
catastrophic overfitting. Accuracy
against the training attack climbed from {glue:text}`risky_first_fgsm:.1%` (first five epochs)
to {glue:text}`risky_late_fgsm:.1%` (last five), while accuracy against PGD-10 peaked at
{glue:text}`risky_best_pgd:.1%` after epoch {glue:text}`risky_best_epoch` and then swung
down, averaging {glue:text}`risky_late_pgd:.1%` over the last five epochs. The model learned
to defeat the one step it is trained on, not the ball around each input: the training log,
which reports FGSM accuracy, looks better and better while the robustness that matters
stalls and falls.

The monitor caught the first large drop: after epoch {glue:text}`monitor_stop_epoch` it
stopped the run and restored the weights of epoch {glue:text}`monitor_best_epoch`. The
restored model keeps {glue:text}`co_restored_slice_pgd:.1%` PGD-10 accuracy on the slice
against {glue:text}`co_end_slice_pgd:.1%` for the run left to the end, and on the test
utterances {glue:text}`co_restored_test_pgd:.1%` against {glue:text}`co_end_test_pgd:.1%`
(clean: {glue:text}`co_restored_test_clean:.1%` and {glue:text}`co_end_test_clean:.1%`), for
fewer epochs of training. The lesson: a fast method's robustness is only known if it is
measured with a stronger attack during training; the monitor costs one PGD evaluation of the
slice per epoch.

Adversarial training carries over to text, where the inputs are discrete: instead of words,
one perturbs their embeddings inside an $L_2$ ball (adversarial training) or in the direction
that most changes the prediction (virtual adversarial training, which needs no labels)
{cite}`miyato2017adversarial`. `AdversarialTrainer` offers both as `method="embedding_at"` and
`"embedding_vat"` for models that start with an `Embedding` layer.

## Summary

- Adversarial training minimises the worst-case loss in the $\epsilon$ ball; by Danskin's
  theorem a step is an ordinary gradient step at the attack's output.
- On row-wise digits at $\epsilon$ = {glue:text}`eps`, PGD-3 AT, FGSM-RS and TRADES lift
  PGD robust accuracy from {glue:text}`std_pgd:.1%` to {glue:text}`pgd_pgd:.1%`,
  {glue:text}`fgsm_pgd:.1%` and {glue:text}`trades_pgd:.1%`, at little clean cost;
  FGSM-RS does it at about {glue:text}`fgsm_time` times the cost of standard training versus
  {glue:text}`pgd_time` for PGD-3.
- A black-box attack that is much stronger than the white-box one signals gradient masking;
  here it is not.
- One-step methods can overfit catastrophically; watch PGD accuracy on a training slice
  (`CatastrophicOverfittingMonitor`). Plain FGSM on JapaneseVowels learned to beat its own
  attack ({glue:text}`risky_late_fgsm:.1%` FGSM accuracy) while PGD accuracy fell back to
  {glue:text}`risky_late_pgd:.1%`; the monitor stopped it and restored a model with
  {glue:text}`co_restored_test_pgd:.1%` test PGD accuracy, against
  {glue:text}`co_end_test_pgd:.1%` for the run left to the end.

## Exercises

```{exercise}
:label: ex-3-1-1
Count forward/backward passes per minibatch for each method (standard: 1; PGD-$k$: $k+1$;
FGSM-RS: 2; free with $m$ replays, per epoch of data seen: 1; TRADES-$k$: about $k + 2$,
counting the clean forward pass) and compare them with the measured time ratios. Store the
counts in a dict `passes` from the method names of the table to whole numbers and run
`check.exercise("3.1-1", passes)`. Which method departs most from its count, and why might it?
```

```{solution-start} ex-3-1-1
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
passes = {"standard": 1, "PGD-3 AT": 4, "FGSM-RS AT": 2, "free AT (m=4)": 1, "TRADES-3 AT": 5}
for name, count in passes.items():
    print(f"{name:<15} passes {count}   measured time ratio {rows[name]['time']:.1f}")
# END SOLUTION
check.exercise("3.1-1", passes)
"""),
md(r"""
The ratios follow the counts roughly. Departures come from the parts of a step that are not a
forward/backward pass of the model (random starts, projections, Python and graph overhead,
which weigh more for a model this small), and from free AT's epochs, $\text{epochs}/m$
rounded to a whole number. On a loaded shared CPU the ratios also move by tens of percent
between runs.
```{solution-end}
```

```{exercise}
:label: ex-3-1-2
Gradient masking check: attack the FGSM-RS model with FGSM (one step, no random start) and
with PGD-10 (random start, seed 0), both at $\epsilon$ = {glue:text}`eps` on the
{glue:text}`attack_n` attacked test digits `x_eval`, `y_eval`. Store the two robust accuracies
in a dict `masking = {"fgsm": ..., "pgd": ...}` and run `check.exercise("3.1-2", masking,
model=fast_model, x=x_eval, y=y_eval, epsilon=EPSILON)`. If FGSM left the model *more*
accurate than the clean model is, or PGD were not much stronger than FGSM, what would that
tell you?
```

```{solution-start} ex-3-1-2
:class: dropdown
```
"""),
code("""
fast_model = trained["FGSM-RS AT"][0]
# BEGIN SOLUTION
one_step = fgsm(fast_model, x_eval, y_eval, EPSILON, clip_min=0.0, clip_max=1.0,
                progress=False).robust_accuracy
ten_steps = pgd(fast_model, x_eval, y_eval, EPSILON, steps=10, clip_min=0.0, clip_max=1.0,
                seed=0, progress=False).robust_accuracy
masking = {"fgsm": one_step, "pgd": ten_steps}
print(f"FGSM-RS model: clean {rows['FGSM-RS AT']['clean']:.3f}, FGSM {one_step:.3f}, "
      f"PGD-10 {ten_steps:.3f}")
# END SOLUTION
check.exercise("3.1-2", masking, model=fast_model, x=x_eval, y=y_eval, epsilon=EPSILON)
"""),
md(r"""
PGD-10 should leave no more correct predictions than FGSM; FGSM accuracy above clean accuracy
(a "label leaking" effect) or an iterative attack no stronger than a single step would mean the
model's gradients no longer point to its weaknesses, and only stronger or gradient-free attacks
could be trusted {cite}`athalye2018obfuscated`.
```{solution-end}
```

```{exercise}
:label: ex-3-1-3
Run SimBA (seed 0) against the PGD-3 model on the first 100 attacked digits with 50, 200
and four times the table's budget, 800 queries per digit. Store the robust accuracies in a
dict `budgets` from the budget to the accuracy and run `check.exercise("3.1-3", budgets,
model=pgd_model, x=x_eval[:100], y=y_eval[:100], epsilon=EPSILON)`. Does its robust accuracy
come closer to PGD's? What does this say about reporting black-box robustness without its
query budget?
```

```{solution-start} ex-3-1-3
:class: dropdown
```
"""),
code("""
pgd_model = trained["PGD-3 AT"][0]
# BEGIN SOLUTION
budgets = {}
for budget in (50, 200, 800):
    result = simba(pgd_model, x_eval[:100], y_eval[:100], EPSILON, max_queries=budget,
                   clip_min=0.0, clip_max=1.0, seed=0, progress=False)
    budgets[budget] = result.robust_accuracy
    print(f"SimBA, {budget:>3} queries: robust accuracy {result.robust_accuracy:.3f}, "
          f"mean queries used {result.mean_queries:.0f}")
print(f"PGD-10 (white-box): {rows['PGD-3 AT']['pgd']:.3f}")
# END SOLUTION
check.exercise("3.1-3", budgets, model=pgd_model, x=x_eval[:100], y=y_eval[:100],
               epsilon=EPSILON)
"""),
md(r"""
In the $L_\infty$ coordinate basis an 8x8 digit has only 64 coordinates, and SimBA tries each
at most twice, so beyond $2 \times 64 = 128$ queries (plus the first) a larger budget buys
nothing: the black-box attack
has converged and stays weaker than PGD. A black-box robust accuracy is a statement about an
attack *and* its budget; report both.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks" /
                    "31_adversarial_training.ipynb"))

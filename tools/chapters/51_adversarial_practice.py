"""Source of notebooks/51_adversarial_practice.ipynb (Chapter 5.1, Project practice: the
article's adversarial-training code, completed)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

cells = [
md(r"""
# 5.1 Project practice: the article's adversarial-training code, completed

The source article's one code example on robustness trains its `LSTM(64)+Dense(10)` model
adversarially, but the two functions that make the training adversarial,
`adversarial_perturbation` and `adversarial_loss`, are left as `# ...`. This chapter fills them
in with plain TensorFlow, explains every line, trains the completed code on the row-wise digits
of Chapter 1, then does the same with `rnnsec` in three lines and checks that the two agree.
Chapter 3.1 compares the {term}`adversarial training <Adversarial training (对抗训练)>` algorithms; here we practise writing one
correctly.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- write the inner maximisation of adversarial training (a {term}`PGD <Projected gradient descent (投影梯度下降, PGD)>` perturbation of the inputs that
  stays in the $\epsilon$ ball and in the valid input range) with `tf.GradientTape`;
- write the adversarial loss, choose between the Goodfellow et al. mixture and the pure
  Madry et al. loss, and say why;
- train a Keras RNN with a custom adversarial training loop, and with
  `rnnsec.adversarial.AdversarialTrainer`;
- check a completed adversarial-training code by measuring clean and PGD robust accuracy
  against a standard model.
```

```{admonition} Threat model of this chapter
:class: important
- **Attacker's goal:** untargeted misclassification of a test digit.
- **Attacker's knowledge:** white-box (weights and gradients), and the defence.
- **Attacker's capability:** move every pixel by at most $\epsilon = 0.1$ ($L_\infty$; pixels
  in $[0, 1]$, so 1.6 of the 16 grey-level steps), staying inside $[0, 1]$.
- **Out of scope:** larger budgets, other norms, text, and certified guarantees (Chapter 4).
```

## 5.1.1 The article's code, in outline

The article's exact text is not reproduced here. In outline, its example has this shape (not
executed):

```python
model = tf.keras.Sequential([
    tf.keras.layers.LSTM(64, input_shape=(timesteps, features)),
    tf.keras.layers.Dense(10),
])

def adversarial_perturbation(model, x, y, epsilon):
    # ...

def adversarial_loss(model, x, y, epsilon):
    # ...

# train the model on adversarial_loss instead of the ordinary loss
```

The idea is the min-max problem of {cite}`madry2018towards`: the weights $\theta$ minimise the
loss of the *worst* input in a small ball around each training input,

$$\min_\theta \; \mathbb{E}_{(x, y)} \Big[ \max_{\|\delta\|_\infty \le \epsilon,\;
x + \delta \in [0, 1]^{T \times D}} L\big(f_\theta(x + \delta), y\big) \Big].$$

`adversarial_perturbation` is the inner maximisation, `adversarial_loss` the quantity the outer
minimisation descends. Filling the holes means answering four questions the outline leaves
open; each answer changes what the code does:

1. **Logits or probabilities?** `Dense(10)` has no activation, so it outputs logits; the loss
   must then be built with `from_logits=True`. If the model ended in a softmax instead, the
   loss would need `from_logits=False`, and the input gradient that the attack follows goes
   through a saturating softmax, where it can be tiny and numerically poor: attacks look
   weaker than they are. We keep logits and `from_logits=True` everywhere.
2. **Must the gradient flow through the perturbation?** No. The weight gradient of
   $\max_\delta L$ is the gradient of $L$ at the maximiser $\delta^\ast$, taken as a constant
   (Danskin's theorem, used by {cite}`madry2018towards`). The code stops the gradient at the
   adversarial input (`tf.stop_gradient`) and builds it outside the weight tape: cheaper, and
   exactly the quantity the theory asks for.
3. **Which constraints?** The perturbed input must stay in the $\epsilon$ ball *and* be a
   valid input. Pixels live in $[0, 1]$; an attack that leaves that range trains the model on
   inputs that never occur.
4. **In which units is $\epsilon$?** In the units of the input after preprocessing. Here a
   pixel is its grey level divided by 16, so $\epsilon = 0.1$ is 1.6 grey levels; for
   standardised features (Chapter 1's speech data) it would be in standard deviations. A
   number without its units is not a {term}`threat model <Threat model (威胁模型)>`.
"""),
code("""
import time

import numpy as np
import tensorflow as tf

import rnnsec
from rnnsec import data, models, plots
from rnnsec.adversarial import AdversarialTrainer, pgd
from rnnsec.book import glue
from rnnsec.compat import keras

rnnsec.set_seed(0)
profile = rnnsec.config.get_profile()
digits = data.load_digits_sequences()
EPSILON = 0.1        # L-inf, in pixel units (grey level / 16): 1.6 grey levels
PGD_STEPS = 3        # inner steps during training
EPOCHS = profile.epochs
print(profile)
print(digits)
glue("eps", EPSILON)
glue("eps_grey", round(EPSILON * 16, 1))
glue("train_steps", PGD_STEPS)
glue("epochs", EPOCHS)
"""),
md(r"""
## 5.1.2 `adversarial_perturbation`: the inner maximisation

We use projected gradient descent (PGD) {cite}`madry2018towards`: a random start inside the
ball, then a few steps up the sign of the input gradient, each followed by a projection back
into the ball and into $[0, 1]$. With `steps=1` and `step_size=1.25 * epsilon` the same
function is the fast {term}`FGSM <Fast gradient sign method (快速梯度符号法, FGSM)>` with random start of {cite}`wong2020fast`; with `steps=1`,
`step_size=epsilon` and no random start it would be the FGSM of
{cite}`goodfellow2015explaining`.
"""),
code("""
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)  # Dense(10) -> logits


def adversarial_perturbation(model, x, y, epsilon, steps=PGD_STEPS, step_size=None,
                             clip_min=0.0, clip_max=1.0):
    \"\"\"PGD in the L-inf ball (Madry et al. 2018): x_adv [B, T, D] for inputs x [B, T, D].\"\"\"
    if step_size is None:
        step_size = 2.5 * epsilon / steps                               # (1)
    noise = tf.random.uniform(tf.shape(x), -epsilon, epsilon)          # (2)
    x_adv = tf.clip_by_value(x + noise, clip_min, clip_max)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(x_adv)                                          # (3)
            loss = loss_fn(y, model(x_adv, training=False))            # (4)
        grad = tape.gradient(loss, x_adv)                              # [B, T, D]
        x_adv = x_adv + step_size * tf.sign(grad)                      # (5)
        x_adv = tf.clip_by_value(x_adv, x - epsilon, x + epsilon)      # (6)
        x_adv = tf.clip_by_value(x_adv, clip_min, clip_max)            # (7)
    return tf.stop_gradient(x_adv)                                     # (8)
"""),
md(r"""
Line by line:

1. The step size $2.5\,\epsilon/k$ for $k$ steps is the rule of {cite}`madry2018towards`: large
   enough that the steps can cross the ball and back, small enough to follow the loss.
2. A uniform random start in the ball. Without it, the first step always starts at the clean
   point, where the loss surface of a trained model can be deliberately flat ({term}`gradient masking <Gradient masking (梯度掩蔽)>`);
   {cite}`wong2020fast` show that the random start is what keeps one-step training from failing.
3. `x_adv` is a tensor, not a variable, so the tape must be told to watch it.
4. `training=False`: the attack evaluates the model as it will be used. (An LSTM has no
   dropout or batch statistics here, but a model that had would otherwise attack a noisy copy
   of itself.) The loss is the same one the model is trained on.
5. The steepest ascent direction of a linearised loss in the $L_\infty$ ball is the sign of the
   gradient; every pixel moves by `step_size`.
6. Projection onto the $\epsilon$ ball around the clean `x`: in $L_\infty$ this is a
   coordinate-wise clip.
7. Projection onto the valid range. Clipping after (6) keeps both constraints, because both
   are boxes and their intersection is the box $[\max(x-\epsilon, 0), \min(x+\epsilon, 1)]$.
8. The result is a constant for the weight update (Danskin), whatever tape calls this.

We check the constraints, and compare the function, run as a 10-step attack on a standard model,
with `rnnsec.adversarial.pgd` below, once a standard model is trained.

## 5.1.3 `adversarial_loss`: the outer minimisation
"""),
code("""
def adversarial_loss(model, x, x_adv, y, alpha=0.0):
    \"\"\"alpha L(x) + (1 - alpha) L(x_adv): Goodfellow 2015 (alpha=.5), Madry 2018 (0).\"\"\"
    loss_adv = loss_fn(y, model(x_adv, training=True))                 # L(f(x_adv), y)
    if alpha == 0.0:
        return loss_adv
    loss_clean = loss_fn(y, model(x, training=True))                   # L(f(x), y)
    return alpha * loss_clean + (1.0 - alpha) * loss_adv
"""),
md(r"""
{cite}`goodfellow2015explaining` trained on the mixture
$\alpha L(x) + (1 - \alpha) L(x_\text{adv})$ with $\alpha = 0.5$ and FGSM examples; the clean
term keeps clean accuracy up, and it was needed because one-step examples alone were a weak
and unstable training signal. {cite}`madry2018towards` drop the clean term ($\alpha = 0$): the
objective is then exactly the min-max problem above, and the robust accuracy it optimises is
the one we report. We use $\alpha = 0$ because it is the objective we evaluate, it costs one
forward/backward pass less per step, and it is what `AdversarialTrainer(method="pgd")` does, so
the two implementations below can be compared like for like. Exercise {ref}`ex-5-1-1` trains
the mixture.

The signature differs from the outline's `adversarial_loss(model, x, y, epsilon)`: we pass
`x_adv` in instead of computing it inside, so that the perturbation is built outside the
weight tape (point 2 above). A loss given to Keras's `compile` would not work either way: Keras
calls it with `(y_true, y_pred)` only, so it can neither see `x` nor run the model again. The
training therefore needs its own step.

## 5.1.4 The training loop
"""),
code("""
def train_adversarially(model, x, y, epsilon, *, epochs, batch_size, steps=PGD_STEPS,
                        step_size=None, alpha=0.0, learning_rate=2e-3, seed=0):
    \"\"\"Adversarial training, custom loop; returns each epoch's last minibatch loss.\"\"\"
    optimizer = keras.optimizers.Adam(learning_rate)

    @tf.function
    def train_step(xb, yb):                                            # xb [B, T, D], yb [B]
        xb_adv = adversarial_perturbation(model, xb, yb, epsilon, steps, step_size)  # inner max
        with tf.GradientTape() as tape:                                # outer min: weights only
            loss = adversarial_loss(model, xb, xb_adv, yb, alpha)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    losses = []
    for epoch in range(epochs):
        for xb, yb in dataset.shuffle(len(x), seed=seed + epoch).batch(batch_size):
            loss = train_step(xb, yb)
        losses.append(float(loss))
    return losses
"""),
md(r"""
The step builds the adversarial batch first, outside any tape that watches the weights, then
takes one ordinary optimiser step on `adversarial_loss`. `tf.function` compiles the whole step
(the $k$ attack steps included) into one graph, which is several times faster than running it
eagerly.

For comparison we train the same architecture from the same seed in the standard way, with the
same optimiser, learning rate, batch size and number of epochs. Each run's CPU time is measured
with `time.process_time()`.
"""),
code("""
def fresh_model(seed=0):
    rnnsec.set_seed(seed)
    return models.sequence_classifier((8, 8), 10)        # LSTM(64) + Dense(10), logits


standard = fresh_model()
standard.compile(keras.optimizers.Adam(2e-3), loss_fn, metrics=["accuracy"])
start = time.process_time()
standard.fit(digits.x_train, digits.y_train, epochs=EPOCHS, batch_size=profile.batch_size,
             verbose=0)
cpu_standard = time.process_time() - start

handwritten = fresh_model()
start = time.process_time()
handwritten_losses = train_adversarially(handwritten, digits.x_train, digits.y_train, EPSILON,
                                         epochs=EPOCHS, batch_size=profile.batch_size)
cpu_handwritten = time.process_time() - start
print("adversarial loss per epoch:", np.round(handwritten_losses, 3))
print(f"CPU seconds: standard {cpu_standard:.1f}, "
      f"hand-written PGD-{PGD_STEPS} AT {cpu_handwritten:.1f}")
"""),
md(r"""
Before trusting the model, we trust the attack: on a batch of test digits the hand-written
perturbation must stay in the ball and in $[0, 1]$, and, run for 10 steps against the standard
model, it must be about as strong as the library's PGD.
"""),
code("""
n = profile.attack_examples
x_eval, y_eval = digits.x_test[:n], digits.y_test[:n]
tf.random.set_seed(0)
x_hw = adversarial_perturbation(standard, tf.constant(x_eval), tf.constant(y_eval), EPSILON,
                                steps=10).numpy()
hw_attack_acc = float(np.mean(standard.predict(x_hw, verbose=0).argmax(1) == y_eval))
lib_attack_acc = pgd(standard, x_eval, y_eval, EPSILON, steps=10, clip_min=0.0, clip_max=1.0,
                     seed=0, progress=False).robust_accuracy
print(f"largest change {np.abs(x_hw - x_eval).max():.4f} (epsilon {EPSILON}); "
      f"range [{x_hw.min():.2f}, {x_hw.max():.2f}]")
print(f"standard model under attack: hand-written PGD-10 {hw_attack_acc:.3f}, "
      f"rnnsec.adversarial.pgd {lib_attack_acc:.3f}")
glue("hw_attack_acc", round(hw_attack_acc, 3))
glue("lib_attack_acc", round(lib_attack_acc, 3))
"""),
check("""
assert np.abs(x_hw - x_eval).max() <= EPSILON + 1e-6
assert x_hw.min() >= 0.0 and x_hw.max() <= 1.0
assert abs(hw_attack_acc - lib_attack_acc) <= 0.08, (hw_attack_acc, lib_attack_acc)
"""),
md(r"""
Against the standard model, the hand-written attack leaves {glue:text}`hw_attack_acc:.1%` of
the digits correctly classified and `rnnsec`'s PGD {glue:text}`lib_attack_acc:.1%`: the two
attacks are equally strong, up to their random starts.

## 5.1.5 The same with rnnsec, in three lines

`AdversarialTrainer` is a `keras.Model` whose `train_step` does what `train_step` above does,
so the usual `compile` and `fit` work and the wrapped model is trained in place. It also
handles padded sequences (padding is never perturbed), the $L_2$ norm, and the other training
methods of Chapter 3.1.
"""),
code("""
library = fresh_model()
start = time.process_time()
trainer = AdversarialTrainer(library, method="pgd", epsilon=EPSILON, steps=PGD_STEPS,
                             clip_min=0.0, clip_max=1.0)
trainer.compile(keras.optimizers.Adam(2e-3), loss_fn, metrics=["accuracy"])
trainer.fit(digits.x_train, digits.y_train, epochs=EPOCHS, batch_size=profile.batch_size, verbose=0)
cpu_library = time.process_time() - start
print(f"CPU seconds: rnnsec PGD-{PGD_STEPS} AT {cpu_library:.1f}")
"""),
md(r"""
## 5.1.6 Results

Each model is scored on the whole test set (clean accuracy) and against a 10-step PGD attack
with a random start at the training budget, on the first {glue:text}`attack_n` test digits
(robust accuracy). The attack has more steps than the training's inner loop, as an honest
evaluation must {cite}`carlini2019evaluating`.
"""),
code("""
def scores(model):
    clean = float(np.mean(model.predict(digits.x_test, verbose=0).argmax(1) == digits.y_test))
    robust = pgd(model, x_eval, y_eval, EPSILON, steps=10, clip_min=0.0, clip_max=1.0, seed=0,
                 progress=False).robust_accuracy
    return clean, robust


results = {"standard": scores(standard),
           f"hand-written PGD-{PGD_STEPS} AT": scores(handwritten),
           f"rnnsec PGD-{PGD_STEPS} AT": scores(library)}
cpu = dict(zip(results, [cpu_standard, cpu_handwritten, cpu_library]))
print(f"{'model':<22} {'clean':>6} {'PGD-10':>7} {'CPU time vs standard':>21}")
for name, (clean, robust) in results.items():
    print(f"{name:<22} {clean:6.3f} {robust:7.3f} {cpu[name] / cpu_standard:20.1f}x")

(std_clean, std_robust), (hw_clean, hw_robust), (lib_clean, lib_robust) = results.values()
for key, value in dict(std_clean=std_clean, std_robust=std_robust, hw_clean=hw_clean,
                       hw_robust=hw_robust, lib_clean=lib_clean, lib_robust=lib_robust).items():
    glue(key, round(value, 3))
glue("attack_n", n)
glue("hw_time_ratio", round(cpu_handwritten / cpu_standard, 1))
glue("lib_time_ratio", round(cpu_library / cpu_standard, 1))
"""),
code("""
plots.clean_vs_robust(results, attack_label=f"PGD-10, eps={EPSILON}", chance=0.1,
                      title="The article's model, standard and adversarially trained");
"""),
check("""
# adversarial training helps by a clear margin, at a modest clean cost at most
for clean, robust in [(hw_clean, hw_robust), (lib_clean, lib_robust)]:
    assert robust >= std_robust + 0.25, (std_robust, robust)
    assert clean >= std_clean - 0.08, (std_clean, clean)
assert std_robust <= 0.45, std_robust
# the hand-written and library versions agree
assert abs(hw_robust - lib_robust) <= 0.10, (hw_robust, lib_robust)
assert abs(hw_clean - lib_clean) <= 0.06, (hw_clean, lib_clean)
"""),
md(r"""
The standard model classifies {glue:text}`std_clean:.1%` of the test digits but only
{glue:text}`std_robust:.1%` under PGD at $\epsilon$ = {glue:text}`eps`. The completed
hand-written code raises the robust accuracy to {glue:text}`hw_robust:.1%` with a clean
accuracy of {glue:text}`hw_clean:.1%`; `rnnsec`'s trainer reaches {glue:text}`lib_robust:.1%`
robust and {glue:text}`lib_clean:.1%` clean. The two implementations agree up to the noise of
random starts and minibatch order. On this small task the clean cost of adversarial training is
small (on harder data it is not: {cite}`madry2018towards` lose several points of clean accuracy
on CIFAR-10). The price is time: the hand-written loop took {glue:text}`hw_time_ratio` times
and the library {glue:text}`lib_time_ratio` times the CPU time of standard training
(measured on this run, not a guarantee); compare with the $k + 1 = 4$ forward/backward passes
per step that PGD-$k$ training needs, a count that fixed per-step overheads blur for a model
this small. Chapter 3.1 shows cheaper methods.

## Summary

- The article's two holes are the inner maximisation (a PGD perturbation, projected onto the
  $\epsilon$ ball and the valid range, built outside the weight tape) and the outer loss (the
  loss at the adversarial input, optionally mixed with the clean loss).
- Four choices the outline leaves open decide whether the code is right: logits with
  `from_logits=True`, no gradient through the perturbation (Danskin), clipping to the valid
  range, and an $\epsilon$ stated in input units ({glue:text}`eps` = {glue:text}`eps_grey` grey
  levels here).
- Completed, the article's model goes from {glue:text}`std_robust:.1%` to
  {glue:text}`hw_robust:.1%` PGD robust accuracy; `rnnsec`'s `AdversarialTrainer` does the same
  in three lines ({glue:text}`lib_robust:.1%`).

## Exercises

```{exercise}
:label: ex-5-1-1
Train the article's model with the mixture loss of {cite}`goodfellow2015explaining`
($\alpha = 0.5$) and one-step examples with a random start (`steps=1`,
`step_size=1.25 * EPSILON`). Compare its clean and PGD-10 robust accuracy, and its CPU time,
with the PGD-3 model trained with $\alpha = 0$. Store its scores, as `scores` computes them,
in `mixed_scores = {"clean": ..., "robust": ...}` and run
`check.exercise("5.1-1", mixed_scores, model=mixed, x=digits.x_test, y=digits.y_test,
x_eval=x_eval, y_eval=y_eval, epsilon=EPSILON)`.
```

```{solution-start} ex-5-1-1
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
mixed = fresh_model()
start = time.process_time()
train_adversarially(mixed, digits.x_train, digits.y_train, EPSILON, epochs=EPOCHS,
                    batch_size=profile.batch_size, steps=1, step_size=1.25 * EPSILON, alpha=0.5)
cpu_mixed = time.process_time() - start
mixed_clean, mixed_robust = scores(mixed)
print(f"alpha=0.5, one step : clean {mixed_clean:.3f}, PGD-10 {mixed_robust:.3f}, "
      f"CPU {cpu_mixed / cpu_standard:.1f}x standard")
print(f"alpha=0,   PGD-{PGD_STEPS}  : clean {hw_clean:.3f}, PGD-10 {hw_robust:.3f}, "
      f"CPU {cpu_handwritten / cpu_standard:.1f}x standard")
mixed_scores = {"clean": mixed_clean, "robust": mixed_robust}
# END SOLUTION
check.exercise("5.1-1", mixed_scores, model=mixed, x=digits.x_test, y=digits.y_test,
               x_eval=x_eval, y_eval=y_eval, epsilon=EPSILON)
"""),
md(r"""
The clean term keeps clean accuracy about as high; the robust accuracy is usually lower than
with the pure adversarial loss, because half of the loss now rewards fitting clean
inputs. Fewer attack steps make it cheaper. Which you prefer depends on what you report: if the
claim is robust accuracy, optimise the robust loss.
```{solution-end}
```

```{exercise}
:label: ex-5-1-2
Build the adversarial batch *inside* the tape that watches the weights, without
`tf.stop_gradient`, and compare the weight gradient with the one `train_step` uses. Are they
different? Why, and would they be for an $L_2$ attack, whose step is $g / \|g\|_2$? Store the
largest absolute difference between the two gradients in `gap` and your answer to the last
question in `l2_differs` (`True` or `False`), and run
`check.exercise("5.1-2", {"gap": gap, "l2_differs": l2_differs})`.
```

```{solution-start} ex-5-1-2
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
xb, yb = tf.constant(digits.x_train[:64]), tf.constant(digits.y_train[:64])
weights = handwritten.trainable_variables


def pgd_without_stop(model, x, y, epsilon, steps=PGD_STEPS):
    step_size = 2.5 * epsilon / steps
    x_adv = x   # no random start, so both versions see the same points
    for _ in range(steps):
        with tf.GradientTape() as inner:
            inner.watch(x_adv)
            loss = loss_fn(y, model(x_adv, training=False))
        x_adv = tf.clip_by_value(x_adv + step_size * tf.sign(inner.gradient(loss, x_adv)),
                                 x - epsilon, x + epsilon)
    return tf.clip_by_value(x_adv, 0.0, 1.0)


with tf.GradientTape() as tape:
    through = adversarial_loss(handwritten, xb, pgd_without_stop(handwritten, xb, yb, EPSILON), yb)
grads_through = tape.gradient(through, weights)
x_fixed = tf.stop_gradient(pgd_without_stop(handwritten, xb, yb, EPSILON))
with tf.GradientTape() as tape:
    fixed = adversarial_loss(handwritten, xb, x_fixed, yb)
grads_fixed = tape.gradient(fixed, weights)
gap = max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(grads_through, grads_fixed))
print(f"largest difference between the two weight gradients: {gap:.2e}")
l2_differs = True  # g / ||g||_2 has a non-zero derivative, sign(g) does not
# END SOLUTION
check.exercise("5.1-2", {"gap": gap, "l2_differs": l2_differs})
"""),
md(r"""
They are equal (up to float rounding): the only extra path from the weights to the loss goes
through $\operatorname{sign}(\nabla_x L)$, whose derivative is zero almost everywhere, so
back-propagating through the attack adds nothing but cost (the tape has to keep the whole
attack). For an $L_2$ step $g/\|g\|_2$ the extra path has a non-zero, second-order derivative;
Danskin's theorem says that the gradient of the max is the gradient at the maximiser, so that
term is *not* part of the right update, and `tf.stop_gradient` is then needed for correctness,
not only for speed.
```{solution-end}
```

```{exercise}
:label: ex-5-1-3
The training budget was {glue:text}`eps` in pixel units. Express budgets in grey levels
(1 grey level = 1/16) and measure the robust accuracy of the standard and the adversarially
trained model from half a grey level to three grey levels. What happens beyond the training
budget? Use PGD-10 on the first 100 digits of `x_eval`, store one robust accuracy per level of
`grey_levels` in `curves = {"standard": [...], "hand-written PGD-3 AT": [...]}` and run
`check.exercise("5.1-3", curves, models={"standard": standard,
"hand-written PGD-3 AT": handwritten}, grey_levels=grey_levels, x=x_eval[:100],
y=y_eval[:100])`.
```

```{solution-start} ex-5-1-3
:class: dropdown
```
"""),
code("""
from rnnsec import check

grey_levels = [0.5, 1.0, 1.6, 2.0, 3.0]
# BEGIN SOLUTION
curves = {name: [] for name in ("standard", "hand-written PGD-3 AT")}
for levels in grey_levels:
    for name, model in zip(curves, (standard, handwritten)):
        curves[name].append(pgd(model, x_eval[:100], y_eval[:100], levels / 16, steps=10,
                                clip_min=0.0, clip_max=1.0, seed=0,
                                progress=False).robust_accuracy)
plots.accuracy_vs_epsilon(grey_levels, curves, chance=0.1,
                          xlabel="epsilon (L-inf, grey levels of 1/16)",
                          title="Robust accuracy beyond the training budget");
# END SOLUTION
check.exercise("5.1-3", curves, models={"standard": standard, "hand-written PGD-3 AT": handwritten},
               grey_levels=grey_levels, x=x_eval[:100], y=y_eval[:100])
"""),
md(r"""
The adversarially trained model is far more robust at and below its training budget
(1.6 grey levels) and degrades beyond it; adversarial training protects against the threat
model it was trained for, not against larger changes.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks" /
                    "51_adversarial_practice.ipynb"))

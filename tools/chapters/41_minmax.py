"""Source of notebooks/41_minmax.ipynb (Chapter 4.1, The min-max model)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nbbuild import check, code, md, notebook  # noqa: E402

cells = [
md(r"""
# 4.1 The min-max model

The source article writes the goal of {term}`adversarial training <Adversarial training (对抗训练)>` as

$$\min_\theta \; \mathbb{E}_{(x, y) \sim \mathcal{D}} \big[ L(f_\theta(x + \delta), y) \big],$$

a loss averaged over the data at perturbed inputs $x + \delta$. As written, the formula does not
say *which* $\delta$. The model that the rest of the book trains against, and that Madry et
al. {cite}`madry2018towards` made the standard, says it: the **worst** one inside a budget,

$$\min_\theta \; \mathbb{E}_{(x, y) \sim \mathcal{D}} \Big[ \max_{\|\delta\| \le \epsilon}
L(f_\theta(x + \delta), y) \Big].$$

This chapter takes that objective apart in the style of Kolter and Madry's tutorial
{cite}`kolter2018adversarial`: the mathematics first, then NumPy/TensorFlow code that follows
it line by line, checked against `rnnsec`. We solve the inner maximisation with projected
gradient ascent, look at the loss surface it climbs, prove (and check numerically) why the
gradient at the adversarial point is the right direction for the outer minimisation, work a
model whose inner maximum has a closed form, and finally bracket the true worst case between a
lower bound (an attack) and an upper bound (a certificate). The whole chapter trains two small
recurrent networks and runs in about a minute on a CPU.

```{admonition} Learning objectives
:class: tip
After this chapter you can
- state the robust (min-max) training objective, and say how it differs from the average-case
  objective the source article writes;
- derive the steepest-ascent direction and the projection for the $L_\infty$ and $L_2$ balls,
  and write projected gradient descent ({term}`PGD <Projected gradient descent (投影梯度下降, PGD)>`) from them;
- state Danskin's theorem and explain why adversarial training differentiates the loss at the
  adversarial point, and check it with finite differences;
- compute the exact worst case of a linear (recurrent) model and compare an attack with it;
- tell a lower bound (any attack) from an upper bound (a certificate such as interval bound
  propagation), and compute both for a recurrent network.
```

```{admonition} Threat model of this chapter
:class: important
- **Attacker's goal:** maximise the model's loss on one input (the inner maximisation);
  misclassification follows when the loss grows enough.
- **Attacker's knowledge:** white-box: weights and gradients.
- **Attacker's capability:** add $\delta$ with $\|\delta\|_\infty \le \epsilon$ (or
  $\|\delta\|_2 \le \epsilon$) to the whole input sequence, staying inside the valid pixel range
  $[0, 1]$ where stated.
- **Defender's goal:** choose $\theta$ so that even this worst case has low loss (the outer
  minimisation), and, where possible, *prove* a bound on the worst case.
```
"""),
code("""
import numpy as np
import tensorflow as tf

import rnnsec
import rnnsec.config
from rnnsec import data, models, plots
from rnnsec.adversarial import fgsm, pgd
from rnnsec.book import glue
from rnnsec.compat import keras

rnnsec.set_seed(0)
profile = rnnsec.config.get_profile()
print(profile)
"""),
md(r"""
The model of this chapter is a small Elman network, `SimpleRNN` followed by a dense layer, on
the row-wise digits of Chapter 1 (8 time steps of 8 pixels in $[0, 1]$). We use a `SimpleRNN`
rather than an LSTM because its update, $h_t = \tanh(x_t W + h_{t-1} U + b)$ with logits
$z = h_T V + c$ (row vectors, as Keras stores the weights), is short enough to write out by
hand in Section 4.1.6.
"""),
code("""
digits = data.load_digits_sequences()


def compile_classifier(model):
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


units = profile.units // 2
model = compile_classifier(models.sequence_classifier((8, 8), 10, cell="simple_rnn", units=units))
model.fit(digits.x_train, digits.y_train, epochs=profile.epochs, batch_size=profile.batch_size,
          verbose=0)
clean_acc = model.evaluate(digits.x_test, digits.y_test, verbose=0)[1]
n = min(profile.attack_examples, len(digits.x_test))
x, y = digits.x_test[:n], digits.y_test[:n]
print(f"SimpleRNN({units}) test accuracy: {clean_acc:.3f}; attacking the first {n} test digits")
glue("clean_acc", round(clean_acc, 3))
glue("units", units)
glue("n_attack", n)
"""),
check("""
assert clean_acc >= 0.85, clean_acc
"""),
md(r"""
The `SimpleRNN` with {glue:text}`units` units classifies {glue:text}`clean_acc:.1%` of the test
digits correctly; everything below attacks the first {glue:text}`n_attack` of them.

## 4.1.1 The objective: average case versus worst case

```{prf:definition} Adversarial risk
:label: def-adversarial-risk
For a model $f_\theta$, a loss $L$, a data distribution $\mathcal{D}$ and a set of allowed
perturbations $\Delta = \{\delta : \|\delta\| \le \epsilon\}$, the **adversarial (robust)
risk** is

$$R_{\text{adv}}(\theta) = \mathbb{E}_{(x, y) \sim \mathcal{D}} \Big[ \max_{\delta \in \Delta}
L(f_\theta(x + \delta), y) \Big].$$

**Adversarial training** minimises it over $\theta$; $\epsilon = 0$ gives the ordinary risk.
```

The article's formula, read literally, is a different objective. If $\delta$ is one fixed
vector, it is ordinary training on shifted data. If $\delta$ is random, say uniform in the
ball, it is training with noise, the **average** case $\mathbb{E}_\delta L$, which is at most
the worst case $\max_\delta L$ for every input and usually far below it. The max is what makes
the guarantee hold against an adversary who *chooses* $\delta$ after seeing the model. This is
the minimax decision rule of Wald {cite}`wald1945statistical` (minimise the maximum risk), and
the same structure as robust optimisation, where constraints must hold for every value of an
uncertain parameter in a set {cite}`bental2009robust`.

The difference is large on our model. Below, the average over random $\delta$ is estimated with
ten uniform draws from the $L_\infty$ ball per digit; the max is estimated by PGD (Section 4.1.2).
"""),
code("""
def loss_and_grad(model, x, y):
    \"\"\"Per-example cross-entropy [B] and its gradient with respect to the input [B, T, D].\"\"\"
    x = tf.convert_to_tensor(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = model(x, training=False)  # [B, C]
        loss = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)  # [B]
    return loss.numpy(), tape.gradient(loss, x).numpy()


eps = 0.05  # less than one grey level (1/16) per pixel, as in Chapter 1
rng = np.random.default_rng(0)
clean_loss, _ = loss_and_grad(model, x, y)
random_losses = [loss_and_grad(model, np.clip(x + rng.uniform(-eps, eps, x.shape), 0, 1), y)[0]
                 for _ in range(10)]
average_case = np.mean(random_losses, axis=0)  # [B]: E_delta L, estimated
print(f"mean loss: clean {clean_loss.mean():.3f}, average over random delta "
      f"{average_case.mean():.3f}")
"""),
md(r"""
## 4.1.2 The inner maximisation: projected steepest ascent

The inner problem, $\max_{\|\delta\| \le \epsilon} L(f_\theta(x + \delta), y)$, is a
non-concave maximisation over a ball: no method solves it exactly for a neural network in
general, so we climb. Linearise the loss around the current point,
$L(x + \delta + v) \approx L(x + \delta) + g^\top v$ with $g = \nabla_x L$, and take the step
$v$ of length $\alpha$ that increases the linearisation most.

```{prf:definition} Steepest-ascent direction
:label: def-steepest-ascent
For a gradient $g$ and a norm $\|\cdot\|$, the unit steepest-ascent direction is
$v^\star = \arg\max_{\|v\| \le 1} g^\top v$, and $g^\top v^\star = \|g\|_*$, the dual norm.
- $L_\infty$: $v^\star = \operatorname{sign}(g)$, and $g^\top v^\star = \|g\|_1$.
- $L_2$: $v^\star = g / \|g\|_2$, and $g^\top v^\star = \|g\|_2$.
```

Each coordinate of $v$ is free in $[-1, 1]$ under $L_\infty$, so each takes the sign of its
gradient; under $L_2$, Cauchy-Schwarz says the best unit vector is the gradient itself,
normalised. A step can leave the ball, so we **project** back: the closest point of the ball.

```{prf:definition} Projection onto the ball
:label: def-projection
$P_\epsilon(\delta) = \arg\min_{\|\delta'\| \le \epsilon} \|\delta' - \delta\|_2$. For
$L_\infty$ it clips each coordinate to $[-\epsilon, \epsilon]$; for $L_2$ it rescales,
$\delta \cdot \min(1, \epsilon / \|\delta\|_2)$. With a valid input range $[0, 1]$, clipping
$x + \delta$ to it afterwards keeps $\delta$ inside the $L_\infty$ ball (it only moves
coordinates towards $x$).
```

Projected gradient descent (here: ascent) {cite}`madry2018towards` repeats
$\delta^{(k+1)} = P_\epsilon\big(\delta^{(k)} + \alpha\,
v^\star(\nabla_x L(x + \delta^{(k)}))\big)$.
The code follows the three definitions one to one. Because it approximates a *maximum*, it
returns, per example, the iterate with the highest loss.
"""),
code("""
def steepest_direction(g, norm):
    \"\"\"Unit steepest-ascent direction per example: sign(g) (L-inf) or g / ||g||_2 (L2).\"\"\"
    if norm == "inf":
        return np.sign(g)
    size = np.sqrt((g ** 2).sum(axis=(1, 2), keepdims=True))  # [B, 1, 1]
    return g / np.maximum(size, 1e-30)


def project(delta, eps, norm):
    \"\"\"Closest point of the eps ball: clip (L-inf) or rescale (L2), per example.\"\"\"
    if norm == "inf":
        return np.clip(delta, -eps, eps)
    size = np.sqrt((delta ** 2).sum(axis=(1, 2), keepdims=True))  # [B, 1, 1]
    return delta * np.minimum(1.0, eps / np.maximum(size, 1e-30))


def pgd_max(model, x, y, eps, steps=10, alpha=None, norm="inf", clip=(0.0, 1.0)):
    \"\"\"PGD from delta = 0; returns (highest-loss iterate [B, T, D], its loss [B]).\"\"\"
    alpha = 2.5 * eps / steps if alpha is None else alpha  # Madry et al.'s default
    delta = np.zeros_like(x)
    best_x, best_loss = x.copy(), np.full(len(x), -np.inf)
    for k in range(steps + 1):
        x_adv = x + delta if clip is None else np.clip(x + delta, *clip)
        loss, g = loss_and_grad(model, x_adv, y)
        better = loss > best_loss
        best_x[better], best_loss[better] = x_adv[better], loss[better]
        if k < steps:
            delta = project(x_adv - x + alpha * steepest_direction(g, norm), eps, norm)
    return best_x, best_loss


x_pgd, pgd_loss = pgd_max(model, x, y, eps)
print(f"mean loss: average case {average_case.mean():.3f}, worst case found by PGD "
      f"{pgd_loss.mean():.3f} ({pgd_loss.mean() / average_case.mean():.1f}x)")
glue("eps", eps)
glue("clean_loss", round(float(clean_loss.mean()), 3))
glue("average_loss", round(float(average_case.mean()), 3))
glue("pgd_loss", round(float(pgd_loss.mean()), 3))
glue("worst_over_average", round(float(pgd_loss.mean() / average_case.mean()), 1))
"""),
check("""
assert np.all(np.abs(x_pgd - x) <= eps + 1e-6) and x_pgd.min() >= 0 and x_pgd.max() <= 1
assert pgd_loss.mean() >= 2 * average_case.mean(), (pgd_loss.mean(), average_case.mean())
assert np.all(pgd_loss >= clean_loss - 1e-6)
"""),
md(r"""
At $\epsilon$ = {glue:text}`eps` the mean loss is {glue:text}`clean_loss` on clean digits,
{glue:text}`average_loss` on average over random perturbations, and {glue:text}`pgd_loss` at
the perturbations PGD finds: the worst case is {glue:text}`worst_over_average` times the
average case. Training on random noise optimises the wrong quantity.

Now the check against the package. `rnnsec.adversarial.pgd` takes the same steps (without a
random start: `random_start=False`), but it is built to *misclassify*, so per example it keeps
the **first** iterate that succeeds rather than the one with the highest loss. On the digits it
fails to flip, both must return exactly the same point; on the others, ours can only have the
higher loss, because the package's point is one of our iterates.
"""),
code("""
def compare_with_rnnsec(norm, eps):
    ours_x, ours_loss = pgd_max(model, x, y, eps, norm=norm)
    ref = pgd(model, x, y, eps, norm=norm, random_start=False, clip_min=0.0, clip_max=1.0,
              progress=False)
    ref_loss, _ = loss_and_grad(model, ref.x_adv, y)
    failed = ~ref.success
    same = np.abs(ours_x[failed] - ref.x_adv[failed]).reshape(failed.sum(), -1).max(axis=1)
    print(f"L-{norm} (eps={eps}): rnnsec.pgd flips {ref.success.mean():.1%}; on the "
          f"{failed.sum()} it does not flip, max |ours - rnnsec| = {same.max():.1e}; "
          f"ours has loss >= rnnsec's on {np.mean(ours_loss >= ref_loss - 1e-5):.1%}")
    return same, ours_loss, ref_loss


same_inf, ours_inf, ref_inf = compare_with_rnnsec("inf", eps)
same_2, ours_2, ref_2 = compare_with_rnnsec("2", 0.5)
glue("pgd_match_inf", float(f"{same_inf.max():.1e}"))
"""),
check("""
for same, ours, ref in [(same_inf, ours_inf, ref_inf), (same_2, ours_2, ref_2)]:
    assert len(same) >= 10 and np.mean(same < 1e-4) >= 0.95, same.max()
    assert np.mean(ours >= ref - 1e-4) >= 0.99
"""),
md(r"""
Where the package's PGD does not flip the prediction, the two implementations agree to
{glue:text}`pgd_match_inf` (float32 round-off), for the $L_\infty$ and the $L_2$ ball alike.

## 4.1.3 The loss landscape the attack climbs

Why does a gradient-sign step find losses that random noise never does? Walk from a digit
$x$ along a direction $d$ with $\|d\|_\infty = 1$ and record $L(x + t d)$ for growing $t$:
along $d = \operatorname{sign}(\nabla_x L(x))$ (the FGSM direction
{cite}`goodfellow2015explaining`), along a random sign vector, and along the direction of the
PGD perturbation, $\delta_{\text{PGD}} / \epsilon$.
"""),
code("""
_, g_clean = loss_and_grad(model, x, y)
directions = {
    "gradient sign (FGSM)": np.sign(g_clean),
    "PGD perturbation / eps": (x_pgd - x) / eps,
    "random sign": rng.choice([-1.0, 1.0], size=x.shape),
}
ts = np.linspace(0.0, 3 * eps, 16)
landscape = {name: np.stack([loss_and_grad(model, np.clip(x + t * d, 0, 1), y)[0] for t in ts],
                            axis=1)  # [B, steps]
             for name, d in directions.items()}
plots.loss_along_directions(ts, landscape, epsilon=eps,
                            title=f"Loss along three directions from {n} test digits");
"""),
code("""
fgsm_adv = fgsm(model, x, y, eps, clip_min=0.0, clip_max=1.0, progress=False)
fgsm_loss, _ = loss_and_grad(model, fgsm_adv.x_adv, y)
random_dir_loss, _ = loss_and_grad(model, np.clip(x + eps * directions["random sign"], 0, 1), y)
print(f"mean loss at eps={eps}: random direction {random_dir_loss.mean():.3f} <= "
      f"FGSM {fgsm_loss.mean():.3f} <= PGD {pgd_loss.mean():.3f}")
glue("random_dir_loss", round(float(random_dir_loss.mean()), 3))
glue("fgsm_loss", round(float(fgsm_loss.mean()), 3))
"""),
check("""
assert pgd_loss.mean() >= fgsm_loss.mean() >= random_dir_loss.mean(), \\
    (pgd_loss.mean(), fgsm_loss.mean(), random_dir_loss.mean())
assert fgsm_loss.mean() >= 2 * random_dir_loss.mean()
# the gradient-sign curve rises (median loss grows along it), the random one stays near flat
sign_median = np.median(landscape["gradient sign (FGSM)"], axis=0)
random_median = np.median(landscape["random sign"], axis=0)
assert sign_median[-1] > 5 * sign_median[0] and sign_median[-1] > 3 * random_median[-1]
"""),
md(r"""
Along a random direction the loss barely moves; along the gradient sign it rises steeply, and
at $t = \epsilon$ it is already most of the way to what PGD finds. The mean losses at
$\epsilon$ order as the theory predicts: random direction {glue:text}`random_dir_loss`
$\le$ FGSM {glue:text}`fgsm_loss` $\le$ PGD {glue:text}`pgd_loss`. In high dimension
(here $8 \times 8 = 64$) a random sign vector is almost orthogonal to the gradient,
$g^\top d \approx 0$, while the sign direction collects $\|g\|_1$, the whole dual norm. The
curves are not straight lines: the loss is not linear in $x$, which is why several projected
steps beat one.

## 4.1.4 The outer minimisation and Danskin's theorem

Adversarial training needs the gradient of $\phi(\theta) = \max_{\delta \in \Delta}
L(\theta, \delta)$ (writing $L(\theta, \delta)$ for $L(f_\theta(x + \delta), y)$). A max of
differentiable functions need not be differentiable, and $\delta^\star$ itself depends on
$\theta$. Danskin's theorem {cite}`danskin1967theory` says that, under mild conditions, we may
forget that dependence.

```{prf:theorem} Danskin
:label: thm-danskin
Let $\Delta$ be compact, and let $L(\theta, \delta)$ be continuous, with
$\nabla_\theta L(\theta, \delta)$ continuous in $(\theta, \delta)$. Let
$\phi(\theta) = \max_{\delta \in \Delta} L(\theta, \delta)$ and
$\Delta^\star(\theta) = \arg\max_{\delta \in \Delta} L(\theta, \delta)$. Then $\phi$ has a
directional derivative in every direction $u$,

$$\phi'(\theta; u) = \max_{\delta \in \Delta^\star(\theta)}
\nabla_\theta L(\theta, \delta)^\top u ,$$

and if the maximiser $\delta^\star$ is unique, $\phi$ is differentiable at $\theta$ with
$\nabla \phi(\theta) = \nabla_\theta L(\theta, \delta^\star)$.
```

```{prf:proof}
(Sketch.) *Lower bound:* for any $\delta^\star \in \Delta^\star(\theta)$,
$\phi(\theta + tu) \ge L(\theta + tu, \delta^\star) = \phi(\theta) + t \nabla_\theta
L(\theta, \delta^\star)^\top u + o(t)$, so the right-derivative is at least the max over
$\Delta^\star$. *Upper bound:* let $\delta_t$ maximise $L(\theta + tu, \cdot)$. By compactness a
subsequence converges to some $\bar\delta$, and by continuity $\bar\delta \in \Delta^\star(\theta)$.
Then $\phi(\theta + tu) - \phi(\theta) \le L(\theta + tu, \delta_t) - L(\theta, \delta_t) = t
\nabla_\theta L(\theta + s_t u, \delta_t)^\top u$ for some $s_t \in (0, t)$ (mean value theorem),
and the right side over $t$ tends to $\nabla_\theta L(\theta, \bar\delta)^\top u$, at most the
max over $\Delta^\star$. With a unique maximiser the directional derivative is linear in $u$, so
it is a gradient. $\square$
```

So the descent direction for the outer problem is: find $\delta^\star$, then differentiate the
loss *at* $x + \delta^\star$ with $\delta^\star$ held fixed. That is exactly what PGD adversarial
training does (Chapter 3.1). PGD only approximates $\delta^\star$, so in practice the theorem
is a guide, not a guarantee; Madry et al. {cite}`madry2018towards` argue that a good
approximate maximiser gives a good descent direction, and observe it in training.

We check the theorem where it holds exactly: a tiny RNN ($T = 4$ steps, $D = 3$ features,
$H = 5$ units, 3 classes, in float64) and a **finite** set $\Delta$ of eight perturbations, so
$\phi(\theta)$ is computed exactly. Its gradient by central finite differences, parameter by
parameter, must equal the TensorFlow gradient of the loss at the maximising perturbation.
"""),
code("""
rng_tiny = np.random.default_rng(1)
T_, D_, H_, C_ = 4, 3, 5, 3
theta = [rng_tiny.normal(0, 0.7, s) for s in [(D_, H_), (H_, H_), (H_,), (H_, C_), (C_,)]]
x0, y0 = rng_tiny.normal(size=(T_, D_)), 1
perturbations = rng_tiny.uniform(-0.3, 0.3, size=(8, T_, D_))  # the finite set Delta


def tiny_losses(theta, xs, y):
    \"\"\"Cross-entropy [K] of the tiny RNN h_t = tanh(x_t W + h U + b), z = h V + c (NumPy).\"\"\"
    W, U, b, V, c = theta
    h = np.zeros((len(xs), W.shape[1]))  # [K, H]
    for t in range(xs.shape[1]):
        h = np.tanh(xs[:, t] @ W + h @ U + b)
    z = h @ V + c  # [K, C]
    return np.logaddexp.reduce(z, axis=1) - z[:, y]


def phi(theta):
    return tiny_losses(theta, x0 + perturbations, y0).max()


def grad_at(theta, delta):
    \"\"\"TensorFlow gradient of the loss at x0 + delta, delta held fixed (Danskin).\"\"\"
    params = [tf.Variable(p) for p in theta]
    with tf.GradientTape() as tape:
        W, U, b, V, c = params
        h = tf.zeros((1, H_), tf.float64)
        for t in range(T_):
            h = tf.tanh((x0 + delta)[None, t] @ W + h @ U + b)
        z = h @ V + c
        loss = tf.reduce_logsumexp(z) - z[0, y0]
    return [g.numpy() for g in tape.gradient(loss, params)], float(loss)


losses = tiny_losses(theta, x0 + perturbations, y0)
k_star = int(np.argmax(losses))
danskin_grad, loss_tf = grad_at(theta, perturbations[k_star])
h = 1e-6
finite_diff = []
for i, p in enumerate(theta):
    g = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        up = [q.copy() for q in theta]
        up[i][idx] += h
        down = [q.copy() for q in theta]
        down[i][idx] -= h
        g[idx] = (phi(up) - phi(down)) / (2 * h)
    finite_diff.append(g)
danskin_err = max(np.abs(a - b).max() for a, b in zip(danskin_grad, finite_diff))
top2 = np.sort(losses)[-2:]
print(f"losses over Delta: {np.round(losses, 3)}; argmax k* = {k_star} "
      f"(margin to the runner-up {top2[1] - top2[0]:.4f})")
print(f"{sum(p.size for p in theta)} parameters: max |finite difference - gradient at delta*| "
      f"= {danskin_err:.1e}")
"""),
code("""
lr = 0.1
theta_next = [p - lr * g for p, g in zip(theta, danskin_grad)]
print(f"phi before the step {phi(theta):.4f}, after one step along -grad L(theta, delta*): "
      f"{phi(theta_next):.4f}")
glue("danskin_err", float(f"{danskin_err:.1e}"))
glue("phi_before", round(phi(theta), 4))
glue("phi_after", round(phi(theta_next), 4))
"""),
check("""
assert abs(loss_tf - losses[k_star]) < 1e-12
assert danskin_err < 1e-6, danskin_err
assert phi(theta_next) < phi(theta)
"""),
md(r"""
The two gradients agree to {glue:text}`danskin_err` over all the tiny model's parameters, and
one step against the Danskin gradient lowers the worst-case loss from
{glue:text}`phi_before` to {glue:text}`phi_after`. When two perturbations tie for the max,
$\phi$ has a kink and no gradient; {ref}`ex-4-1-2` finds one.

## 4.1.5 A worked example with an exact inner maximum

For one family of models the inner maximum needs no attack at all. Make the recurrence
*linear*: $h_t = x_t W + h_{t-1} U + b$ (no $\tanh$), logits $z = h_T V + c$. Unrolling,
$h_T = \sum_{t=1}^{T} x_t W U^{T-t} + b \sum_{k=0}^{T-1} U^k$, so with two classes the
**margin** $m(x) = z_{y} - z_{\bar y}$ (true minus other class) is an affine function of the
whole sequence,

$$m(x) = s_y \big(\langle w, x \rangle + \beta\big), \quad
w_t = W U^{T-t} (V_{:,1} - V_{:,0}), \quad s_y = \pm 1 ,$$

and the two-class cross-entropy is $\log(1 + e^{-m(x)})$, decreasing in the margin.

```{prf:theorem} Worst case of a linear score
:label: thm-linear-worst-case
For an affine margin $m(x) = s\,(\langle w, x \rangle + \beta)$ with $s = \pm 1$ and any loss
$\ell(m)$ that decreases in $m$,
$\max_{\|\delta\|_\infty \le \epsilon} \ell(m(x + \delta)) = \ell(m(x) - \epsilon \|w\|_1)$,
attained at $\delta^\star = -s\,\epsilon\,\operatorname{sign}(w)$. For the $L_2$ ball the same
holds with $\|w\|_2$ and $\delta^\star = -s\,\epsilon\, w / \|w\|_2$.
```

```{prf:proof}
$m(x + \delta) = m(x) + s \langle w, \delta \rangle \ge m(x) - \|w\|_1 \|\delta\|_\infty \ge
m(x) - \epsilon \|w\|_1$ by Hölder's inequality, with equality at $\delta^\star$. Since
$\ell$ decreases, the smallest margin gives the largest loss. For $L_2$ use
Cauchy-Schwarz. $\square$
```

We train such a linear RNN to tell the digit 3 from the digit 8, compute $w$ from its weights
with the formula above, and check it against the margin Keras computes.
"""),
code("""
def two_digit_split(split, a=3, b=8):
    xs, ys = getattr(digits, f"x_{split}"), getattr(digits, f"y_{split}")
    keep = np.isin(ys, [a, b])
    return xs[keep], (ys[keep] == b).astype(np.int64)  # label 1 = the digit b


xb_train, yb_train = two_digit_split("train")
xb, yb = two_digit_split("test")
linear_rnn = compile_classifier(keras.Sequential([
    keras.Input((8, 8)),
    keras.layers.SimpleRNN(16, activation=None, name="linear_rnn"),  # h_t = x_t W + h U + b
    keras.layers.Dense(2, name="logits"),
]))
linear_rnn.fit(xb_train, yb_train, epochs=profile.epochs, batch_size=profile.batch_size,
               verbose=0)
linear_acc = linear_rnn.evaluate(xb, yb, verbose=0)[1]

W, U, b = [a.astype(np.float64) for a in linear_rnn.get_layer("linear_rnn").get_weights()]
V, c = [a.astype(np.float64) for a in linear_rnn.get_layer("logits").get_weights()]
v = V[:, 1] - V[:, 0]  # [H]
steps_ = xb.shape[1]
w = np.stack([W @ np.linalg.matrix_power(U, steps_ - 1 - t) @ v for t in range(steps_)])  # [T, D]
beta = b @ sum(np.linalg.matrix_power(U, k) for k in range(steps_)) @ v + c[1] - c[0]
score = np.einsum("btd,td->b", xb.astype(np.float64), w) + beta  # <w, x> + beta, [B]
logits_b = linear_rnn(xb).numpy().astype(np.float64)
print(f"linear RNN, 3 vs 8: test accuracy {linear_acc:.3f} on {len(xb)} digits; "
      f"max |score - (z_1 - z_0)| = {np.abs(score - (logits_b[:, 1] - logits_b[:, 0])).max():.1e}")
"""),
check("""
assert linear_acc >= 0.85, linear_acc
assert np.abs(score - (logits_b[:, 1] - logits_b[:, 0])).max() < 1e-4
"""),
md(r"""
Now the closed form against the attacks, at the same $\epsilon$ = {glue:text}`eps`. The theorem
has no pixel range, so here we let the attack leave $[0, 1]$ (`clip=None`).
"""),
code("""
margin = np.where(yb == 1, score, -score)  # m(x) = z_y - z_other
l1 = np.abs(w).sum()
closed_form = np.logaddexp(0.0, -(margin - eps * l1))  # log(1 + exp(-(m - eps ||w||_1)))
_, linear_pgd = pgd_max(linear_rnn, xb, yb, eps, clip=None)
linear_fgsm = fgsm(linear_rnn, xb, yb, eps, progress=False)
linear_fgsm_loss, _ = loss_and_grad(linear_rnn, linear_fgsm.x_adv, yb)
rel_err = np.abs(linear_pgd - closed_form) / closed_form
print(f"||w||_1 = {l1:.3f}: worst-case margin drop eps*||w||_1 = {eps * l1:.3f}")
print(f"mean worst-case loss: closed form {closed_form.mean():.4f}, PGD {linear_pgd.mean():.4f}, "
      f"FGSM {linear_fgsm_loss.mean():.4f}; max relative error of PGD {rel_err.max():.1e}")
glue("linear_acc", round(linear_acc, 3))
glue("l1", round(float(l1), 2))
glue("closed_form", round(float(closed_form.mean()), 4))
glue("linear_pgd", round(float(linear_pgd.mean()), 4))
glue("linear_rel_err", float(f"{rel_err.max():.1e}"))
"""),
check("""
assert np.allclose(linear_pgd, closed_form, rtol=1e-4, atol=1e-5), rel_err.max()
assert np.allclose(linear_fgsm_loss, closed_form, rtol=1e-4, atol=1e-5)
"""),
md(r"""
The linear RNN separates 3 from 8 with {glue:text}`linear_acc:.1%` accuracy. Its effective
weights have $\|w\|_1$ = {glue:text}`l1`, so the worst case lowers every margin by
$\epsilon \|w\|_1$, and the mean worst-case loss is {glue:text}`closed_form`. PGD reaches
{glue:text}`linear_pgd` (largest relative error {glue:text}`linear_rel_err`): for a linear model
the gradient sign *is* $-s\,\operatorname{sign}(w)$ everywhere, so even one FGSM step lands on
the optimal vertex $\delta^\star$. This is the linearity argument of Goodfellow et al.
{cite}`goodfellow2015explaining` made exact: the damage grows with $\|w\|_1$, which grows with
the input dimension, and for a recurrent model with the sequence length.

## 4.1.6 Lower bounds and upper bounds

For a non-linear RNN no closed form exists, and an attack only gives a **lower bound** on the
inner maximum: the true worst case is at least what PGD found, and a stronger attack might find
more. To *prove* robustness we need an **upper bound**: a certificate. The simplest is interval
bound propagation (IBP) {cite}`gowal2018effectiveness`, used for recurrent text models by Jia
et al. {cite}`jia2019certified`.

```{prf:definition} Interval bound propagation through an RNN step
:label: def-ibp
Represent a box $\{v : |v - \mu| \le r\}$ by its centre $\mu$ and radius $r \ge 0$. An affine
map $v \mapsto v A + a$ sends it into the box with centre $\mu A + a$ and radius $r |A|$
($|A|$ elementwise). A monotone function such as $\tanh$ sends $[l, u]$ to $[\tanh l, \tanh u]$.
For one SimpleRNN step, with boxes for $x_t$ and $h_{t-1}$,

$$\mu_{\text{pre}} = \mu_{x_t} W + \mu_{h} U + b, \quad r_{\text{pre}} = r_{x_t} |W| + r_h |U|,
\quad h_t \in [\tanh(\mu_{\text{pre}} - r_{\text{pre}}),\,
\tanh(\mu_{\text{pre}} + r_{\text{pre}})].$$

After the last step, $z_j - z_y = h_T (V_{:,j} - V_{:,y}) + c_j - c_y \le \overline{m}_j$ with
$\overline{m}_j = \mu_h (V_{:,j} - V_{:,y}) + r_h |V_{:,j} - V_{:,y}| + c_j - c_y$.
```

Since cross-entropy is $\log \sum_j e^{z_j - z_y}$, increasing in every difference, its
worst case is at most $\log \sum_j e^{\overline{m}_j}$ (with $\overline{m}_y = 0$), and the
prediction is **certified** when $\overline{m}_j < 0$ for every $j \ne y$. The input box is
$[\max(0, x - \epsilon), \min(1, x + \epsilon)]$. First we check that the hand-written step
is the Keras layer ($\epsilon = 0$ must give the model's logits exactly).
"""),
code("""
def ibp_bounds(weights, x, y, eps, activation=np.tanh, clip=(0.0, 1.0)):
    \"\"\"IBP upper bounds m_bar [B, C] on z_j - z_y over the eps box around x (SimpleRNN).\"\"\"
    W, U, b, V, c = weights
    low, high = x - eps, x + eps  # [B, T, D]
    if clip is not None:
        low, high = np.clip(low, *clip), np.clip(high, *clip)
    mu_x, r_x = (high + low) / 2, (high - low) / 2
    mu_h = np.zeros((len(x), W.shape[1]))  # [B, H]
    r_h = np.zeros_like(mu_h)
    for t in range(x.shape[1]):
        mu_pre = mu_x[:, t] @ W + mu_h @ U + b  # [B, H]
        r_pre = r_x[:, t] @ np.abs(W) + r_h @ np.abs(U)  # [B, H]
        h_low, h_high = activation(mu_pre - r_pre), activation(mu_pre + r_pre)
        mu_h, r_h = (h_high + h_low) / 2, (h_high - h_low) / 2
    V_diff = V[None, :, :] - V[:, y].T[:, :, None]  # [B, H, C]: V_j - V_y
    c_diff = c[None, :] - c[y][:, None]  # [B, C]
    return (np.einsum("bh,bhc->bc", mu_h, V_diff) + np.einsum("bh,bhc->bc", r_h, np.abs(V_diff))
            + c_diff)


def ibp_loss_bound(m_bar):
    return np.logaddexp.reduce(m_bar, axis=1)  # log sum_j exp(m_bar_j), with m_bar_y = 0


def certified(m_bar, y):
    others = np.ones_like(m_bar, dtype=bool)
    others[np.arange(len(y)), y] = False
    return np.all(np.where(others, m_bar, -np.inf) < 0, axis=1)


rnn_weights = [a.astype(np.float64) for a in model.get_layer("simple_rnn").get_weights()
               + model.get_layer("logits").get_weights()]
m_zero = ibp_bounds(rnn_weights, x.astype(np.float64), y, 0.0)
keras_logits = model(x).numpy().astype(np.float64)
keras_diff = keras_logits - keras_logits[np.arange(n), y][:, None]
ibp_exact_err = np.abs(m_zero - keras_diff).max()
print(f"eps = 0: max |IBP bound - Keras logit difference| = {ibp_exact_err:.1e}")
"""),
check("""
assert np.abs(m_zero - keras_diff).max() < 1e-4
assert np.allclose(ibp_loss_bound(m_zero), clean_loss, atol=1e-4)
"""),
md(r"""
Now both bounds over a sweep of budgets, from $10^{-6}$ to the {glue:text}`eps` of the attacks
above (a logarithmic scale). The lower bound on the worst-case loss is PGD's value
(`pgd_max`); the lower bound on {term}`robust accuracy <Robustness (鲁棒性)>` is IBP's certified accuracy, and the upper
bound on it is the accuracy left after `rnnsec.adversarial.pgd` (with a random start), since an
attack can only show that some inputs are *not* robust.
"""),
code("""
sweep = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, eps]
lower_loss, upper_loss, pgd_acc, cert_acc, example_gap_ok = [], [], [], [], []
for e in sweep:
    _, attack_loss = pgd_max(model, x, y, e)
    m_bar = ibp_bounds(rnn_weights, x.astype(np.float64), y, e)
    bound = ibp_loss_bound(m_bar)
    example_gap_ok.append(bool(np.all(bound >= attack_loss - 1e-4)))
    lower_loss.append(float(attack_loss.mean()))
    upper_loss.append(float(bound.mean()))
    attack = pgd(model, x, y, e, clip_min=0.0, clip_max=1.0, seed=0, progress=False)
    pgd_acc.append(float(np.mean(attack.pred_adv == y)))
    cert_acc.append(float(np.mean(certified(m_bar, y))))
for e, lo, hi, pa, ca in zip(sweep, lower_loss, upper_loss, pgd_acc, cert_acc):
    print(f"eps={e:<7g} worst-case loss in [{lo:.3f}, {hi:.3f}]   robust accuracy in "
          f"[{ca:.3f} (IBP), {pa:.3f} (PGD)]")
"""),
code("""
plots.bounds_vs_epsilon(sweep, lower_loss, upper_loss, logx=True,
                        lower_label="PGD loss (lower bound)",
                        upper_label="IBP bound (upper bound)",
                        xlabel="epsilon (L-inf, pixel units; log scale)",
                        ylabel="mean worst-case cross-entropy (log scale)",
                        title=f"Inner maximum of SimpleRNN({units}) on digits");
fig = plots.accuracy_vs_epsilon(sweep, {"after PGD (upper bound)": pgd_acc,
                                        "IBP-certified (lower bound)": cert_acc},
                                chance=0.1, xlabel="epsilon (L-inf, pixel units; log scale)",
                                title="Robust accuracy, bracketed")
fig.axes[0].set_xscale("log")
"""),
code("""
U_rec = rnn_weights[1]  # [H, H] recurrent kernel
rho_abs = float(np.max(np.abs(np.linalg.eigvals(np.abs(U_rec)))))  # growth of IBP radii
rho = float(np.max(np.abs(np.linalg.eigvals(U_rec))))  # growth of real perturbations (linear)
print(f"spectral radius of |U|: {rho_abs:.2f}; of U: {rho:.2f}; over 7 recurrent steps "
      f"(|U|)^7 can grow a box {rho_abs ** 7:.1e}-fold")
i6, i5, i3 = sweep.index(1e-6), sweep.index(1e-5), sweep.index(1e-3)
glue("cert_1e6", cert_acc[i6])
glue("pgd_1e6", pgd_acc[i6])
glue("cert_1e5", cert_acc[i5])
glue("cert_1e3", cert_acc[i3])
glue("pgd_1e3", pgd_acc[i3])
glue("pgd_eps", pgd_acc[-1])
glue("gap_1e3", round(upper_loss[i3] / lower_loss[i3], 1))
glue("rho_abs", round(rho_abs, 2))
glue("rho", round(rho, 2))
glue("growth7", float(f"{rho_abs ** 7:.1e}"))
"""),
check("""
assert all(example_gap_ok), example_gap_ok  # IBP >= attack for every example and budget
assert all(u >= lo for u, lo in zip(upper_loss, lower_loss))
assert all(ca <= pa + 1e-9 for ca, pa in zip(cert_acc, pgd_acc)), (cert_acc, pgd_acc)
assert all(b <= a + 1e-9 for a, b in zip(cert_acc, cert_acc[1:])), cert_acc
assert cert_acc[i6] >= 0.8 and pgd_acc[i6] >= cert_acc[i6], (cert_acc, pgd_acc)
assert cert_acc[i3] <= 0.05 and pgd_acc[i3] >= 0.8, (cert_acc, pgd_acc)  # bracket wide open
assert upper_loss[i3] > 10 * lower_loss[i3]
assert rho_abs > 2 * rho
"""),
md(r"""
Every bound came out on the right side, for every digit and budget. At $\epsilon = 10^{-6}$
the bracket is tight: IBP certifies {glue:text}`cert_1e6:.1%` of the digits and PGD leaves
{glue:text}`pgd_1e6:.1%` correct. By $\epsilon = 10^{-5}$ IBP certifies only
{glue:text}`cert_1e5:.1%`, and at $\epsilon = 10^{-3}$, a sixtieth of a grey level, it certifies
{glue:text}`cert_1e3:.1%` while PGD still leaves {glue:text}`pgd_1e3:.1%` correct; its loss
bound there is {glue:text}`gap_1e3` times the attack's. At the attacks' $\epsilon$ =
{glue:text}`eps`, PGD leaves {glue:text}`pgd_eps:.1%` and IBP proves nothing.

Why so loose? Each IBP step multiplies the box radius by $|U|$ (the elementwise absolute value),
which treats every coordinate of $h_{t-1}$ as if it could sit at its worst at once. The
spectral radius of $|U|$ is {glue:text}`rho_abs`, against {glue:text}`rho` for $U$ itself, so
over the 7 recurrent multiplications a box can grow by a factor of order
{glue:text}`growth7:.1e`, until $\tanh$ saturates. This is the *dependency problem* of interval
arithmetic, and recurrence compounds it step after step. Models *trained* with the IBP bound in
their loss {cite}`gowal2018effectiveness,jia2019certified` keep it tight; for a normally
trained RNN, what an attack fails to break and what anyone can prove are orders of magnitude
apart, which is why an attack's failure is never a proof of robustness.

## Summary

- The source article's objective averages the loss at perturbed inputs; the robust objective
  {prf:ref}`def-adversarial-risk` takes the **worst** perturbation in a ball. On our
  SimpleRNN the worst case found by PGD is {glue:text}`worst_over_average` times the average
  over random perturbations.
- PGD is steepest ascent in the attack's norm ({prf:ref}`def-steepest-ascent`: sign of the
  gradient for $L_\infty$, the normalised gradient for $L_2$) plus projection; twenty lines of
  NumPy reproduce `rnnsec.adversarial.pgd` to float precision.
- Along the gradient sign the loss rises steeply; along a random direction it stays flat.
  At $\epsilon$ = {glue:text}`eps`: random {glue:text}`random_dir_loss` $\le$ FGSM
  {glue:text}`fgsm_loss` $\le$ PGD {glue:text}`pgd_loss`.
- Danskin's theorem ({prf:ref}`thm-danskin`) justifies adversarial training: the gradient of the
  worst-case loss is the gradient at the maximiser, confirmed here to {glue:text}`danskin_err`.
- For a linear RNN the inner max is exact: the margin drops by $\epsilon\|w\|_1$, and PGD
  matches it.
- Attacks give lower bounds, certificates upper bounds. IBP brackets the truth tightly only at
  tiny budgets: on a normally trained RNN its boxes grow with the spectral radius of $|U|$
  ({glue:text}`rho_abs`) at every step, so at $\epsilon = 10^{-3}$ it certifies
  {glue:text}`cert_1e3:.1%` while PGD leaves {glue:text}`pgd_1e3:.1%` correct.

## Exercises

```{exercise}
:label: ex-4-1-1
Repeat the worked example of Section 4.1.5 for the $L_2$ ball with $\epsilon = 0.5$ over the
whole sequence: state the closed form from {prf:ref}`thm-linear-worst-case`, compute it, and
compare it with `pgd_max(..., norm="2", clip=None)`. Does one FGM step (`fgsm(..., norm="2")`)
reach it too? Store the closed-form worst-case loss of every digit of `xb` in `closed_l2` and
run `check.exercise("4.1-1", closed_l2, model=linear_rnn, x=xb, y=yb)`.
```

```{solution-start} ex-4-1-1
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
eps2 = 0.5
closed_l2 = np.logaddexp(0.0, -(margin - eps2 * np.sqrt((w ** 2).sum())))
_, pgd_l2 = pgd_max(linear_rnn, xb, yb, eps2, norm="2", clip=None)
fgm_l2, _ = loss_and_grad(linear_rnn, fgsm(linear_rnn, xb, yb, eps2, norm="2",
                                           progress=False).x_adv, yb)
print(f"mean worst-case loss: closed form {closed_l2.mean():.4f}, PGD {pgd_l2.mean():.4f}, "
      f"FGM {fgm_l2.mean():.4f}; max relative error of PGD "
      f"{np.max(np.abs(pgd_l2 - closed_l2) / closed_l2):.1e}")
# END SOLUTION
check.exercise("4.1-1", closed_l2, model=linear_rnn, x=xb, y=yb)
"""),
md(r"""
The worst case lowers the margin by $\epsilon\|w\|_2$, and both PGD and a single FGM step find
it: for a linear score the normalised gradient is $\pm w / \|w\|_2$ wherever it is evaluated.
```{solution-end}
```

```{exercise}
:label: ex-4-1-2
Danskin's theorem needs a unique maximiser for a gradient. Find a point where two perturbations
of the finite set tie: move $\theta$ along $u = \nabla_\theta L(\theta, \delta_{k_2}) -
\nabla_\theta L(\theta, \delta_{k_1})$ (runner-up minus maximiser) until another perturbation
overtakes the maximiser, locate the exact tie, and compare the left and right
finite-difference derivatives of $\phi$ along $u$ there with the slopes of the two tied losses.
Store $u$ (a list of arrays shaped like `theta`), the step $s$ of the tie and the two
derivatives in `kink = {"direction": u, "s_tie": ..., "left": ..., "right": ...}` and run
`check.exercise("4.1-2", kink, theta=theta,
losses=lambda th: tiny_losses(th, x0 + perturbations, y0))`.
```

```{solution-start} ex-4-1-2
:class: dropdown
```
"""),
code("""
from scipy.optimize import brentq

from rnnsec import check

# BEGIN SOLUTION
k1, k2 = np.argsort(losses)[-1], np.argsort(losses)[-2]  # maximiser, runner-up
g1, _ = grad_at(theta, perturbations[k1])
g2, _ = grad_at(theta, perturbations[k2])
u = [a - b for a, b in zip(g2, g1)]


def moved(s):
    return [p + s * d for p, d in zip(theta, u)]


def top(s):
    return int(np.argmax(tiny_losses(moved(s), x0 + perturbations, y0)))


# walk along u until the maximiser changes, then find the exact tie between the two
grid = np.linspace(0.0, 2.0, 401)
i = next(j for j in range(1, len(grid)) if top(grid[j]) != k1)
k_new = top(grid[i])


def gap(s):
    l = tiny_losses(moved(s), x0 + perturbations, y0)
    return l[k_new] - l[k1]


s_tie = brentq(gap, grid[i - 1], grid[i], xtol=1e-14)
step = 1e-6
right = (phi(moved(s_tie + step)) - phi(moved(s_tie))) / step
left = (phi(moved(s_tie)) - phi(moved(s_tie - step))) / step
slopes = [sum(float((g * d).sum()) for g, d in zip(grad_at(moved(s_tie), perturbations[k])[0], u))
          for k in (k1, k_new)]
print(f"perturbation {k_new} overtakes {k1} at s = {s_tie:.5f}")
print(f"left derivative of phi {left:.4f}, right derivative {right:.4f}")
print(f"slopes of the two tied losses along u: {slopes[0]:.4f} and {slopes[1]:.4f}")
kink = {"direction": u, "s_tie": s_tie, "left": left, "right": right}
# END SOLUTION
check.exercise("4.1-2", kink, theta=theta,
               losses=lambda th: tiny_losses(th, x0 + perturbations, y0))
"""),
md(r"""
The two one-sided derivatives differ: at the tie, $\phi$ has a kink. Its left derivative is
the slope of the loss that was on top before the tie, its right derivative the larger of the
two slopes, $\max_{\delta \in \Delta^\star} \nabla_\theta L^\top u$, as the
theorem's first formula says. In training such exact ties have probability zero, but near-ties
make the adversarial gradient jump from step to step.
```{solution-end}
```

```{exercise}
:label: ex-4-1-3
IBP is exact for a single affine map, yet the linear RNN of Section 4.1.5 is affine in the
whole sequence. Run `ibp_bounds` on it (with `activation=lambda v: v` and `clip=None`) at
$\epsilon = 10^{-3}$ and at $\epsilon$ = {glue:text}`eps`, and compare its loss bound with the
closed form of {prf:ref}`thm-linear-worst-case`. Why are they different? Store the mean
losses in `ibp_vs_exact = {e: {"exact": ..., "ibp": ...}}` for both values of $\epsilon$ and
run `check.exercise("4.1-3", ibp_vs_exact, weights=[W, U, b, V, c], x=xb, y=yb)`.
```

```{solution-start} ex-4-1-3
:class: dropdown
```
"""),
code("""
from rnnsec import check

# BEGIN SOLUTION
linear_weights = [W, U, b, V, c]
ibp_vs_exact = {}
for e in [1e-3, eps]:
    exact = np.logaddexp(0.0, -(margin - e * np.abs(w).sum()))
    m_lin = ibp_bounds(linear_weights, xb.astype(np.float64), yb, e, activation=lambda v: v,
                       clip=None)
    ibp_lin = ibp_loss_bound(m_lin)
    ibp_vs_exact[e] = {"exact": float(exact.mean()), "ibp": float(ibp_lin.mean())}
    print(f"eps={e}: mean loss, exact {exact.mean():.4f}, IBP bound {ibp_lin.mean():.4f}; "
          f"IBP >= exact for every digit: {bool(np.all(ibp_lin >= exact - 1e-9))}")
print(f"spectral radius of |U|: {np.max(np.abs(np.linalg.eigvals(np.abs(U)))):.2f}, "
      f"of U: {np.max(np.abs(np.linalg.eigvals(U))):.2f}")
# END SOLUTION
check.exercise("4.1-3", ibp_vs_exact, weights=[W, U, b, V, c], x=xb, y=yb)
"""),
md(r"""
IBP is valid (never below the exact value) but loose, and looser as $\epsilon$ grows. It bounds
each step separately, so its radius after $T$ steps is built from $|W|$ and powers of $|U|$,
while the exact answer uses $|W U^{T-t} v|$; since $|A B| \le |A|\,|B|$ elementwise, with
equality only when no signs cancel, every step can only lose tightness. The box forgets that
all coordinates of $h_t$ come from the same $x$.
```{solution-end}
```

## References

The works cited in this chapter are listed, with those of every other chapter, in the
{doc}`bibliography <../book/bibliography>`; each citation above links to its entry.
"""),
]

notebook(cells, str(Path(__file__).resolve().parents[2] / "notebooks" / "41_minmax.ipynb"))

"""Self-checks for the exercises of Chapter 2.1 (Adversarial attacks on RNNs).

The checkers rerun cheap parts of the reader's experiment (a few PGD runs, the word
substitutions) on the models the notebook passes as context, and test the properties a right
answer has (a black-box result inside its budget, accuracy falling with more steps).
"""

from __future__ import annotations

import numpy as np

from rnnsec.adversarial import pgd, word_substitution
from rnnsec.adversarial.results import AttackResult
from rnnsec.check._core import as_fraction, register, require


@register("2.1-1", topic="PGD robust accuracy against the number of steps")
def _steps(answer, *, model, x, y, mask, epsilon: float) -> str:
    steps = (1, 3, 10, 30)
    require(isinstance(answer, dict), "give a dict from the number of steps (1, 3, 10, 30) to "
                                      "the robust accuracy")
    require(set(answer) == set(steps), f"the keys should be the step counts {list(steps)}, got "
                                       f"{sorted(answer)}")
    accs = [as_fraction(answer[k], f"answer[{k}]") for k in steps]
    require(all(b <= a + 0.02 for a, b in zip(accs, accs[1:], strict=False)),
            "more PGD steps should never leave a clearly higher robust accuracy: are these "
            "robust accuracies (not success rates), all at the same epsilon?")
    tol = max(0.03, 2.0 / len(y))
    for k in (1, 10):
        ref = pgd(model, x, y, epsilon, steps=k, mask=mask, seed=0,
                  progress=False).robust_accuracy
        require(abs(answer[k] - ref) <= tol,
                f"answer[{k}] does not match PGD-{k} at epsilon = {epsilon} (L-inf, default "
                "step size, mask=) on the attacked utterances")
    return ("Most of the gain comes in the first few steps and the curve is flat "
            "after about ten.")


@register("2.1-2", topic="SimBA in the L2 norm (eps 2, 500 queries) against white-box PGD")
def _simba_l2(answer, *, model, x, y, mask, epsilon: float = 2.0,
              max_queries: int = 500) -> str:
    require(isinstance(answer, AttackResult), "pass the AttackResult that simba(...) returned")
    require(answer.attack == "simba", f"this is a {answer.attack!r} result; run simba")
    require(answer.norm == "2", "run SimBA in the L2 norm (norm=\"2\")")
    require(abs(answer.epsilon - epsilon) < 1e-9, f"use epsilon = {epsilon} (L2, whole sequence)")
    x, mask = np.asarray(x, dtype=np.float32), np.asarray(mask)
    require(answer.x_adv.shape == x.shape, "attack the same utterances you passed as x=")
    require(np.all(answer.y == np.asarray(y)), "attack with the true labels y (untargeted)")
    delta = answer.x_adv - x
    require(np.all(np.sqrt((delta ** 2).sum(axis=(1, 2))) <= epsilon * (1 + 1e-4) + 1e-5),
            "some perturbation is outside the L2 ball of radius epsilon")
    require(np.all(delta[mask == 0] == 0), "pass mask= so the padding stays untouched")
    require(answer.queries is not None and answer.queries.max() <= max_queries,
            f"give SimBA a budget of max_queries={max_queries}")
    pred = np.asarray(model(answer.x_adv)).argmax(axis=1)
    require(np.mean(pred == answer.pred_adv) >= 0.99,
            "the result's predictions do not match model= on its adversarial inputs: attack "
            "the model you pass as model=")
    white = 1 - pgd(model, x, y, epsilon, norm="2", steps=10, mask=mask, seed=0,
                    progress=False).robust_accuracy
    return (f"SimBA (L2) succeeds on {answer.success_rate:.1%}, white-box PGD (L2, 10 steps) on "
            f"{white:.1%}: the black-box attack stays below the white-box one, as in L-inf.")


def _flip(result: AttackResult) -> float:
    """Share of correctly classified snippets whose label the attack flips."""
    right = result.pred_clean == result.y
    return float(np.mean(result.success[right]))


@register("2.1-3", topic="word substitution with the victim's vs co-occurrence neighbours")
def _words(answer, *, model, x, y, candidates, num_candidates: int = 8) -> str:
    require(isinstance(answer, dict) and set(answer) == {"victim", "cooccurrence"},
            "give a dict with the keys 'victim' and 'cooccurrence', each a dict from max_words "
            "(1 and 3) to the flip rate")
    for name in ("victim", "cooccurrence"):
        require(isinstance(answer[name], dict) and set(answer[name]) == {1, 3},
                f"answer[{name!r}] should map max_words 1 and 3 to a flip rate")
        for k in (1, 3):
            as_fraction(answer[name][k], f"answer[{name!r}][{k}]")
    for k in (1, 3):
        own = word_substitution(model, x, y, max_words=k, num_candidates=num_candidates,
                                progress=False)
        cooc = word_substitution(model, x, y, max_words=k, candidates=candidates,
                                 progress=False)
        tol = 1.0 / len(y)
        got_own, got_cooc = answer["victim"][k], answer["cooccurrence"][k]
        require(not (abs(got_own - _flip(cooc)) <= tol and abs(got_cooc - _flip(own)) <= tol),
                f"for max_words={k} the two candidate sets are swapped")
        require(abs(got_own - own.success_rate) > tol or abs(own.success_rate - _flip(own)) <= tol,
                "count flips only among the snippets the model classified correctly (the flip "
                "rate), not the attack's success rate over all snippets")
        require(abs(got_own - _flip(own)) <= tol,
                f"answer['victim'][{k}] does not match the victim's own {num_candidates} "
                f"embedding neighbours (candidates=None, num_candidates={num_candidates})")
        require(abs(got_cooc - _flip(cooc)) <= tol,
                f"answer['cooccurrence'][{k}] does not match the attacker's co-occurrence "
                "neighbours (candidates=candidates)")
    return ("The victim's embedding groups words of the same sentiment, so swapping within "
            "its neighbourhoods rarely flips the label; co-occurrence neighbours mix sentiments.")

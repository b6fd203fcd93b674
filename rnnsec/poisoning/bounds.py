"""What differential privacy guarantees against poisoning: the group-privacy bound.

DP training limits what any one training record can do to the trained model's behaviour, so it
also limits what ``k`` poisoned records can do (Ma, Zhu & Hsu 2019, "Data poisoning against
differentially-private learners"). If the training algorithm ``M`` is (epsilon, delta)-DP for
datasets that differ in one record, then for datasets ``D`` and ``D'`` that differ in ``k``
records and every set of outcomes ``S`` (for a backdoor: "the trained model assigns this
triggered input to the target class"),

    P[M(D') in S] <= e^(k eps) P[M(D) in S] + delta (1 + e^eps + ... + e^((k-1) eps))
                  =  e^(k eps) P[M(D) in S] + delta (e^(k eps) - 1) / (e^eps - 1),

obtained by applying the DP inequality along a chain of ``k`` neighbouring datasets (group
privacy; Dwork & Roth 2014, Theorem 2.2 for delta = 0). The delta term is at most the
``k e^((k-1) eps) delta`` of the usual statement. Both sides are linear in the probability, so
the bound holds for an attack success *rate* averaged over test inputs as well, with
``P[M(D) in S]`` the rate on a model trained on the clean data.

The neighbouring relation matters: DP-SGD's accountant (Poisson sampling) counts adding or
removing one record, and poisoning an example in place removes one record and adds another,
so ``n`` in-place poisoned examples are a group of ``k = 2 n`` (:func:`poisoning_success_bound`).
The bound grows like ``e^(k eps)``: it says something only when ``k eps`` is about 1 or less,
that is for a handful of poisoned records under a strong privacy guarantee (Chapter 2.4).
"""

from __future__ import annotations

import math

from rnnsec._validate import check_number

__all__ = ["group_privacy_bound", "poisoning_success_bound"]


def group_privacy_bound(p_clean: float, *, k: int, epsilon: float, delta: float) -> float:
    """Largest probability of an outcome after changing ``k`` records of an (eps, delta)-DP
    training, given its probability ``p_clean`` on the unchanged data (capped at 1).

    Args:
        p_clean: probability (or rate) of the outcome without the change, in [0, 1].
        k: group size, records changed in the accountant's neighbouring relation (>= 0).
        epsilon: the training's epsilon (>= 0, finite).
        delta: the training's delta, in [0, 1].

    Returns:
        ``min(1, e^(k eps) p_clean + delta (e^(k eps) - 1) / (e^eps - 1))`` (``k delta`` when
        ``eps = 0``). Dwork & Roth 2014 (group privacy); Ma, Zhu & Hsu 2019.
    """
    check_number("p_clean", p_clean, low=0.0, high=1.0)
    check_number("k", k, low=0, integer=True)
    check_number("epsilon", epsilon, low=0.0)
    check_number("delta", delta, low=0.0, high=1.0)
    if k * epsilon > 700:  # e^(k eps) overflows a float; the bound is vacuous long before
        return 1.0
    growth = math.exp(k * epsilon)
    delta_k = k * delta if epsilon == 0 else delta * math.expm1(k * epsilon) / math.expm1(epsilon)
    return min(1.0, growth * p_clean + delta_k)


def poisoning_success_bound(p_clean: float, *, n_poison: int, epsilon: float, delta: float,
                            in_place: bool = True) -> float:
    """The group-privacy bound on a poisoning attack's success with ``n_poison`` records.

    Args:
        p_clean: the success rate of the same trigger on a model trained (with the same DP
            training) on the clean data, in [0, 1].
        n_poison: poisoned records (>= 0).
        epsilon, delta: the DP guarantee under add/remove-one adjacency (DP-SGD's accountant).
        in_place: whether each poisoned record replaced a clean one (``k = 2 n_poison``, as in
            :func:`~rnnsec.poisoning.poison_dataset`) or was added (``k = n_poison``).

    Returns:
        :func:`group_privacy_bound` with that ``k``. Ma, Zhu & Hsu 2019; Chapter 2.4.
    """
    check_number("n_poison", n_poison, low=0, integer=True)
    if not isinstance(in_place, bool):
        raise TypeError(f"in_place must be True or False, got {in_place!r}")
    k = 2 * n_poison if in_place else n_poison
    return group_privacy_bound(p_clean, k=k, epsilon=epsilon, delta=delta)

"""Certified robustness of recurrent classifiers: bounds that no attack can beat.

An attack finds *some* bad input; a certificate proves that *no* input in a set changes the
prediction. ``rnnsec.certify`` bounds the logits of the book's sequence classifiers
(``[Masking] -> SimpleRNN/GRU/LSTM -> Dense``, from ``rnnsec.layers`` or Keras) over an L-inf
box around each sequence, with per-step budgets or at most ``k`` perturbed steps:

- ``interval``: interval bound propagation (IBP) through SimpleRNN, GRU and LSTM cells, masks
  respected (Gowal et al. 2018; Jia et al. 2019 for recurrent text models);
- ``relaxations``: sound linear bounds of tanh, sigmoid and their products;
- ``linear``: CROWN/POPQORN-style back-substitution through the recurrence for SimpleRNN and
  LSTM (Zhang et al. 2018; Ko et al. 2019; Du et al. 2021);
- ``certified``: ``logit_bounds``, ``margin_bounds``, ``certify`` (certified accuracy);
- ``training``: ``IBPTraining``, certified training through ``AdversarialTrainer.fit`` with
  the epsilon ramp and the kappa mixing of Gowal et al. 2018 (CROWN-IBP, Zhang et al. 2020,
  replaces the worst-case logits of IBP by tighter ones in the same loss).

Written with TensorFlow rather than NumPy because certified training differentiates the bounds
with respect to the weights: the same interval code serves certificates (float64, so rounding
does not matter) and training (float32, under ``tf.GradientTape`` in ``fit``), and runs on a
GPU when there is one.

Taught in Chapter 4.3 (Certified robustness of RNNs).
"""

from rnnsec.certify.certified import (
    METHODS,
    CertificationResult,
    certify,
    logit_bounds,
    margin_bounds,
)
from rnnsec.certify.inputs import InputSet, input_box
from rnnsec.certify.network import RecurrentNetwork, read_network
from rnnsec.certify.relaxations import activation_bounds, product_bounds
from rnnsec.certify.training import IBPTraining

__all__ = ["METHODS", "CertificationResult", "certify", "logit_bounds", "margin_bounds",
           "InputSet", "input_box", "RecurrentNetwork", "read_network", "activation_bounds",
           "product_bounds", "IBPTraining"]

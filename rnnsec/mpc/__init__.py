"""A toy but real semi-honest MPC protocol in one process, taught in Chapter 3.3 of the book.

Pure NumPy (never imports TensorFlow): additive secret sharing over Z_2^64 with fixed point
(:mod:`~rnnsec.mpc.ring`, :mod:`~rnnsec.mpc.session`), Beaver triples and other material from a
trusted dealer (:mod:`~rnnsec.mpc.dealer`), exact comparison (:mod:`~rnnsec.mpc.compare`),
approximations of exp, reciprocal, sigmoid and tanh (:mod:`~rnnsec.mpc.functions`), secure
inference of SimpleRNN/GRU/LSTM classifiers (:mod:`~rnnsec.mpc.rnn`) and secure aggregation
for federated learning (:mod:`~rnnsec.mpc.aggregation`). Every message is counted
(:mod:`~rnnsec.mpc.transcript`). The same protocols also run with every party in its own OS
process over loopback TCP, on emulated LAN/WAN links (:mod:`~rnnsec.mpc.parties`,
:mod:`~rnnsec.mpc.networked`, :mod:`~rnnsec.mpc.link`).

Quick start (Chapter 3.3)::

    from rnnsec import mpc
    session = mpc.Session(parties=2, frac_bits=16, seed=0)
    x = session.share([1.5, -2.0], owner=0)
    y = session.share([4.0, 0.25], owner=1)
    (x * y + 1).reveal()        # array([ 7. , 0.5]) up to 2^-16
    session.stats()             # bytes, rounds, triples
"""

from rnnsec.mpc.aggregation import DropoutError, SecureAggregationResult, secure_aggregate
from rnnsec.mpc.compare import absolute, less_than, ltz, relu, where
from rnnsec.mpc.dealer import Dealer, Material, TripleReuseError
from rnnsec.mpc.functions import (
    SIGMOID_METHODS,
    ApproximationReport,
    approximation_error,
    exp,
    reciprocal,
    sigmoid,
    sigmoid_poly_coefficients,
    sigmoid_tanh,
    tanh,
)
from rnnsec.mpc.link import PROFILES, LinkProfile, predicted_seconds
from rnnsec.mpc.networked import (
    NetworkedInferenceResult,
    latency_fit,
    measure_links,
    networked_rnn_predict,
)
from rnnsec.mpc.operations import CRYPTEN_2PC_SECONDS, format_operations, operation_costs
from rnnsec.mpc.parties import PartyGroup, PartyRun, run_parties
from rnnsec.mpc.ring import FixedPointRangeError, decode, encode, max_abs_value
from rnnsec.mpc.rnn import (
    CELLS,
    SecureInferenceResult,
    check_rnn_weights,
    random_rnn_weights,
    rnn_forward,
    secure_rnn_predict,
)
from rnnsec.mpc.session import Mark, Session, SharedTensor, concatenate, stack
from rnnsec.mpc.transcript import CommunicationStats, Message, PartyView, Transcript, ViewEntry
from rnnsec.mpc.transport import PartyError, Transport

__all__ = [
    "CELLS", "SIGMOID_METHODS",
    # sharing and accounting
    "Session", "SharedTensor", "Mark", "concatenate", "stack", "encode", "decode",
    "max_abs_value", "FixedPointRangeError", "Dealer", "Material", "TripleReuseError",
    "Message", "Transcript", "CommunicationStats", "PartyView", "ViewEntry",
    # comparisons and functions
    "ltz", "less_than", "where", "relu", "absolute", "exp", "reciprocal", "sigmoid", "tanh",
    "sigmoid_tanh", "sigmoid_poly_coefficients", "approximation_error", "ApproximationReport",
    # applications
    "rnn_forward", "secure_rnn_predict", "SecureInferenceResult", "check_rnn_weights",
    "random_rnn_weights", "secure_aggregate", "SecureAggregationResult", "DropoutError",
    # parties in separate processes
    "run_parties", "PartyGroup", "PartyRun", "PartyError", "Transport", "LinkProfile",
    "PROFILES", "predicted_seconds", "networked_rnn_predict", "NetworkedInferenceResult",
    "measure_links", "latency_fit",
    # per-operation costs beside CrypTen's published ones
    "operation_costs", "format_operations", "CRYPTEN_2PC_SECONDS",
]

"""rnnsec: the helper package of *Robust and Secure Recurrent Neural Networks*.

Every chapter of the book imports it. TensorFlow is imported lazily (only by the modules that
need it), so ``rnnsec.mpc`` and ``rnnsec.privacy.accounting`` work without it.

Defined in the preface; seeds and determinism are explained in Chapter 1.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import platform
import random

import numpy as np

from rnnsec._validate import check_number

__version__ = "0.1.0"

__all__ = ["__version__", "set_seed", "env_report"]


def set_seed(seed: int = 0, *, deterministic_ops: bool = True) -> None:
    """Seed Python, NumPy and TensorFlow, and turn on TensorFlow op determinism.

    After this call a notebook prints the same numbers when it is run twice on the same
    machine. TensorFlow is seeded only if it is installed.

    Args:
        seed: a non-negative integer.
        deterministic_ops: also call ``tf.config.experimental.enable_op_determinism()``.

    Chapter 1 (Background) explains why seeds matter for every claim in the book.
    """
    check_number("seed", seed, low=0, high=2**32 - 1, integer=True)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    if importlib.util.find_spec("tensorflow") is None:
        return
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()


def _version_of(module: str, distribution: str) -> str:
    """Installed version of ``distribution``, or why ``module`` cannot be imported."""
    try:
        importlib.import_module(module)
        return importlib.metadata.version(distribution)
    except Exception as err:  # noqa: BLE001 -- report why it is missing, never fail
        return f"not importable ({type(err).__name__})"


def env_report() -> dict:
    """Return (and describe) the software stack and device this book runs on.

    Returns:
        A dict with the versions of Python, NumPy, TensorFlow, Keras, tensorflow-privacy and
        dp-accounting, the device (``"GPU: <name>"`` or ``"CPU"``), the run profile, and whether
        this is Colab. Printing it gives one ``key: value`` line per entry.
    """
    from rnnsec import config

    report = {
        "python": platform.python_version(),
        "rnnsec": __version__,
        "numpy": np.__version__,
        "tensorflow": _version_of("tensorflow", "tensorflow"),
        "keras": _version_of("keras", "keras"),
        "tensorflow_privacy": _version_of("tensorflow_privacy", "tensorflow-privacy"),
        "dp_accounting": _version_of("dp_accounting", "dp-accounting"),
        "device": _device(),
        "profile": config.get_profile().name,
        "colab": importlib.util.find_spec("google.colab") is not None
        if importlib.util.find_spec("google") else False,
    }
    return _Report(report)


def _device() -> str:
    if importlib.util.find_spec("tensorflow") is None:
        return "CPU (TensorFlow not installed)"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU: {details.get('device_name', gpus[0].name)} (x{len(gpus)})"


class _Report(dict):
    """A dict that prints as aligned ``key: value`` lines."""

    def __repr__(self) -> str:
        width = max(map(len, self))
        return "\n".join(f"{k:<{width}} : {v}" for k, v in self.items())

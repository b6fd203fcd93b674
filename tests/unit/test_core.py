"""rnnsec's core: version, set_seed, env_report, run profiles, input validation."""

import random

import numpy as np
import pytest

import rnnsec
from rnnsec import config
from rnnsec._validate import (
    as_float_array,
    as_int_array,
    check_choice,
    check_number,
    check_same_length,
)


def test_version_is_a_release_string():
    assert rnnsec.__version__.count(".") == 2


def test_set_seed_repeats_python_numpy_and_tensorflow_draws():
    import tensorflow as tf

    def draws():
        rnnsec.set_seed(123)
        return random.random(), np.random.rand(), float(tf.random.uniform(()))

    assert draws() == draws()
    rnnsec.set_seed(124)
    assert np.random.rand() != draws()[1]


def test_set_seed_makes_training_repeatable():
    from rnnsec.models import sequence_classifier

    def train_once():
        rnnsec.set_seed(7)
        x = np.random.rand(64, 5, 3).astype("float32")
        y = np.random.randint(0, 3, 64)
        model = sequence_classifier((5, 3), 3, units=8)
        model.compile("adam", rnnsec.compat.per_example_loss())
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        return model.predict(x, verbose=0)

    np.testing.assert_array_equal(train_once(), train_once())


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "3", True])
def test_set_seed_rejects_bad_seeds(seed):
    with pytest.raises((ValueError, TypeError), match="seed"):
        rnnsec.set_seed(seed)


def test_env_report_names_the_stack():
    report = rnnsec.env_report()
    for key in ("python", "numpy", "tensorflow", "keras", "tensorflow_privacy", "device"):
        assert key in report
    assert report["device"].startswith(("CPU", "GPU"))
    assert "tensorflow" in repr(report)


def test_profiles_default_to_cpu_and_full_is_larger(monkeypatch):
    monkeypatch.delenv("RNNSEC_FULL", raising=False)
    assert config.get_profile().name == "cpu"
    monkeypatch.setenv("RNNSEC_FULL", "1")
    full = config.get_profile()
    assert full.name == "full"
    assert full.epochs > config.CPU.epochs and full.corpus_chars > config.CPU.corpus_chars
    assert config.get_profile(full=False) is config.CPU


def test_profile_rejects_unclear_environment(monkeypatch):
    monkeypatch.setenv("RNNSEC_FULL", "maybe")
    with pytest.raises(ValueError, match="RNNSEC_FULL"):
        config.get_profile()
    with pytest.raises(TypeError, match="full"):
        config.get_profile(full="yes")


def test_profile_scaled_replaces_fields():
    assert config.CPU.scaled(epochs=3).epochs == 3


@pytest.mark.parametrize("kwargs, value, error", [
    ({"low": 0}, -1.0, ValueError), ({"low": 0, "low_open": True}, 0, ValueError),
    ({"high": 1}, 1.5, ValueError), ({}, float("nan"), ValueError), ({}, "1", TypeError),
    ({"integer": True}, 1.5, TypeError), ({}, True, TypeError),
])
def test_check_number_names_the_argument(kwargs, value, error):
    with pytest.raises(error, match="epsilon"):
        check_number("epsilon", value, **kwargs)


def test_check_number_accepts_values_in_range():
    assert check_number("p", 0.5, low=0, high=1) == 0.5
    assert check_number("n", np.int64(3), low=1, integer=True) == 3


def test_validators_reject_bad_arrays():
    with pytest.raises(ValueError, match="norm"):
        check_choice("norm", "1", ("inf", "2"))
    with pytest.raises(ValueError, match="ragged|rectangular"):
        as_float_array("x", [[1, 2], [3]])
    with pytest.raises(ValueError, match="NaN"):
        as_float_array("x", [1.0, np.nan])
    with pytest.raises(ValueError, match="dimensions"):
        as_float_array("x", np.zeros((2, 2)), ndim=3)
    with pytest.raises(ValueError, match="y values must be < 10"):
        as_int_array("y", [1, 10], high=10)
    with pytest.raises(ValueError, match="non-integer"):
        as_int_array("y", [1.5])
    with pytest.raises(ValueError, match="x=3, y=2"):
        check_same_length(x=[1, 2, 3], y=[1, 2])

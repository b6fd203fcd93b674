"""rnnsec.mpc.operations: CrypTen's benchmarked operations timed and counted (Chapter 3.3)."""

import pytest

from rnnsec import mpc


def test_operation_costs_cover_cryptens_operations_with_rounds_and_bytes():
    rows = mpc.operation_costs(seed=0, loops=1)
    assert [r["op"] for r in rows] == list(mpc.CRYPTEN_2PC_SECONDS)
    by_op = {r["op"]: r for r in rows}
    # a product of shared tensors is one opening round of e and d, 100 x 100 x 8 bytes each,
    # sent by each of the two parties
    assert by_op["mul"]["rounds"] == by_op["matmul"]["rounds"] == 1
    assert by_op["mul"]["bytes"] == 2 * 2 * 100 * 100 * 8
    # sigmoid and tanh need an exp and a reciprocal: many more rounds than one product
    assert by_op["sigmoid"]["rounds"] > by_op["exp"]["rounds"] > 1
    assert all(r["seconds"] > 0 and r["crypten"] > 0 for r in rows)
    table = mpc.format_operations(rows)
    assert table.count("\n") == len(rows) and "sigmoid" in table


def test_operation_costs_rejects_bad_loops():
    with pytest.raises(ValueError, match="loops"):
        mpc.operation_costs(loops=0)

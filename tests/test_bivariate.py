"""The bivariate orienters (methods/bivariate.py)."""
import numpy as np
import pytest

from datasets.base import Observations


@pytest.mark.slow
@pytest.mark.parametrize("name", ["anm", "igci", "reci", "cds"])
def test_a_bivariate_orienter_is_antisymmetric_and_refuses_more_than_two_variables(name):
    """The score flips with the columns; ANM orients a clear additive-noise pair; d = 3 is
    refused. (The conformance battery runs them on d = 2 data: tests/test_conformance.py.)"""
    from methods import get_method

    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, 300)
    y = x ** 3 + rng.uniform(-1, 1, 300)
    m = get_method(name)
    s_xy = m.fit(Observations(np.column_stack([x, y]), None, ("x", "y"))).scores
    s_yx = m.fit(Observations(np.column_stack([y, x]), None, ("x", "y"))).scores
    np.testing.assert_allclose(s_xy, s_yx.T, rtol=1e-6, atol=1e-9)
    assert s_xy[0, 1] == -s_xy[1, 0]
    if name == "anm":
        assert s_xy[0, 1] > 0
    with pytest.raises(ValueError, match="exactly 2 variables"):
        m.fit(Observations(rng.normal(size=(50, 3)), None, ("a", "b", "c")))

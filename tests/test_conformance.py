"""Every registered method through every conformance check, with readable test ids."""
import pytest

import methods
from methods.conformance import CHECKS

SLOW = {name for name in methods.list_methods() if methods.method_class(name).time_budget_s > 120}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in methods.list_methods()])
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_conformance(check, name):
    check(name)

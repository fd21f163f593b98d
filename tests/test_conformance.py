"""Every registered method through every conformance check, with readable test ids.

Nobody lists the methods: a newly registered one is picked up here automatically.
"""
import pytest

import methods
from methods.conformance import CHECKS


@pytest.mark.parametrize("name", methods.list_methods())
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_conformance(check, name):
    check(name)

"""The one number formatter."""

import math

import pytest

from spokenw2v.numbers import fixed, is_missing


@pytest.mark.parametrize("value", [None, "", "  ", math.nan, "nan"])
def test_missing_values_print_the_placeholder(value):
    assert is_missing(value)
    assert fixed(value) == "-"
    assert fixed(value, missing="n/a") == "n/a"
    assert fixed(value, width=6) == "     -"


@pytest.mark.parametrize("value, kwargs, text", [
    (0.12345, {}, "0.123"),
    ("0.5", {}, "0.500"),
    (3, {"digits": 0}, "3"),
    (0.25, {"digits": 2, "sign": True, "width": 6}, " +0.25"),
    (-0.25, {"digits": 2, "sign": True}, "-0.25"),
    (12345.6, {"digits": 0, "thousands": True}, "12,346"),
])
def test_numbers_print_with_fixed_decimals(value, kwargs, text):
    assert not is_missing(value)
    assert fixed(value, **kwargs) == text

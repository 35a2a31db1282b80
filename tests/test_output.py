import json

from hypothesis import given
from hypothesis import strategies as st

from echo_theory.cli.output import to_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_to_json_round_trips(value):
    assert json.loads(to_json(value)) == value


def test_short_flat_things_stay_inline():
    text = to_json({"rules": [{"lag": 3, "shift": "1/2"}], "learned": [3, 8]})
    assert text == '{\n  "rules": [\n    {"lag": 3, "shift": "1/2"}\n  ],\n  "learned": [3, 8]\n}'

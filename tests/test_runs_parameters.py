"""The parameter check shared by the Create-run form, POST runs/validate and %kfp run: text is
read as the type asks, every problem is reported at its parameter, defaults stay optional."""

from jupyter_kfp_connect.runs import check_parameters, invalid_parameters

SPECS = [
    {"name": "n", "type": "NUMBER_INTEGER", "default": 3, "has_default": True, "optional": True, "description": ""},
    {"name": "x", "type": "NUMBER_DOUBLE", "default": None, "has_default": False, "optional": False, "description": ""},
    {"name": "flag", "type": "BOOLEAN", "default": True, "has_default": True, "optional": True, "description": ""},
    {"name": "label", "type": "STRING", "default": None, "has_default": False, "optional": True, "description": ""},
    {"name": "tags", "type": "LIST", "default": [], "has_default": True, "optional": True, "description": ""},
    {"name": "cfg", "type": "STRUCT", "default": {}, "has_default": True, "optional": True, "description": ""},
]


def test_text_is_read_as_the_type_asks():
    values, errors = check_parameters(SPECS, {"n": "4", "x": "2.5", "flag": "FALSE", "label": 7,
                                              "tags": '["a", 1]', "cfg": '{"k": [1]}'})
    assert errors == {}
    assert values == {"n": 4, "x": 2.5, "flag": False, "label": "7", "tags": ["a", 1], "cfg": {"k": [1]}}
    assert check_parameters(SPECS, {"n": 5.0, "x": 1})[0] == {"n": 5, "x": 1}


def test_every_problem_at_its_parameter():
    values, errors = check_parameters(SPECS, {"n": 1.5, "flag": "yes", "tags": "[1,", "cfg": "[]",
                                              "label": ["no"], "typo": 1, "x": float("nan")})
    assert set(errors) == {"n", "flag", "tags", "cfg", "label", "typo", "x"}
    assert "whole number" in errors["n"] and "true or false" in errors["flag"]
    assert "not JSON" in errors["tags"] and "JSON object" in errors["cfg"]
    assert "its parameters: n, x, flag, label, tags, cfg" in errors["typo"]
    assert values == {}


def test_missing_required_and_none_means_default():
    values, errors = check_parameters(SPECS, {"n": None})
    assert errors == {"x": "required: this parameter has no default, give it a value"}
    assert values == {}
    error = invalid_parameters(SPECS, errors)
    assert error.status == 400 and error.code == "invalid_parameters"
    assert "x (number, required)" in error.problem.fix and "n (integer, default 3)" in error.problem.fix
    assert [p["name"] for p in error.problem.details["parameters"]] == [s["name"] for s in SPECS]

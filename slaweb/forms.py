"""Form fields the admin's pages share."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput

from slaweb.json_limits import HAS_NUL, TOO_DEEP, json_problem

NESTED_TOO_DEEPLY = f"The JSON is {TOO_DEEP}."
# What a form says of each problem `json_problem` finds.
PROBLEM_WORDS = {TOO_DEEP: NESTED_TOO_DEEPLY, HAS_NUL: f"The JSON's {HAS_NUL}."}


class JSONField(forms.JSONField):
    """Django's JSON field, refusing JSON slaweb does not read (`json_problem`), which would
    otherwise fail the page where it is decoded, stored or shown again."""

    def to_python(self, value: Any) -> Any:
        try:
            data = super().to_python(value)
        except RecursionError:
            raise ValidationError(NESTED_TOO_DEEPLY, code="invalid") from None
        problem = json_problem(data)
        if problem is not None:
            raise ValidationError(PROBLEM_WORDS[problem], code="invalid")
        return data

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            value = super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)
        return InvalidJSONInput(data) if json_problem(value) is not None else value


class JSONObjectField(JSONField):
    """A JSON object, where an empty box means an empty object (a record's custom fields)."""

    def clean(self, value: Any) -> Any:
        data = super().clean(value)
        if data in (None, ""):
            return {}
        if not isinstance(data, dict):
            raise ValidationError("Enter a JSON object, such as {}.", code="invalid")
        return data


def json_loads(text: str | bytes) -> Any:
    """`json.loads`, raising ValueError (as for any invalid JSON) for JSON slaweb does not
    read (`json_problem`)."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError(NESTED_TOO_DEEPLY) from None
    problem = json_problem(data)
    if problem is not None:
        raise ValueError(PROBLEM_WORDS[problem])
    return data


# The largest id a database column holds (64-bit); SQLite fails on a larger number.
MAX_ID = 2**63 - 1


class RecordsField(forms.ModelMultipleChoiceField[Any]):
    """Django's choice of several records, refusing an id no column can hold as it refuses
    any unknown id (a hand-made form could send one)."""

    def clean(self, value: Any) -> Any:
        for item in value or ():
            try:
                number = int(str(item))
            except ValueError:
                continue  # not a number: Django's own check refuses it
            if abs(number) > MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return super().clean(value)

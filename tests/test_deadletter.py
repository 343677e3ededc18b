"""Which messages ``MalformedMessages`` dead-letters: arguments checked against the actors'
own signatures (worker/runtime/actors.py), values never quoted in the reason."""

from __future__ import annotations

from typing import Any

import pytest

from worker.runtime.deadletter import misfit


def dispatch(account_id: str, due: float | None = None) -> None:
    """The dispatch actor's signature."""


def enroll_account(account: Any) -> None:
    """The intake actors' signature: the contract check happens inside."""


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("A-1",), {}),
        (("A-1", 1772463600.0), {}),
        (("A-1", 1772463600), {}),  # JSON has one number type
        (("A-1", None), {}),
        ((), {"account_id": "A-1", "due": 1.5}),
    ],
)
def test_arguments_that_fit_the_actor_pass(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    assert misfit(dispatch, args, kwargs) is None


@pytest.mark.parametrize(
    ("args", "kwargs", "reason"),
    [
        ((), {}, "missing a required argument: 'account_id'"),
        ((123,), {}, "account_id: expected string, got number"),
        (("A-1", "soon"), {}, "due: expected null or number, got string"),
        (("A-1", True), {}, "due: expected null or number, got boolean"),
        (("A-1", None, 3), {}, "too many positional arguments"),
        (("A-1",), {"when": 1}, "got an unexpected keyword argument 'when'"),
    ],
)
def test_arguments_that_do_not_fit_are_named_without_their_values(
    args: tuple[Any, ...], kwargs: dict[str, Any], reason: str
) -> None:
    assert misfit(dispatch, args, kwargs) == reason


def test_an_untyped_payload_is_left_to_the_actor_and_its_contract() -> None:
    assert misfit(enroll_account, ("not an account",), {}) is None
    assert misfit(enroll_account, ([1, 2],), {}) is None
    assert misfit(enroll_account, (), {}) == "missing a required argument: 'account'"

"""Fakes shipped with remind for tests at its outermost seams (the channels)."""

from worker.testing.channels import FailingChannel, FunctionChannel

__all__ = ["FailingChannel", "FunctionChannel"]

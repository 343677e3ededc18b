"""remind: multichannel reminder dispatch for overdue accounts, gated by contact rules."""

__version__ = "0.1.0"

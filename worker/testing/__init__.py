"""Fakes shipped with remind for tests at its outermost seams (the channels and providers).

``FunctionChannel`` and ``FailingChannel`` stand in for a channel; ``twilio_emulator`` serves
Twilio's Messages and Calls API on loopback for the real twilio client and makes its signed
callbacks (``twilio_callbacks``); ``smtp_sink`` is an SMTP server on loopback (it needs
``aiosmtpd``, a development dependency, so it is imported on its own); ``fakes`` runs the emulator
and the sink as one process for ``remind demo --live``.
"""

from worker.testing.channels import FailingChannel, FunctionChannel
from worker.testing.twilio_emulator import TwilioEmulator

__all__ = ["FailingChannel", "FunctionChannel", "TwilioEmulator"]

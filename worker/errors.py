"""The one error tree of remind.

::

    RemindError
     ├── ConfigError            bad environment or settings, raised at start
     ├── InvalidInput           an account, event or file row that breaks a contract
     ├── ScheduleError          a schedule file that cannot be loaded (file, line, field)
     ├── TemplateError          a template that is missing or fails to render
     ├── StateError             account state that does not allow the operation
     ├── ReplicationError       too few Redis replicas confirmed a write: not acknowledged
     └── DeliveryError          a channel could not deliver; ``kind`` says what dispatch does
          ├── PermanentDeliveryError     recorded ``failed``, never retried
          │    └── RecipientOptedOut      the recipient told the provider STOP
          ├── TransientDeliveryError     never processed: retried later
          ├── ProviderConfigurationError our account or sender is refused: the channel pauses
          └── AmbiguousDeliveryError     it may have gone out: recorded ``unknown``, never resent

Vendor exceptions are translated into ``DeliveryError`` at the channel boundary and never escape
``worker/channels`` (docs/integration.md, Provider errors).
"""

from __future__ import annotations


class RemindError(Exception):
    """Base class of every error remind raises on purpose."""


class ConfigError(RemindError):
    """A setting from the environment is missing or malformed."""


class InvalidInput(RemindError):
    """Input that breaks a contract; ``field`` names the bad field, ``source`` its origin."""

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None):
        self.field = field
        self.source = source
        prefix = f"{source}: " if source else ""
        where = f"{field}: " if field else ""
        super().__init__(f"{prefix}{where}{message}")
        self.message = message


class ScheduleError(RemindError):
    """A schedule file is invalid; the message names the file, the line and the field."""

    def __init__(
        self, message: str, *, file: str, line: int | None = None, field: str | None = None
    ):
        self.file = file
        self.line = line
        self.field = field
        loc = file if line is None else f"{file}:{line}"
        where = f" {field}:" if field else ""
        super().__init__(f"{loc}:{where} {message}")


class TemplateError(RemindError):
    """A template is missing, uses an unknown variable or fails to render."""


class StateError(RemindError):
    """Stored state does not allow the requested operation (unknown account, for instance)."""


class ReplicationError(RemindError):
    """Fewer Redis replicas than ``REMIND_REDIS_MIN_REPLICAS`` confirmed a write in time."""


class DeliveryError(RemindError):
    """A channel failed to deliver. ``permanent`` is False when a later retry may succeed."""

    def __init__(self, message: str, *, permanent: bool, code: str | None = None):
        self.permanent = permanent
        self.code = code
        #: what the dispatcher does about it: permanent | transient | configuration | ambiguous
        self.kind = "permanent" if permanent else "transient"
        super().__init__(message)


class PermanentDeliveryError(DeliveryError):
    """Delivery can never succeed for this recipient and content (invalid number, opted out)."""

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message, permanent=True, code=code)


class RecipientOptedOut(PermanentDeliveryError):
    """The provider refused because the recipient opted out there (replied STOP)."""


class TransientDeliveryError(DeliveryError):
    """Delivery failed for now, unprocessed; a retry later (``retry_after`` seconds) may succeed."""

    def __init__(self, message: str, *, code: str | None = None, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(message, permanent=False, code=code)


class ProviderConfigurationError(DeliveryError):
    """The provider refused our credentials, sender or account settings: no message can go."""

    def __init__(self, message: str, *, code: str | None = None, retry_after: float | None = None):
        self.retry_after = retry_after  # seconds until the paused channel is tried again
        super().__init__(message, permanent=False, code=code)
        self.kind = "configuration"


class AmbiguousDeliveryError(DeliveryError):
    """The provider may have sent the message (read timeout, 5xx): never resend it blindly."""

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message, permanent=True, code=code)
        self.kind = "ambiguous"

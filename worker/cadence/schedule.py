"""Cadence schedules: the YAML files in ``schedules/`` read into a ``Schedule``.

The format is a contract for the people who write schedules (docs/contracts.md, Schedule).

A schedule file holds::

    name: standard                # the file's stem when found by name
    version: "2026-11-01"         # accounts stay pinned to the version they enrolled under
    description: ...
    locale: en                    # default BCP 47 locale of the templates
    locales: [en, zh-Hans]        # every locale its people may have (default: [locale]); lint
                                  # checks each step's template has its parts in each
    send_time: "10:00"            # default local send time
    packs: []                     # rule packs applied on top of the person's jurisdiction
    collector: creditor           # creditor (first party) | third_party (a debt collector)
    enforce_unverified: false     # true: enforce pack rules marked U instead of only warning
    country: US                   # ISO 3166-1 alpha-2: whose rules apply when no address or
                                  # phone says where the person is
    licences: {US-CA: "10012345"} # licence numbers by COUNTRY-REGION, shown where a pack says;
                                  # ``exempt`` where the collector needs none
    licences: {US-CA: "10012345"} # licence numbers by COUNTRY-REGION, shown where a pack says
    caller: {name: ..., callback_number: ..., contact_name: ...}  # see worker.cadence.caller
    plan: {grace_days: 5, on_broken: resume, steps: [...]}  # see worker.cadence.plan
    sms_max_segments: 3           # an SMS that would take more segments is not sent
    policy: {...}                 # house policy, see worker.cadence.policy_reader
    events: {stop: [...], pause: [...], hold: [...], resume: [...]}
    tiers: [...]                  # see worker.cadence.tiers
    challenger: {...}             # a share of new enrolments on another version (.challenger)

Reading is pure: ``parse_schedule`` takes the text and the file name to put in errors. Every
problem is a ``ScheduleError`` naming the file, the line and the field.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from types import MappingProxyType

import phonenumbers

from worker.cadence.caller import Caller, read_caller
from worker.cadence.challenger import Challenger, read_challenger
from worker.cadence.events import DEFAULT_EVENTS, read_events
from worker.cadence.licences import read_licences
from worker.cadence.plan import PlanSection, read_plan
from worker.cadence.policy import Policy
from worker.cadence.policy_reader import read_policy
from worker.cadence.tiers import Occurrence, read_tiers
from worker.cadence.yamlnodes import Node, compose
from worker.contracts.vocab import COLLECTORS, LOCALE_TAG
from worker.errors import ScheduleError

__all__ = [
    "DEFAULT_EVENTS",
    "LICENCE_EXEMPT",
    "SCHEDULE_SUFFIX",
    "Occurrence",
    "Schedule",
    "find_schedule",
    "list_schedules",
    "load_schedule",
    "parse_schedule",
]

#: Schedule files are ``<schedules_dir>/<name>.yaml``.
SCHEDULE_SUFFIX = ".yaml"
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TOP_REQUIRED = ("name", "version", "locale", "send_time", "tiers")
_TOP_OPTIONAL = (
    "description", "packs", "policy", "events", "collector", "enforce_unverified", "licences",
    "country",
    "caller", "sms_max_segments",
    "locales", "challenger", "plan",
)  # fmt: skip
# ISO 3166-1 alpha-2 country, then an ISO 3166-2 subdivision code without the country.
#: A ``licences`` value saying the collector needs no licence there (a checked exemption).
LICENCE_EXEMPT = "exempt"
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class Schedule:
    """One version of a cadence: its defaults, house policy, event handling and occurrences."""

    name: str
    version: str
    description: str
    locale: str
    send_time: time
    packs: tuple[str, ...]
    policy: Policy
    stop_events: frozenset[str]
    pause_events: frozenset[str]
    hold_events: frozenset[str]
    resume_events: frozenset[str]
    occurrences: tuple[Occurrence, ...]  # sorted by (day, send_time, declaration order)
    source: str  # the raw YAML text, so a version can be pinned and stored
    collector: str = "creditor"  # one of COLLECTORS (worker.contracts.vocab); creditor by default
    enforce_unverified: bool = False  # enforce rules of certainty U, not only record a warning
    #: licence numbers by "COUNTRY-REGION" ("US-CA"), for packs that require showing them
    licences: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: the country whose rules apply when the account says nothing of where the person is
    country: str | None = None
    #: who calls: said first in call scripts and in voicemails (T5, F17); None when not set
    caller: Caller | None = None
    #: segments an SMS may take; a longer one is refused as template_error (1 to 10)
    sms_max_segments: int = 3
    #: every locale the schedule's people may have, ``locale`` first; lint checks each
    locales: tuple[str, ...] = ()
    #: another version that takes a share of new enrolments (worker.cadence.challenger)
    challenger: Challenger | None = None
    #: what a person on a repayment plan hears (worker.cadence.plan); None: no plan section
    plan: PlanSection | None = None

    def __hash__(self) -> int:
        # Read-only mappings (licences, the policy's channel hours) do not hash, yet schedules
        # key caches; the source text decides every other field, so equal schedules hash equal.
        return hash((self.name, self.version, self.source))

    @property
    def ref(self) -> str:
        """``name@version``, how outcomes and account state name the schedule."""
        return f"{self.name}@{self.version}"

    def first_on_or_after(self, day: int) -> Occurrence | None:
        """The first occurrence on ``day`` or later: where a late enrolment starts."""
        i = bisect_left(self.occurrences, day, key=lambda o: o.day)
        return self.occurrences[i] if i < len(self.occurrences) else None

    def after(self, index: int) -> Occurrence | None:
        """The occurrence after the one at ``index``; None after the last one."""
        if not 0 <= index < len(self.occurrences):
            raise IndexError(f"{self.ref} has no occurrence {index}")
        following = index + 1
        return self.occurrences[following] if following < len(self.occurrences) else None

    def find(self, key: str) -> Occurrence | None:
        """The occurrence with ``key`` (``early.1``, ``mid.3#d25``), or None."""
        return next((o for o in self.occurrences if o.key == key), None)

    def tiers(self) -> tuple[str, ...]:
        """Tier names in the order they run."""
        return tuple(dict.fromkeys(o.tier for o in self.occurrences))


def parse_schedule(text: str, *, file: str) -> Schedule:
    """The schedule in ``text``; ``file`` is the name errors give. Raises ``ScheduleError``."""
    return _parse(text, file=file, expected_name=None)


def load_schedule(path: Path) -> Schedule:
    """The schedule in the file at ``path``."""
    return _parse(_read(path), file=str(path), expected_name=None)


def find_schedule(name_or_path: str, schedules_dir: Path) -> Schedule:
    """A schedule by name (``<schedules_dir>/<name>.yaml``) or by path to a YAML file.

    A name must match the ``name:`` inside its file, since accounts refer to it by that name.
    """
    if not _NAME.fullmatch(name_or_path):
        return load_schedule(Path(name_or_path))
    path = schedules_dir / f"{name_or_path}{SCHEDULE_SUFFIX}"
    if not path.is_file():
        known = ", ".join(list_schedules(schedules_dir)) or "none"
        raise ScheduleError(
            f"no schedule named {name_or_path!r} here (schedules: {known})",
            file=str(schedules_dir),
        )
    return _parse(_read(path), file=str(path), expected_name=name_or_path)


def list_schedules(schedules_dir: Path) -> list[str]:
    """Names of the schedule files in ``schedules_dir``, sorted; empty if it does not exist."""
    if not schedules_dir.is_dir():
        return []
    return sorted(p.stem for p in schedules_dir.glob(f"*{SCHEDULE_SUFFIX}") if p.is_file())


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ScheduleError(f"is not UTF-8 text ({e.reason})", file=str(path)) from None
    except OSError as e:
        raise ScheduleError(f"cannot be read: {e.strerror or e}", file=str(path)) from None


def _parse(text: str, *, file: str, expected_name: str | None) -> Schedule:
    fields = compose(text, file=file).mapping(required=_TOP_REQUIRED, optional=_TOP_OPTIONAL)
    name = fields["name"].matching(_NAME, "a name of a-z, 0-9, _ and -")
    if expected_name is not None and name != expected_name:
        raise fields["name"].error(f"must be {expected_name!r}, the file's name, not {name!r}")
    send_time = fields["send_time"].clock_time()
    policy = read_policy(fields.get("policy"))
    collector = fields["collector"].one_of(COLLECTORS) if "collector" in fields else "creditor"
    events = read_events(fields.get("events"), collector)
    occurrences = read_tiers(fields["tiers"], send_time=send_time, policy=policy)
    tiers = tuple(dict.fromkeys(o.tier for o in occurrences))
    return Schedule(
        name=name,
        version=fields["version"].matching(_VERSION, "a version such as 2026-11-01 or 3"),
        description=fields["description"].text() if "description" in fields else "",
        locale=fields["locale"].matching(LOCALE_TAG, "a BCP 47 locale such as en or zh-Hans"),
        send_time=send_time,
        packs=_read_packs(fields.get("packs")),
        policy=policy,
        stop_events=events["stop"],
        pause_events=events["pause"],
        hold_events=events["hold"],
        resume_events=events["resume"],
        occurrences=occurrences,
        source=text,
        collector=collector,
        enforce_unverified=(
            fields["enforce_unverified"].boolean() if "enforce_unverified" in fields else False
        ),
        licences=read_licences(fields.get("licences")),
        country=_read_country(fields.get("country")),
        caller=read_caller(fields.get("caller")),
        sms_max_segments=_read_sms_max_segments(fields.get("sms_max_segments")),
        locales=_read_locales(fields.get("locales"), fields["locale"]),
        challenger=read_challenger(fields.get("challenger"), version_pattern=_VERSION),
        plan=read_plan(fields.get("plan"), send_time=send_time, policy=policy, tiers=tiers),
    )


def _read_packs(node: Node | None) -> tuple[str, ...]:
    packs: list[str] = []
    for item in [] if node is None else node.sequence():
        pack = item.matching(_NAME, "a rule pack name of a-z, 0-9, _ and -")
        if pack in packs:
            raise item.error(f"pack {pack!r} listed twice")
        packs.append(pack)
    return tuple(packs)


def _read_locales(node: Node | None, default: Node) -> tuple[str, ...]:
    """``locales: [en, zh-Hans]``: BCP 47 tags, each once; the schedule's ``locale`` comes first."""
    locales = [default.matching(LOCALE_TAG, "a BCP 47 locale such as en or zh-Hans")]
    for item in [] if node is None else node.sequence(non_empty=True):
        tag = item.matching(LOCALE_TAG, "a BCP 47 locale such as en or zh-Hans")
        if tag.lower() not in (t.lower() for t in locales):
            locales.append(tag)
    return tuple(locales)


def _read_sms_max_segments(node: Node | None) -> int:
    """``sms_max_segments: 3``: 1 to 10 (Twilio's 1,600 characters are 10 GSM-7 parts)."""
    if node is None:
        return 3
    value = node.integer(minimum=1)
    if value > 10:
        raise node.error("must be at most 10: Twilio refuses a longer body")
    return value


def _read_country(node: Node | None) -> str | None:
    """``country: US``: an ISO 3166-1 alpha-2 code that phone number data knows."""
    if node is None:
        return None
    country = node.matching(_COUNTRY, "an ISO 3166-1 alpha-2 code such as US or CN")
    if not phonenumbers.country_code_for_region(country):
        raise node.error(f"{country!r} is not a country known to the phone number data")
    return country

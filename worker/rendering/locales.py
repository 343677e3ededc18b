"""Locale tags of templates: which files to try for a person's locale, most specific first."""

from __future__ import annotations

from functools import lru_cache

#: What ``Rendered.locale`` says when the default (suffix-less) files were used.
DEFAULT_LOCALE = "en"

# Chinese regions that write Traditional characters; any other zh tag without a script is Hans.
_HANT_REGIONS = frozenset({"tw", "hk", "mo"})


def locale_chain(locale: str) -> list[str]:
    """Locales to try for ``locale``, most specific first; the default files come after them.

    ``zh-Hant-TW`` -> ``zh-Hant-TW, zh-Hant, zh``; ``en-US`` -> ``en-US, en``. A Chinese tag
    without a script gets the script its region writes, before the bare language
    (``zh-TW`` -> ``zh-TW, zh-Hant, zh``; ``zh-CN`` -> ``zh-CN, zh-Hans, zh``), because accounts
    arrive as often with ``zh-CN`` as with ``zh-Hans``. Underscores are read as hyphens.
    """
    return list(_chain(locale))


@lru_cache(maxsize=1024)
def _chain(locale: str) -> tuple[str, ...]:
    # Kept per tag: every render asks for the person's chain two or three times.
    subtags = [s for s in locale.strip().replace("_", "-").split("-") if s]
    chain = ["-".join(subtags[:n]) for n in range(len(subtags), 0, -1)]
    if subtags and subtags[0].lower() == "zh" and not any(_is_script(s) for s in subtags[1:]):
        regions = {s.lower() for s in subtags[1:]}
        script = "zh-Hant" if regions & _HANT_REGIONS else "zh-Hans"
        chain.insert(max(len(chain) - 1, 1), script)
    return tuple(chain)


def _is_script(subtag: str) -> bool:
    return len(subtag) == 4 and subtag.isalpha()


@lru_cache(maxsize=1024)
def language(locale: str) -> str:
    """The wording family of ``locale``: ``en``, ``zh-Hans`` or ``zh-Hant``."""
    for tag in _chain(locale):
        if tag.lower() in ("zh-hans", "zh-hant"):
            return "zh-" + tag[3:].capitalize()
    return "en"

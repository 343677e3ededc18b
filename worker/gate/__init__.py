"""The compliance gate: time rules, consent, caps and rule packs that decide every send."""

"""``remind explain ACCOUNT``: state, next step and when, the gate's view now, recent outcomes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from worker.app import App
from worker.clock import isoformat_utc
from worker.gate.decide import evaluate
from worker.gate.hours import candidate_zones, mask_email, mask_phone
from worker.logs import mask


def explain_account(app: App, account_id: str, console: Console) -> None:
    state = app.store.require(account_id)
    schedule = app.pinned_schedule(state.schedule_ref)
    now = app.clock.now()
    zones = candidate_zones(state.account)
    console.print(f"[bold]{account_id}[/] person {state.person_id}, debt {state.account.debt}")
    console.print(
        f"schedule {state.schedule_ref}, status [bold]{state.status}[/]"
        + (f" ({state.status_reason})" if state.status_reason else "")
        + (f" until {isoformat_utc(state.paused_until)}" if state.paused_until else "")
    )
    console.print("time zones: " + ", ".join(f"{z.zone} ({mask(z.source)})" for z in zones))
    contacts = [
        f"{mask_phone(p.number)} ({p.kind}; sms {'yes' if p.sms_consent else 'no'}, "
        f"voice {'yes' if p.voice_consent else 'no'})"
        for p in state.account.phones
    ] + [
        f"{mask_email(e.address)} ({e.kind}; consent {'yes' if e.consent else 'no'})"
        for e in state.account.emails
    ]
    console.print("contacts: " + ("; ".join(contacts) or "none"))
    opted = sorted(app.store.opted_out(state.person_id))
    if opted:
        console.print("opted out: " + ", ".join(mask(o) for o in opted))
    if state.cursor is None or state.due_at is None:
        console.print("next step: none (the cadence has ended or is held)")
    else:
        step = schedule.occurrences[state.cursor]
        local = state.due_at.astimezone(ZoneInfo(zones[0].zone))
        console.print(
            f"next step: {step.key} ({step.tier}, day {step.day}) {step.channel} "
            f"template {step.template}, due {isoformat_utc(state.due_at)} "
            f"(local {local:%Y-%m-%d %H:%M %Z})"
        )
        decision = evaluate(
            state,
            step,
            app.packs(schedule),
            now,
            opted_out=app.store.opted_out(state.person_id),
            opted_in=app.store.opted_in(state.person_id),
        )
        verdict = decision.action + (
            f" ({decision.reason}, {decision.rule})" if decision.reason else ""
        )
        if decision.at:
            verdict += f" until {isoformat_utc(decision.at)}"
        console.print(
            f"gate at {isoformat_utc(now)}: {verdict}"
            + (f" — {decision.detail}" if decision.detail else "")
        )
    recent = app.store.recent_outcomes(state.person_id, account_id)
    table = Table(title=f"recent outcomes ({len(recent)})")
    for col in ("at", "step", "channel", "outcome", "reason", "rule", "next attempt"):
        table.add_column(col)
    for o in recent:
        table.add_row(
            o["at"],
            o.get("step") or "-",
            o.get("channel") or "-",
            o["outcome"],
            o.get("reason") or "-",
            o.get("rule") or "-",
            o.get("next_attempt_at") or "-",
        )
    console.print(table)

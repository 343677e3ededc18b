"""``remind explain ACCOUNT``: state, next step and when, every rule's verdict, recent outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from worker.accounts.lifecycle import status_text
from worker.accounts.plan_view import plan_lines
from worker.accounts.plans import current_step, is_checkpoint
from worker.accounts.zones import mask_email, mask_phone
from worker.app import App
from worker.clock import isoformat_utc
from worker.dispatch.attempt import evaluate_step
from worker.gate.packs.select import whereabouts
from worker.logs import mask


def lease_text(app: App, account_id: str, due: datetime, now: datetime) -> str | None:
    """Why a due step waits although the gate allows it: a claim's lease, and who holds it."""
    held = app.leases.get(account_id)
    score = app.timeline.due_at(account_id)
    if held is None and (score is None or score <= due):
        return None
    text = "lease: "
    if held is not None:
        beat = isoformat_utc(held.last_beat) if held.last_beat else "never"
        text += f"held by worker {held.holder} since {isoformat_utc(held.since)}, "
        if held.last_beat is not None and held.alive(now, app.leases.timeout):
            until = held.last_beat + timedelta(seconds=app.leases.timeout)
            text += f"alive (last heartbeat {beat}; held while it beats, at least until "
            text += f"{isoformat_utc(until)})"
        else:
            text += f"silent since {beat}: the next scheduler tick recovers it"
    elif score is not None:
        text += f"claimed by the scheduler, hidden until {isoformat_utc(score)}"
        text += " while its dispatch message waits for a worker"
    return text


def explain_account(app: App, account_id: str, console: Console) -> None:
    state = app.store.require(account_id)
    schedule = app.pinned_schedule(state.schedule_ref)
    now = app.clock.now()
    where = whereabouts(state, now, schedule.country)
    zones = where.zones
    console.print(f"[bold]{account_id}[/] person {state.person_id}, debt {state.account.debt}")
    status = f"schedule {state.schedule_ref}, status [bold]{state.status}[/]"
    reason = status_text(state)
    if reason:
        status += f" ({reason})"
    if state.paused_until:
        status += f" until {isoformat_utc(state.paused_until)}"
    console.print(status)
    places = ", ".join(f"{p.code} ({mask(p.source)})" for p in where.places) or "?"
    console.print(f"jurisdictions: {places}; collector: {schedule.collector}")
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
    for sc in state.constraints:
        if sc.active(now):
            until = f" until {sc.until}" if sc.until else ""
            said = sc.constraint
            where_said = f" {said.timezone}" if said.kind == "located_in" else ""
            console.print(f"stated constraint: {said.kind}{where_said}{until}")
    for line in plan_lines(state):  # balance, plan and instalments, settlement offer
        console.print(line, markup=False)
    step = current_step(state, schedule)
    if step is None or state.due_at is None:
        console.print("next step: none (the cadence has ended or is held)")
    elif is_checkpoint(step):
        console.print(
            f"next step: {step.key}, the plan's checkpoint at {isoformat_utc(state.due_at)}:"
            " nothing is sent; the plan breaks if the instalment is still unpaid"
        )
    else:
        local = state.due_at.astimezone(ZoneInfo(zones[0].zone))
        console.print(
            f"next step: {step.key} ({step.tier}, day {step.day}) {step.channel} "
            f"template {step.template}, due {isoformat_utc(state.due_at)} "
            f"(local {local:%Y-%m-%d %H:%M %Z})"
        )
        d = evaluate_step(app, state, schedule, step, now)
        verdict = d.action + (f" ({d.reason}, {d.rule})" if d.reason else "")
        if d.at and d.action == "defer":
            verdict += f" until {isoformat_utc(d.at)}"
        console.print(
            f"gate at {isoformat_utc(now)}: {verdict}" + (f" — {d.detail}" if d.detail else "")
        )
        lease = lease_text(app, account_id, state.due_at, now)
        if lease:
            console.print(lease)
        if d.judgement is not None:
            rules = Table(title=f"rules evaluated for {step.key} on {d.channel}")
            for col in ("rule", "kind", "verdict", "why", "not before"):
                rules.add_column(col)
            for c in d.judgement.checks:
                colour = {"allow": "green", "defer": "yellow", "block": "red", "warn": "magenta"}
                v = f"[{colour[c.verdict]}]{c.verdict}[/]" if c.verdict in colour else c.verdict
                rules.add_row(
                    c.rule, c.kind, v, mask(c.detail or c.reason or "-"),
                    isoformat_utc(c.at) if c.at else "-",
                )  # fmt: skip
            console.print(rules)
    recent = app.store.recent_outcomes(state.person_id, account_id)
    table = Table(title=f"recent outcomes ({len(recent)})")
    for col in ("at", "step", "channel", "outcome", "reason", "rule", "next attempt"):
        table.add_column(col)
    for o in recent:
        table.add_row(
            o["at"], o.get("step") or "-", o.get("channel") or "-", o["outcome"],
            o.get("reason") or "-", o.get("rule") or "-", o.get("next_attempt_at") or "-",
        )  # fmt: skip
    console.print(table)

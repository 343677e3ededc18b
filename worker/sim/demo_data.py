"""``remind demo``: generated accounts across US time zones, China and the UK, 60 simulated days.

The accounts are made from a fixed seed, so two runs decide the same things. They cover what a
reader wants to see the gate do: Massachusetts, Hawaii and Alaska, a mobile number in Eastern time
with an address in California (allowed only 11:00-21:00 Eastern), Chinese customers on the zh-cn
cadence (some in Traditional Chinese), UK customers, and a few paid, promise, dispute, cease and
opt-out events.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from worker.clock import isoformat_utc

#: (region, area code, zone note) for US states, chosen to span every US time zone.
US_PLACES: tuple[tuple[str, str, str], ...] = (
    ("NY", "212", "New York"),
    ("MA", "617", "Boston"),
    ("FL", "305", "Miami"),
    ("IL", "312", "Chicago"),
    ("TX", "214", "Dallas"),
    ("CO", "303", "Denver"),
    ("AZ", "602", "Phoenix"),
    ("CA", "415", "San Francisco"),
    ("WA", "206", "Seattle"),
    ("AK", "907", "Anchorage"),
    ("HI", "808", "Honolulu"),
    ("GA", "404", "Atlanta"),
)
FIRST = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Drew")
LAST = ("Smith", "Garcia", "Chen", "Johnson", "Patel", "Brown", "Nguyen", "Davis", "Lopez", "Kim")
CN_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇")
TW_NAMES = ("陳志明", "林淑芬", "黃建宏")
UK_NAMES = ("Oliver Hughes", "Amelia Clarke", "Harry Wood", "Isla Turner", "George Hall")


def _phone(n: str, *, sms: bool = True, voice: bool = True, kind: str = "mobile") -> dict[str, Any]:
    return {"number": n, "kind": kind, "sms_consent": sms, "voice_consent": voice}


def generate_accounts(start: date, n: int = 200, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` accounts, roughly 60% US, 25% China, 15% UK, due 0 to 12 days before ``start``."""
    rng = random.Random(seed)
    accounts: list[dict[str, Any]] = []
    for i in range(n):
        due = start - timedelta(days=rng.randint(0, 12))
        amount = f"{rng.randint(40, 2400)}.{rng.randint(0, 99):02d}"
        acct: dict[str, Any] = {"account_id": f"demo-{i:04d}", "due_date": due.isoformat()}
        bucket = i % 20
        if bucket < 12:  # United States
            region, area, city = US_PLACES[i % len(US_PLACES)]
            acct |= {
                "schedule": "standard",
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "address": {
                    "country": "US",
                    "region": region,
                    "city": city,
                    "line1": f"{rng.randint(10, 999)} Main St",
                },
                "phones": [_phone(f"+1{area}555{i % 10000:04d}")],
                "emails": [{"address": f"customer{i}@example.com", "consent": True}],
                "balance": {"amount": amount, "currency": "USD"},
                "creditor": "Northwind Lending",
                "reference": f"NW-{100000 + i}",
                "payment_url": f"https://pay.example.com/nw/{100000 + i}",
            }
            if i % 40 == 3:  # Eastern mobile, Pacific address: 11:00-21:00 Eastern only
                acct["phones"] = [_phone(f"+1212555{i % 10000:04d}")]
                acct["address"] |= {"region": "CA", "city": "Los Angeles"}
        elif bucket < 17:  # China
            traditional = i % 7 == 0
            acct |= {
                "schedule": "zh-cn",
                "name": rng.choice(TW_NAMES if traditional else CN_NAMES),
                "locale": "zh-Hant" if traditional else "zh-Hans",
                "address": {
                    "country": "CN",
                    "region": "SH" if i % 2 else "BJ",
                    "city": "上海" if i % 2 else "北京",
                    "line1": f"{rng.randint(1, 300)}号",
                },
                "phones": [_phone(f"+86138{rng.randint(0, 99999999):08d}")],
                "emails": [{"address": f"kehu{i}@example.cn", "consent": True}],
                "balance": {"amount": amount, "currency": "CNY"},
                "creditor": "华信消费金融",
                "reference": f"HX{200000 + i}",
                "payment_url": f"https://pay.example.cn/hx/{200000 + i}",
            }
        else:  # United Kingdom
            acct |= {
                "schedule": "standard",
                "name": rng.choice(UK_NAMES),
                "locale": "en-GB",
                "address": {
                    "country": "GB",
                    "region": "ENG" if i % 3 else "SCT",
                    "city": "Leeds" if i % 3 else "Glasgow",
                    "line1": "1 High Street",
                },
                "phones": [_phone(f"+447700900{i % 1000:03d}")],
                "emails": [{"address": f"customer{i}@example.co.uk", "consent": True}],
                "balance": {"amount": amount, "currency": "GBP"},
                "creditor": "Albion Credit",
                "reference": f"AC-{300000 + i}",
            }
        if i % 23 == 5:  # no SMS consent: the SMS steps fall back or are suppressed
            acct["phones"][0]["sms_consent"] = False
        accounts.append(acct)
    return accounts


def generate_events(
    accounts: list[dict[str, Any]], start: datetime, seed: int = 11
) -> list[dict[str, Any]]:
    """A few lifecycle events: paid, promise to pay, dispute and resolution, cease, opt-out."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []

    def at(day: float) -> str:
        return isoformat_utc(start + timedelta(days=day, hours=rng.randint(0, 8)))

    for i, acct in enumerate(accounts):
        aid = acct["account_id"]
        kind = i % 25
        if kind == 1:
            events.append({"account_id": aid, "type": "paid", "at": at(rng.randint(3, 20))})
        elif kind == 2:
            d = rng.randint(2, 10)
            until = (start + timedelta(days=d + 7)).date().isoformat()
            events.append(
                {"account_id": aid, "type": "promise_to_pay", "until": until, "at": at(d)}
            )
        elif kind == 4:
            d = rng.randint(4, 12)
            events.append({"account_id": aid, "type": "dispute", "at": at(d)})
            events.append({"account_id": aid, "type": "dispute_resolved", "at": at(d + 10)})
        elif kind == 6:
            events.append({"account_id": aid, "type": "opt_out", "channel": "sms", "at": at(2)})
        elif kind == 8:
            events.append({"account_id": aid, "type": "cease", "at": at(rng.randint(6, 25))})
        elif kind == 9:
            events.append({"account_id": aid, "type": "payment", "amount": "25.00", "at": at(4)})
    return events

"""Reading account and event files: byte order marks, and one row per account."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from worker.config import Settings
from worker.contracts.validation import parse_account, repeated_account_ids
from worker.errors import InvalidInput
from worker.sim.run import run_simulation
from worker.sim.simulate import read_records

from .pipeline_helpers import account


def test_a_csv_with_a_utf8_byte_order_mark_reads_its_first_column_by_name(tmp_path: Path) -> None:
    f = tmp_path / "excel.csv"
    f.write_bytes("account_id,schedule,due_date\r\nX-1,t,2026-03-01\r\n".encode("utf-8-sig"))
    rows = list(read_records(f))
    assert rows == [(f"{f}:2", {"account_id": "X-1", "schedule": "t", "due_date": "2026-03-01"})]
    assert parse_account(rows[0][1]).account_id == "X-1"


def test_json_lines_with_a_byte_order_mark_read_from_the_first_line(tmp_path: Path) -> None:
    f = tmp_path / "notepad.jsonl"
    f.write_bytes((json.dumps(account()) + "\n").encode("utf-8-sig"))
    assert [src for src, _ in read_records(f)] == [f"{f}:1"]


def test_each_repeat_of_an_account_id_is_named_with_the_line_it_repeats() -> None:
    rows = [
        ("f:1", {"account_id": "A"}),
        ("f:2", {"account_id": "B"}),
        ("f:3", {"account_id": "A"}),
        ("f:4", {"account_id": 7}),  # malformed: parse_account reports it
        ("f:5", "not an object"),
        ("f:6", {"account_id": "A"}),
    ]
    assert repeated_account_ids(rows) == [
        "f:3: account_id: 'A' is also at f:1; give each account once",
        "f:6: account_id: 'A' is also at f:1; give each account once",
    ]
    assert repeated_account_ids([("f:1", {"account_id": "A"})]) == []


def test_simulate_refuses_an_accounts_file_that_gives_one_account_twice(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text(json.dumps(account()) + "\n" + json.dumps(account()) + "\n")
    with pytest.raises(InvalidInput) as raised:
        run_simulation(
            Settings(data_dir=tmp_path / "var"),
            schedule=None,
            accounts=f,
            events=None,
            start=datetime(2026, 3, 1, tzinfo=UTC),
            days=1,
            json_out=tmp_path / "out" / "o.jsonl",
            plot=None,
            console=Console(),
        )
    assert str(raised.value) == (
        f"{f}:2: account_id: 'A-1' is also at {f}:1; give each account once"
    )
    assert not (tmp_path / "out").exists()  # refused before anything ran or was written

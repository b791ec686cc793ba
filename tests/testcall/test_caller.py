"""The built-in test caller against the running service, in one process over loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.conftest import keys_only
from veertien.records import MemorySink
from veertien.server.service import start_service
from veertien.sip.transaction import ServerInviteTransaction, State
from veertien.storage import DataDir
from veertien.testcall.caller import place_call


async def test_call_is_redirected_and_acked(tmp_path: Path) -> None:
    sink = MemorySink()
    service = await start_service(DataDir(keys_only(tmp_path)), "127.0.0.1", 0, sink)
    lines: list[str] = []
    try:
        result = await place_call("140320", "127.0.0.1", service.address[1], show=lines.append)
        core = service.endpoint.core
        (txn,) = [t for t in core.servers.values() if isinstance(t, ServerInviteTransaction)]
        assert txn.state is State.CONFIRMED  # our ACK reached the INVITE's transaction
    finally:
        await service.close()
    assert result.final is not None and result.final.status == 302
    assert [r.status for r in result.responses] == [100, 302]
    assert lines[-1].startswith(
        "← 302 Moved Temporarily: transferred to <sip:+31320000001@127.0.0.1:5080>"
    )
    (record,) = sink.records
    assert record.caller == "0612345678" and record.response == 302


async def test_no_server_times_out(tmp_path: Path) -> None:
    result = await place_call("140320", "127.0.0.1", 9, timeout=0.3, show=lambda _: None)
    assert result.timed_out and result.final is None


@pytest.mark.usefixtures("voices")
async def test_a_caller_who_gives_up_cancels(tmp_path: Path) -> None:
    """The test caller once left at its time-out without a CANCEL, and the server played on
    alone for a minute; now the call ends at once, recorded as cancelled."""
    sink = MemorySink()
    service = await start_service(DataDir(keys_only(tmp_path)), "127.0.0.1", 0, sink)
    lines: list[str] = []
    try:
        result = await place_call(
            "140113", "127.0.0.1", service.address[1], timeout=3.0, show=lines.append
        )
        await asyncio.sleep(0.2)
        assert not service.dialogues or not service.dialogues.tasks  # nothing plays on
    finally:
        await service.close()
    assert result.timed_out
    assert [r.status for r in result.responses][-1] == 487
    assert any("→ CANCEL" in line for line in lines)
    (record,) = sink.records
    assert (record.outcome, record.response) == ("cancelled", 487)

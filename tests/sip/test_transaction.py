"""Transaction state machines and their timers, driven by a fake clock (no sleeping)."""

from __future__ import annotations

from tests.sip.helpers import invite, request
from veertien.sip.message import Headers, Request, Response
from veertien.sip.parser import parse_message
from veertien.sip.transaction import (
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    Deliver,
    Peer,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    State,
    Timeout,
    Timer,
    TimerValues,
    Transmit,
    Transport,
)

UDP = Peer(Transport.UDP, "127.0.0.1", 5061)
TCP = Peer(Transport.TCP, "127.0.0.1", 5061, conn=1)
T = TimerValues()


def _req(data: bytes) -> Request:
    msg = parse_message(data)
    assert isinstance(msg, Request)
    return msg


def state_of(txn: ServerInviteTransaction) -> State:
    """The state, read through a call so the type checker does not pin it."""
    return txn.state


def _resp(status: int) -> Response:
    return Response(
        status,
        "x",
        Headers(
            [
                ("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKc"),
                ("To", "<sip:a@b>;tag=r"),
                ("CSeq", "1 INVITE"),
            ]
        ),
    )


def test_invite_server_retransmits_final_response_with_timer_g_until_ack() -> None:
    txn = ServerInviteTransaction(("k",), _req(invite()), UDP, T)
    assert len(txn.respond(_resp(100), 0.0)) == 1
    assert txn.state is State.PROCEEDING
    assert txn.on_retransmission() == [Transmit(_resp(100).to_bytes(), UDP)]
    txn.respond(_resp(302), 0.0)
    assert state_of(txn) is State.COMPLETED
    assert txn.deadlines == {Timer.G: 0.5, Timer.H: 32.0}
    fired = [(now, out) for now in (0.5, 1.5, 3.5, 7.5, 11.5) for out in txn.on_timer(now)]
    assert [now for now, _ in fired] == [0.5, 1.5, 3.5, 7.5, 11.5]  # 0.5, 1, 2, 4, 4 s apart
    assert txn.on_retransmission()  # a retransmitted INVITE gets the 302 again
    txn.on_ack(12.0)
    assert state_of(txn) is State.CONFIRMED and txn.deadlines == {Timer.I: 17.0}
    assert txn.on_timer(16.9) == [] and not txn.terminated
    assert txn.on_timer(17.0) == [] and txn.terminated


def test_invite_server_times_out_with_timer_h_without_ack() -> None:
    txn = ServerInviteTransaction(("k",), _req(invite()), UDP, T)
    txn.respond(_resp(404), 0.0)
    out = [o for now in range(1, 33) for o in txn.on_timer(float(now))]
    assert isinstance(out[-1], Timeout) and out[-1].timer is Timer.H
    assert txn.terminated


def test_invite_server_over_tcp_has_no_timer_g_and_zero_i() -> None:
    txn = ServerInviteTransaction(("k",), _req(invite()), TCP, T)
    txn.respond(_resp(302), 0.0)
    assert set(txn.deadlines) == {Timer.H}
    txn.on_ack(1.0)
    assert txn.deadlines == {Timer.I: 1.0}
    txn.on_timer(1.0)
    assert txn.terminated


def test_invite_server_2xx_ends_the_transaction() -> None:
    txn = ServerInviteTransaction(("k",), _req(invite()), UDP, T)
    txn.respond(_resp(200), 0.0)
    assert txn.terminated and txn.respond(_resp(486), 0.0) == []


def test_non_invite_server_absorbs_retransmissions_until_timer_j() -> None:
    txn = ServerNonInviteTransaction(("k",), _req(request("OPTIONS")), UDP, T)
    assert txn.on_retransmission() == []  # nothing sent yet
    txn.respond(_resp(200), 0.0)
    assert txn.state is State.COMPLETED and txn.deadlines == {Timer.J: 32.0}
    assert len(txn.on_retransmission()) == 1
    txn.on_timer(32.0)
    assert txn.terminated


def test_invite_client_timers_a_and_b() -> None:
    txn = ClientInviteTransaction(("b", "INVITE"), _req(invite()), UDP, T)
    assert len(txn.start(0.0)) == 1
    sends = [
        now
        for now in (0.5, 1.5, 3.5, 7.5, 15.5, 31.5)
        for o in txn.on_timer(now)
        if isinstance(o, Transmit)
    ]
    assert sends == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]  # doubling, no T2 cap for INVITE
    out = txn.on_timer(32.0)
    assert out == [Timeout(("b", "INVITE"), Timer.B)] and txn.terminated


def test_invite_client_acks_a_failure_and_waits_with_timer_d() -> None:
    txn = ClientInviteTransaction(("b", "INVITE"), _req(invite()), UDP, T)
    txn.start(0.0)
    assert isinstance(txn.on_response(_resp(180), 0.1)[0], Deliver)
    assert Timer.A not in txn.deadlines
    out = txn.on_response(_resp(486), 0.2)
    assert isinstance(out[0], Transmit) and out[0].data.startswith(b"ACK sip:140320@")
    assert b"To: <sip:a@b>;tag=r" in out[0].data and b"CSeq: 1 ACK" in out[0].data
    assert txn.on_response(_resp(486), 0.3) == [out[0]]  # retransmitted 486: ACK again
    txn.on_timer(32.2)
    assert txn.terminated


def test_non_invite_client_timers_e_f_k() -> None:
    txn = ClientNonInviteTransaction(("b", "OPTIONS"), _req(request("OPTIONS")), UDP, T)
    txn.start(0.0)
    sends = [now for now in (0.5, 1.5, 3.5, 7.5, 11.5) for _ in txn.on_timer(now)]
    assert sends == [0.5, 1.5, 3.5, 7.5, 11.5]  # capped at T2 = 4 s
    txn.on_response(_resp(200), 12.0)
    assert txn.deadlines == {Timer.K: 17.0}
    txn.on_timer(17.0)
    assert txn.terminated
    lost = ClientNonInviteTransaction(("c", "OPTIONS"), _req(request("OPTIONS")), TCP, T)
    lost.start(0.0)
    assert lost.on_timer(32.0) == [Timeout(("c", "OPTIONS"), Timer.F)]

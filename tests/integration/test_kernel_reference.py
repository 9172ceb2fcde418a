"""The real Linux stack (${ID}k, 198.18.0.2) and the seed's programs: each reset case as the
kernel plays it. These need no rstcraft; they pin down what the responder is compared with
and check the lab, the clients and the wire checks themselves."""
import contextlib
import time

import pytest

import wire
from lab import KERNEL_IP, kill_proc


def test_kernel_closed_port(lab):
    with lab.capture("c", "c0", "tcp") as cap:
        r = lab.client("connect_timeout", KERNEL_IP, 81, 1000)
    assert r["result"] == "error" and r["errno"] == "ECONNREFUSED", r
    assert r["elapsed_ms"] < 500, r
    wire.closed_port_rst(cap.packets, KERNEL_IP, r["sport"], 81)


def test_kernel_silent(lab):
    # A dropping firewall: the kernel stand-in for scenario 2.
    with lab.nft_drop("k", 82), lab.capture("c", "c0", "tcp") as cap:
        r = lab.client("connect_timeout", KERNEL_IP, 82, 1000)
    assert r["result"] == "error" and r["timeout"] and r["errno"] == "EINPROGRESS", r
    assert 990 <= r["elapsed_ms"] < 1500, r
    wire.nothing_from(cap.packets, KERNEL_IP)


@pytest.mark.parametrize("how", ["--sndtimeo", "--poll"])
def test_kernel_timeout_bound(lab, how):
    # Both ways of bounding connect() give up on time against silence.
    with lab.nft_drop("k", 83):
        r = lab.client("connect_timeout", KERNEL_IP, 83, 200, how)
    assert r["timeout"] and r["errno"] == "EINPROGRESS", r
    assert 195 <= r["elapsed_ms"] < 400, r


@pytest.mark.parametrize("arrival", ["coalesced", "segmented"])
def test_kernel_unread(lab, arrival):
    # the server reads once the whole write has arrived, so that 904 bytes are left unread
    # whatever the scheduler does (the seed reads at once: see seed_server --settle)
    srv = lab.seed_server(9877, "--settle", "50")
    seg = lab.segmented() if arrival == "segmented" else contextlib.nullcontext()
    try:
        with seg, lab.capture("c", "c0", "tcp") as cap:
            r = lab.client("seed_unread", KERNEL_IP, 9877, 5000)
            r2 = lab.client("seed_unread", KERNEL_IP, 9877, 4000)
    finally:
        kill_proc(srv)
    assert r["recv_errno"] == "ECONNRESET" and r["send_errno"] == "EPIPE", r
    wire.unread_rst(cap.packets, KERNEL_IP, r["sport"], 9877, 5000, csum=False)
    assert r2["result"] == "ok" and r2["recv"] == 0, r2
    wire.fin_close(cap.packets, KERNEL_IP, r2["sport"], 9877)


def test_kernel_after_close(lab):
    srv = lab.seed_server(9878)
    try:
        with lab.capture("c", "c0", "tcp") as cap:
            r = lab.client("seed_after_close", KERNEL_IP, 9878)
    finally:
        kill_proc(srv)
    assert r["writes"][:2] == [4096, 4096], r
    assert r["writes"][2] == -1 and r["write_errno"][2] in ("EPIPE", "ECONNRESET"), r
    wire.after_close_rst(cap.packets, KERNEL_IP, r["sport"], 9878)


def test_kernel_backlog_drop(lab):
    # listen(fd, 1) and never accept: Linux queues backlog+1 connections, then drops SYNs,
    # so the next client times out instead of being refused.
    srv = lab.seed_server(9879, "--backlog", "1", "--no-accept")
    try:
        a = lab.client_bg("hold_open", KERNEL_IP, 9879, 3)
        b = lab.client_bg("hold_open", KERNEL_IP, 9879, 3)
        time.sleep(0.3)
        with lab.capture("c", "c0", "tcp") as cap:
            c = lab.client("hold_open", KERNEL_IP, 9879, 0)
        ra, rb = a.result(), b.result()
    finally:
        kill_proc(srv)
    assert ra["connect"] is None and rb["connect"] is None, (ra, rb)
    assert c["connect"] == "EINPROGRESS" and c["connect_ms"] >= 1990, c
    wire.nothing_from(wire.from_server(cap.packets, KERNEL_IP, c["sport"], 9879), KERNEL_IP)

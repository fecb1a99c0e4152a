#!/usr/bin/env python3
"""Search latency of `qiss serve` while hostile connections are open (docs/reliability.md).

Opens IDLE connections that send nothing and SLOW connections that send one header line every
second (slowloris), reopening any the server closes so that the counts hold, then times
REQUESTS sequential searches on one kept-alive connection. 127.0.0.1 only; bounded in time.
Prints one JSON line: p50/p99/max in ms, errors, and how many connections the server closed.
"""
import argparse
import http.client
import json
import resource
import select
import socket
import statistics
import threading
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    return s


def closed_by_server(s):
    p = select.poll()  # select() cannot watch descriptors above 1024
    p.register(s, select.POLLIN)
    if not p.poll(0):
        return False
    try:
        return s.recv(4096) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True


def hold(port, idle, slow, stop, counts):
    """Keeps `idle` silent and `slow` slowloris connections open until `stop`."""
    pools = {"idle": [], "slow": []}
    start_line = b"GET /api/health HTTP/1.1\r\nHost: x\r\n"
    for kind, n in (("idle", idle), ("slow", slow)):
        for _ in range(n):
            s = connect(port)
            if kind == "slow":
                s.send(start_line)
            pools[kind].append(s)
    counts["opened"] = idle + slow
    counts["ready"].set()
    line = 0
    while not stop.wait(1.0):
        line += 1
        for kind, socks in pools.items():
            for i, s in enumerate(socks):
                dead = closed_by_server(s)
                if kind == "slow" and not dead:
                    try:
                        s.send(b"X-Slow-%d: 1\r\n" % line)
                    except OSError:
                        dead = True
                if dead:
                    counts["closed_" + kind] += 1
                    s.close()
                    socks[i] = connect(port)
                    if kind == "slow":
                        socks[i].send(start_line)
    for socks in pools.values():
        for s in socks:
            s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--idle", type=int, default=1000)
    p.add_argument("--slow", type=int, default=100)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--max-seconds", type=float, default=120)
    p.add_argument("--query", default="/api/search?q=cat&k=10")
    a = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    stop = threading.Event()
    counts = {"closed_idle": 0, "closed_slow": 0, "ready": threading.Event()}
    holder = threading.Thread(target=hold, args=(a.port, a.idle, a.slow, stop, counts))
    holder.start()
    counts["ready"].wait(60)

    conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
    times, errors = [], 0
    deadline = time.monotonic() + a.max_seconds
    for i in range(a.requests + 20):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        try:
            conn.request("GET", a.query)
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
        ms = (time.perf_counter() - t0) * 1000
        if i < 20:
            continue  # warm-up
        if ok:
            times.append(ms)
        else:
            errors += 1
    stop.set()
    holder.join()
    times.sort()
    q = lambda f: round(times[min(len(times) - 1, int(f * len(times)))], 2) if times else None
    print(json.dumps({"idle": a.idle, "slow": a.slow, "requests": len(times), "errors": errors,
                      "p50_ms": q(0.50), "p99_ms": q(0.99), "max_ms": q(1.0),
                      "mean_ms": round(statistics.mean(times), 2) if times else None,
                      "closed_by_server": {"idle": counts["closed_idle"],
                                           "slow": counts["closed_slow"]}}))


if __name__ == "__main__":
    main()

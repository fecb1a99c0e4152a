#!/usr/bin/python3
"""Journaled writers and the journal's checker for a writing `qiss serve` (docs/reliability.md,
"Crash loop" and "Soak"). Standard library only.

    writers.py seed  --url URL --journal J            records the images already stored
    writers.py run   --url URL --journal J --token-file T --images DIR [--writers 3]
                     [--duration S] [--live 40] [--max-ops N]
    writers.py check --url URL --journal J            checks the server against the journal
    writers.py stats --journal J                      requests and latency per operation, JSON

`run` starts WRITERS threads that POST images (multipart, each PNG of DIR made unique by a
tEXt chunk with a nonce, so its content hash is new) and DELETE ids whose add was acknowledged,
until SIGTERM/SIGINT, DURATION seconds or MAX_OPS operations. Each request gets a line in the
journal (JSON lines, appended, flushed) before it is sent ("sent") and one with its outcome:
the HTTP status, or "refused" (no connection: not sent), or "lost" (connected, no answer: it may
or may not have been applied). A server that is down is retried after a short pause.

`check` replays the journal and asks the server (over HTTP, GET only):
  - every acknowledged add not deleted since is present, with its content hash;
  - every acknowledged delete is absent (404);
  - no phantom: every stored id is a seed image or an add that was sent, with that content;
    no content hash is stored twice;
  - /api/health: images = index_vectors = the number of stored ids found;
  - /api/images/{id}/similar answers 200 for every stored id;
  - the writers got no 5xx, no 503, no unexpected 4xx;
  - with --graceful (the server was stopped with SIGTERM only): no write without an answer was
    applied.
Prints the failures and a JSON summary; exits 1 on any failure.
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import signal
import statistics
import struct
import sys
import threading
import time
import urllib.parse
import zlib
from concurrent.futures import ThreadPoolExecutor


class Journal:
    """Append-only JSON lines, shared by threads; each line flushed when written."""

    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8")
        self.lock = threading.Lock()

    def write(self, **fields):
        fields["t"] = round(time.time(), 3)
        line = json.dumps(fields, separators=(",", ":"))
        with self.lock:
            self.f.write(line + "\n")
            self.f.flush()


def read_journal(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass  # a line cut by a killed client: its request is ambiguous anyway
    return rows


def unique_png(png, nonce):
    """The PNG with a tEXt chunk after IHDR: the same pixels, new bytes."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    data = b"qiss-nonce\x00" + nonce.encode()
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + data) & 0xFFFFFFFF)
    end_ihdr = 8 + 8 + 13 + 4
    return png[:end_ihdr] + chunk + png[end_ihdr:]


def multipart(fields, boundary):
    out = b""
    for name, (filename, ctype, value) in fields.items():
        out += f"--{boundary}\r\n".encode()
        disp = f'Content-Disposition: form-data; name="{name}"'
        if filename:
            disp += f'; filename="{filename}"'
        out += disp.encode() + b"\r\n"
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


class Http:
    """One request per connection (so that a failure is tied to one request)."""

    def __init__(self, url, timeout):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout = u.hostname, u.port or 80, timeout

    def request(self, method, path, body=None, headers=None):
        """(status, body) or (None, "refused"|"lost", message)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            try:
                conn.connect()
            except OSError as e:
                return None, "refused", str(e)
            try:
                conn.request(method, path, body=body, headers=headers or {})
                r = conn.getresponse()
                return r.status, r.read(), None
            except (OSError, http.client.HTTPException) as e:
                return None, "lost", f"{type(e).__name__}: {e}"
        finally:
            conn.close()


class KeepAlive:
    """Idempotent GETs on a kept-alive connection, reopened (and retried once) on failure."""

    def __init__(self, url, timeout=30):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout = u.hostname, u.port or 80, timeout
        self.conn = None

    def get(self, path):
        for attempt in range(3):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                body = r.read()
                if r.will_close:
                    self.conn.close()
                    self.conn = None
                return r.status, body
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.2)


# ---------------------------------------------------------------------------------------------
# run


def deletes_sent(rows):
    """Ids that a delete may have reached: sent, and not refused before it was sent."""
    pending = {}
    for r in rows:
        if r.get("op") == "delete":
            if r.get("state") == "sent":
                pending[r["id"]] = pending.get(r["id"], 0) + 1
            elif r.get("state") == "refused":
                pending[r["id"]] -= 1
    return {i for i, n in pending.items() if n > 0}


def live_ids_of(rows):
    """Ids whose add was acknowledged and that no delete was sent for."""
    live, dead = [], deletes_sent(rows)
    for r in rows:
        if r.get("op") == "add" and r.get("state") == "answer" and r.get("status") in (200, 201):
            if r["id"] not in dead:
                live.append(r["id"])
    return live


def run(args):
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    token = open(args.token_file).readline().strip()
    files = sorted(
        os.path.join(args.images, f) for f in os.listdir(args.images) if f.endswith(".png"))
    pool = [open(f, "rb").read() for f in files[: args.pool]]
    if not pool:
        sys.exit(f"writers: no PNG in {args.images}")
    journal = Journal(args.journal)
    live_all = live_ids_of(read_journal(args.journal))
    http_ = Http(args.url, args.timeout)
    auth = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + args.duration if args.duration > 0 else None
    ops = [0]
    ops_lock = threading.Lock()
    run_id = f"{os.getpid()}-{int(time.time() * 1000)}"

    def writer(w):
        rng = random.Random(f"{args.seed}-{run_id}-{w}")
        live = live_all[w :: args.writers]
        n = 0
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            with ops_lock:
                if args.max_ops and ops[0] >= args.max_ops:
                    return
                ops[0] += 1
            n += 1
            if live and rng.random() < min(0.9, len(live) / (2.0 * args.live)):
                op, id_ = "delete", live.pop(rng.randrange(len(live)))
                journal.write(op=op, w=w, id=id_, state="sent")
                t0 = time.monotonic()
                status, body, err = http_.request("DELETE", f"/api/images/{id_}", headers=auth)
                fields = {"id": id_}
            else:
                op = "add"
                nonce = f"{run_id}-{w}-{n}-{rng.getrandbits(64):016x}"
                png = unique_png(pool[rng.randrange(len(pool))], nonce)
                h = hashlib.sha256(png).hexdigest()
                boundary = f"qisswriter{rng.getrandbits(64):016x}"
                body_out = multipart({"image": (f"w{w}.png", "image/png", png)}, boundary)
                headers = dict(auth)
                headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
                journal.write(op=op, w=w, hash=h, state="sent")
                t0 = time.monotonic()
                status, body, err = http_.request("POST", "/api/images", body_out, headers)
                fields = {"hash": h}
            ms = round((time.monotonic() - t0) * 1000, 2)
            if status is None:
                journal.write(op=op, w=w, state=body, error=err, ms=ms, **fields)
                if body == "refused" and op == "delete":
                    live.append(fields["id"])  # never sent: still there, delete it later
                stop.wait(args.retry_pause)
                continue
            entry = dict(op=op, w=w, state="answer", status=status, ms=ms, **fields)
            if op == "add" and status in (200, 201):
                j = json.loads(body)
                entry["id"] = j["id"]
                entry["dup"] = bool(j.get("duplicate"))
                if j.get("content_hash") != fields["hash"]:
                    entry["bad_hash"] = j.get("content_hash")
                live.append(j["id"])
            elif status >= 300:
                entry["error"] = body[:300].decode("utf-8", "replace")
            journal.write(**entry)
            if status == 503:
                stop.wait(args.retry_pause)
            elif args.pause > 0:
                stop.wait(args.pause)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(args.writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ---------------------------------------------------------------------------------------------
# seed


def seed(args):
    """Records the stored images (id and content hash) as "seed" lines."""
    c = KeepAlive(args.url)
    status, body = c.get("/api/health")
    images = json.loads(body)["images"]
    journal = Journal(args.journal)
    found, id_, misses = 0, 1, 0
    while found < images and misses < 10000:
        status, body = c.get(f"/api/images/{id_}")
        if status == 200:
            journal.write(op="seed", id=id_, hash=json.loads(body)["content_hash"])
            found, misses = found + 1, 0
        else:
            misses += 1
        id_ += 1
    print(f"writers: {found} seed images recorded")
    if found != images:
        sys.exit(f"writers: /api/health says {images} images, found {found}")


# ---------------------------------------------------------------------------------------------
# check


def check(args):
    rows = read_journal(args.journal)
    failures = []

    def fail(msg):
        if len(failures) < 50:
            print(f"  FAIL {msg}", file=sys.stderr)
        failures.append(msg)

    seed_hash = {}                # id -> hash of the images stored before the writers
    acked = {}                    # id -> hash, acknowledged adds
    sent_hashes = set()           # every add sent (answered or not)
    delete_sent, delete_acked = deletes_sent(rows), set()
    lost_adds = 0
    lost_add_hashes, lost_delete_ids = set(), set()
    statuses = {}
    for r in rows:
        op, state = r.get("op"), r.get("state")
        if op == "seed":
            seed_hash[r["id"]] = r["hash"]
        elif op == "add" and state == "sent":
            sent_hashes.add(r["hash"])
        elif state == "lost" and op == "add":
            lost_adds += 1
            lost_add_hashes.add(r["hash"])
        elif state == "lost" and op == "delete":
            lost_delete_ids.add(r["id"])
        if state == "answer":
            s = r["status"]
            statuses[s] = statuses.get(s, 0) + 1
            if op == "add" and s in (200, 201):
                if r["id"] in acked and acked[r["id"]] != r["hash"]:
                    fail(f"id {r['id']} acknowledged for two different contents")
                acked[r["id"]] = r["hash"]
                if "bad_hash" in r:
                    fail(f"add of {r['hash'][:12]}… answered content_hash {r['bad_hash'][:12]}…")
            elif op == "delete" and s == 200:
                delete_acked.add(r["id"])
            elif op == "delete" and s == 404 and r["id"] in acked:
                fail(f"delete of acknowledged id {r['id']} answered 404: the add was lost")
            elif s == 503:
                pass
            elif s >= 300:
                fail(f"{op} answered {s}: {r.get('error', '')[:200]}")
    n5xx = sum(n for s, n in statuses.items() if 500 <= s < 600 and s != 503)
    n503 = statuses.get(503, 0)
    if n503:
        fail(f"{n503} writes answered 503 (connection cap)")

    pool = [KeepAlive(args.url) for _ in range(args.parallel)]
    local = threading.local()
    counter = iter(range(10**9))
    counter_lock = threading.Lock()

    def conn():
        if not hasattr(local, "c"):
            with counter_lock:
                local.c = pool[next(counter) % len(pool)]
        return local.c

    def get_record(id_):
        status, body = conn().get(f"/api/images/{id_}")
        if status == 200:
            return id_, json.loads(body)["content_hash"]
        if status != 404:
            fail(f"GET /api/images/{id_} answered {status}")
        return id_, None

    known = set(seed_hash) | set(acked) | delete_sent
    bound = max(known, default=0) + lost_adds + args.margin
    with ThreadPoolExecutor(args.parallel) as ex:
        stored = {i: h for i, h in ex.map(get_record, range(1, bound + 1)) if h is not None}

    for id_, h in acked.items():
        if id_ in delete_sent:
            continue
        if id_ not in stored:
            fail(f"acknowledged add {id_} ({h[:12]}…) is missing")
        elif stored[id_] != h:
            fail(f"id {id_} holds {stored[id_][:12]}…, acknowledged as {h[:12]}…")
    for id_ in delete_acked:
        if id_ in stored:
            fail(f"acknowledged delete {id_} is still stored")
    for id_, h in seed_hash.items():
        if id_ not in stored and id_ not in delete_sent:
            fail(f"seed image {id_} is missing")
        elif id_ in stored and stored[id_] != h:
            fail(f"seed image {id_} changed content")
    if args.graceful:  # every stop answered what it applied: no answer, not applied
        for id_, h in stored.items():
            if h in lost_add_hashes:
                fail(f"id {id_} ({h[:12]}…) was added, its client got no answer")
        for id_ in lost_delete_ids:
            if id_ not in stored:
                fail(f"id {id_} was deleted, its client got no answer")
    by_hash = {}
    for id_, h in stored.items():
        by_hash.setdefault(h, []).append(id_)
        if id_ not in seed_hash and id_ not in acked and h not in sent_hashes:
            fail(f"phantom id {id_} ({h[:12]}…): never sent")
        if id_ in acked and id_ in delete_acked:
            fail(f"id {id_} deleted (acknowledged) but stored")
    for h, ids in by_hash.items():
        if len(ids) > 1:
            fail(f"content {h[:12]}… stored {len(ids)} times: ids {ids}")

    status, body = conn().get("/api/health")
    health = json.loads(body)
    if not (health["images"] == health["index_vectors"] == len(stored)):
        fail(f"/api/health: {health['images']} images, {health['index_vectors']} index vectors, "
             f"{len(stored)} ids found in 1..{bound}")

    def similar(id_):
        status, _ = conn().get(f"/api/images/{id_}/similar?k=3")
        if status != 200:
            fail(f"/api/images/{id_}/similar answered {status}")

    with ThreadPoolExecutor(args.parallel) as ex:
        list(ex.map(similar, sorted(stored)))

    summary = {
        "stored": len(stored), "seed": len(seed_hash), "acked_adds": len(acked),
        "acked_deletes": len(delete_acked), "lost_adds": lost_adds,
        "ambiguous_deletes": len(delete_sent) - len(delete_acked), "writes_5xx": n5xx,
        "writes_503": n503, "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "failures": len(failures)}
    print(json.dumps(summary))
    sys.exit(1 if failures else 0)


# ---------------------------------------------------------------------------------------------
# stats


def stats(args):
    """Requests and latency (answered requests) per operation."""
    rows = read_journal(args.journal)
    out = {}
    for op in ("add", "delete"):
        answered = [r for r in rows if r.get("op") == op and r.get("state") == "answer"]
        ms = sorted(r["ms"] for r in answered)
        q = statistics.quantiles(ms, n=100) if len(ms) >= 2 else ms * 99
        out[op] = {
            "answered": len(answered),
            "ok": sum(1 for r in answered if r["status"] in (200, 201)),
            "5xx": sum(1 for r in answered if r["status"] >= 500 and r["status"] != 503),
            "503": sum(1 for r in answered if r["status"] == 503),
            "refused": sum(1 for r in rows if r.get("op") == op and r.get("state") == "refused"),
            "lost": sum(1 for r in rows if r.get("op") == op and r.get("state") == "lost"),
            "p50_ms": round(q[49], 2) if ms else None, "p99_ms": round(q[98], 2) if ms else None}
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("seed", "run", "check", "stats"):
        s = sub.add_parser(name)
        s.add_argument("--journal", required=True)
        if name != "stats":
            s.add_argument("--url", required=True)
    r = sub.choices["run"]
    r.add_argument("--token-file", required=True)
    r.add_argument("--images", required=True, help="folder of PNG files to upload")
    r.add_argument("--pool", type=int, default=200, help="PNG files read from --images")
    r.add_argument("--writers", type=int, default=3)
    r.add_argument("--duration", type=float, default=0, help="seconds (0: until SIGTERM)")
    r.add_argument("--max-ops", type=int, default=0, help="requests in all (0: no limit)")
    r.add_argument("--live", type=int, default=40,
                   help="each writer deletes more often as its live ids approach this")
    r.add_argument("--pause", type=float, default=0, help="seconds between a writer's requests")
    r.add_argument("--retry-pause", type=float, default=0.2,
                   help="seconds before the next request after no answer or a 503")
    r.add_argument("--timeout", type=float, default=60, help="seconds per request")
    r.add_argument("--seed", type=int, default=1)
    c = sub.choices["check"]
    c.add_argument("--parallel", type=int, default=4, help="connections of the checker")
    c.add_argument("--margin", type=int, default=64, help="ids probed past the highest known")
    c.add_argument("--graceful", action="store_true",
                   help="the server was only ever stopped with SIGTERM: a write without an "
                        "answer must not have been applied")
    args = p.parse_args()
    {"seed": seed, "run": run, "check": check, "stats": stats}[args.cmd](args)


if __name__ == "__main__":
    main()

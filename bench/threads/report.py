#!/usr/bin/env python3
"""Turns the samples that bench/threads/run collected into results.md and chart.png.

Usage: report.py RAW_TSV CHECKS_TSV META_MD OUT_DIR
  RAW_TSV     lines "round<TAB>impl<TAB>metric<TAB>value<TAB>unit" (metric T1, T1_wall, T1_wakeups...)
  CHECKS_TSV  lines "impl<TAB>workload/n=<items><TAB>checksum"
  META_MD     Markdown lines about the machine and the run (copied to the top)
Writes OUT_DIR/results.md, chart.dat, chart.gp and (with gnuplot) chart.png; prints results.md.

Throughput (items/s) comes from the wall time of the run (every implementation moves the items
between two cores: the wall time is what a user waits); the CPU time of the process (every
thread) per item is shown beside it. Ratios are the median over the rounds of the ratio measured
within each round (both processes ran minutes apart at most, under the same load).
"""

import collections
import os
import statistics
import subprocess
import sys

OURS = "asyncio"
IMPLS = [  # key, column title
    ("asyncio", "asyncio (ours)"),
    ("floor_condvar", "floor: mutex+condvar"),
    ("floor_spsc", "floor: SPSC ring (spins)"),
    ("crossbeam", "crossbeam-channel"),
    ("go", "Go chan"),
    ("go_locked", "Go chan, LockOSThread"),
    ("tokio", "Tokio mpsc"),
    ("boost", "Asio concurrent_channel"),
    ("py313", "CPython 3.13"),
]
TITLE = dict(IMPLS)
ROWS = [  # workload, label, unit of an item
    ("T1", "T1 thread → loop, maxsize 1024", "items"),
    ("T2", "T2 loop → thread, maxsize 1024", "items"),
    ("T3", "T3 thread → thread (sync face), maxsize 1024", "items"),
    ("T4", "T4 loop ↔ loop on two threads, maxsize 1", "round trips"),
    ("T5", "T5 4 threads → 1 loop, maxsize 1024", "items"),
]


def load(path):
    samples = collections.defaultdict(dict)  # (impl, metric) -> {round: value}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            rnd, impl, metric, value, _unit = parts
            samples[(impl, metric)][int(rnd)] = float(value)
    return samples


def median(d):
    return statistics.median(d.values()) if d else None


def rate(ns_per_item):
    return 1e9 / ns_per_item


def fmt_rate(r):
    if r >= 1e6:
        return f"{r / 1e6:.2f} M"
    if r >= 1e3:
        return f"{r / 1e3:.1f} k"
    return f"{r:.0f}"


def fmt_ns(ns):
    return f"{ns:,.0f}" if ns >= 100 else f"{ns:.1f}"


def ratio(samples, w, other):
    """Median over the rounds of (ours' items/s) / (other's items/s), both by wall time."""
    a, b = samples.get((OURS, w + "_wall"), {}), samples.get((other, w + "_wall"), {})
    per_round = [b[r] / a[r] for r in a if r in b and a[r] > 0]
    return statistics.median(per_round) if per_round else None


def cpu_ratio(samples, w, other):
    """Median over the rounds of (other's CPU ns per item) / (ours)."""
    a, b = samples.get((OURS, w), {}), samples.get((other, w), {})
    per_round = [b[r] / a[r] for r in a if r in b and a[r] > 0]
    return statistics.median(per_round) if per_round else None


def check_sums(path):
    bad, by_workload = [], collections.defaultdict(lambda: collections.defaultdict(set))
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    by_workload[parts[1]][parts[0]].add(parts[2])
    for workload, by_impl in sorted(by_workload.items()):
        n = int(workload.split("/n=")[1]) if "/n=" in workload else None
        for impl, sums in by_impl.items():
            if n is not None and sums != {str(n * (n - 1) // 2)}:
                bad.append(f"{workload} {TITLE.get(impl, impl)}: checksum {'/'.join(sorted(sums))}")
    return bad


def fmt_x(x):
    return "–" if x is None else f"{x:.2f}×"


def verdicts(s):
    """A goal "ahead of X" is met when ours is ahead both in items/s (wall time) and in CPU time per
    item (ratios within rounds): on a shared machine a spinning implementation can lose wall
    time to other jobs, and one that sleeps can lose it to wake-up latency."""
    out = []

    def vs(w, peer):
        x, c = ratio(s, w, peer), cpu_ratio(s, w, peer)
        if x is None or c is None:
            return None, f"{w} vs {TITLE[peer]}: not measured"
        return x > 1 and c > 1, (f"{w} vs {TITLE[peer]}: items/s ours ÷ theirs {x:.2f}, "
                                 f"CPU per item theirs ÷ ours {c:.2f}")

    for goal, pairs in (("T1–T3 ahead of crossbeam-channel and Go", [(w, p) for w in ("T1", "T2", "T3") for p in ("crossbeam", "go")]),
                        ("T4 ahead of Go", [("T4", "go")])):
        results = [vs(w, p) for w, p in pairs]
        known = [ok for ok, _ in results if ok is not None]
        verdict = "not measured" if not known else ("**met**" if all(known) else "**missed**")
        out.append(f"- {goal}: {verdict} — " + "; ".join(t + (" (ahead)" if ok else " (not ahead)" if ok is not None else "")
                                                       for ok, t in results) + ".")
    x, c = ratio(s, "T4", "go_locked"), cpu_ratio(s, "T4", "go_locked")
    if x is not None and c is not None:
        out.append(f"  (For comparison, T4 against Go with each goroutine locked to its own OS thread, the shape "
                   f"of ours: items/s ours ÷ theirs {x:.2f}, CPU per item theirs ÷ ours {c:.2f}.)")
    wk = median(s.get((OURS, "T1_wakeups"), {}))
    if wk is None:
        out.append("- Wake-ups coalesced (eventfd writes per item far below 1 in T1): not measured.")
    else:
        others = ", ".join(f"{w} {median(s[(OURS, w + '_wakeups')]):.4g}" for w, _, _ in ROWS[1:] if (OURS, w + "_wakeups") in s)
        out.append(f"- Wake-ups coalesced (eventfd writes per item far below 1 in T1): "
                   f"{'**met**' if wk < 0.05 else '**missed**'} — T1 {wk:.4g} writes per item ({others}).")
    allocs = {w: median(s[(OURS, w + "_allocs")]) for w, _, _ in ROWS if (OURS, w + "_allocs") in s}
    if allocs:
        worst = max(allocs.values())
        detail = ", ".join(f"{w} {a:.4g}" for w, a in allocs.items())
        out.append(f"- No heap allocation per item in the steady state: {'**met**' if worst == 0 else '**missed**'} — "
                   f"allocations per item: {detail} (each is one wake-up of a task of another loop: the "
                   f"callback that call_soon_threadsafe allocates).")
    return out


def write_chart(s, out_dir, subtitle):
    impls = [(k, t) for k, t in IMPLS if any((k, w + "_wall") in s for w, _, _ in ROWS)]
    with open(os.path.join(out_dir, "chart.dat"), "w") as f:
        f.write("workload\t" + "\t".join(f'"{t}"' for _, t in impls) + "\n")
        for w, _, _ in ROWS:
            vals = [median(s.get((k, w + "_wall"), {})) for k, _ in impls]
            f.write(w + "\t" + "\t".join("NaN" if v is None else f"{rate(v):.1f}" for v in vals) + "\n")
    colors = {"asyncio": "#d62728", "floor_condvar": "#7f7f7f", "floor_spsc": "#c7c7c7", "crossbeam": "#ff7f0e",
              "go": "#17becf", "go_locked": "#1f77b4", "tokio": "#8c564b", "boost": "#2ca02c", "py313": "#9467bd"}
    plots = ", ".join(f"'chart.dat' using {i + 2}:xtic(1) title columnheader({i + 2}) lc rgb '{colors.get(k, '#000000')}'"
                      for i, (k, _) in enumerate(impls))
    with open(os.path.join(out_dir, "chart.gp"), "w") as f:
        f.write(f"""set terminal pngcairo noenhanced size 1400,700 font ",11"
set output 'chart.png'
set title "Thread-safe queues T1-T5: median items/s by wall time (T4: round trips/s); log scale, higher is better\\n{subtitle}"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y 10
set yrange [1000:*]
set format y "%.0s%c"
set ylabel "items per second"
set grid ytics
set key outside right top
plot {plots}
""")
    try:
        subprocess.run(["gnuplot", "chart.gp"], cwd=out_dir, check=True)
        return True
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"gnuplot failed: {e}", file=sys.stderr)
        return False


def main(raw_path, checks_path, meta_path, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    s = load(raw_path)
    impls = [(k, t) for k, t in IMPLS if any((k, w + "_wall") in s for w, _, _ in ROWS)]
    lines = []
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            lines += [l.rstrip("\n") for l in f]
        lines.append("")
    lines.append("Median items per second by wall time (T4: round trips per second); below, the CPU time of the "
                 "process per item, every thread counted (ns):")
    lines.append("")
    lines.append("| workload | " + " | ".join(t for _, t in impls) + " | ours ÷ crossbeam | ours ÷ Go |")
    lines.append("|---|" + "---:|" * (len(impls) + 2))
    for w, label, _unit in ROWS:
        cells = []
        for k, _ in impls:
            wall, cpu = median(s.get((k, w + "_wall"), {})), median(s.get((k, w), {}))
            cells.append("–" if wall is None else f"{fmt_rate(rate(wall))}/s<br>{fmt_ns(cpu)} ns")
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {fmt_x(ratio(s, w, 'crossbeam'))} | {fmt_x(ratio(s, w, 'go'))} |")
    lines.append("")
    lines.append("Ours, in the steady state (between the consumer's item n/10 and 9n/10): eventfd writes "
                 "(the loops' wake-ups) and heap allocations per item:")
    lines.append("")
    lines.append("| | " + " | ".join(w for w, _, _ in ROWS) + " |")
    lines.append("|---|" + "---:|" * len(ROWS))
    for metric, label in (("wakeups", "eventfd writes per item"), ("allocs", "allocations per item")):
        vals = [median(s.get((OURS, f"{w}_{metric}"), {})) for w, _, _ in ROWS]
        lines.append(f"| {label} | " + " | ".join("–" if v is None else f"{v:.4g}" for v in vals) + " |")
    lines.append("")
    rounds = sorted({r for d in s.values() for r in d})
    lines.append(f"Medians of {len(rounds)} rounds; ratios: the median of the ratios within each round "
                 "(ours ÷ peer in items/s: above 1, ours is faster). A goal \"ahead of\" is met when ours is "
                 "ahead in items/s and in CPU time per item. CPython moves 100,000 items (T4: 10,000 "
                 "round trips), the others 1,000,000 (T4: 100,000).")
    lines.append("")
    lines.append("Goals of issue 11:")
    lines.append("")
    lines += verdicts(s)
    bad = check_sums(checks_path)
    lines.append("")
    lines.append("Checksums: " + ("all right." if not bad else "WRONG: " + "; ".join(bad)))
    chart = write_chart(s, out_dir, "see results.md for the machine and the load")
    if chart:
        lines.append("")
        lines.append("![T1-T5](chart.png)")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])

#!/usr/bin/env python3
"""Turns the raw samples that bench/run collected into the Markdown table and the chart.

Usage: report.py RAW_TSV CHECKS_TSV META_MD OUT_DIR
  RAW_TSV     lines "round<TAB>impl<TAB>metric<TAB>value<TAB>unit"
  CHECKS_TSV  lines "impl<TAB>workload<TAB>checksum"
  META_MD     Markdown lines describing the machine and the run (copied to the top)
Writes OUT_DIR/results.md, OUT_DIR/chart.dat, OUT_DIR/chart.gp and (with gnuplot) OUT_DIR/chart.png;
prints results.md to standard output.
"""

import collections
import os
import statistics
import subprocess
import sys

OURS = "asyncio"
IMPLS = [  # key, column title
    ("asyncio", "asyncio (ours)"),
    ("floor", "floor"),
    ("boost", "Boost.Asio channel"),
    ("go", "Go chan"),
    ("tokio", "Tokio mpsc"),
    ("py311", "CPython 3.11"),
    ("py313", "CPython 3.13"),
]
PEERS = [k for k, _ in IMPLS if k != OURS]
# The loop workloads W9-W11 have a table of their own: they run on ours, the floor, CPython and
# uvloop (on the system Python), not on the queue peers.
IO_IMPLS = [
    ("asyncio", "asyncio (ours)"),
    ("floor", "floor"),
    ("uvloop", "uvloop (CPython 3.11)"),
    ("py311", "CPython 3.11"),
    ("py313", "CPython 3.13"),
]
IO_PEERS = [k for k, _ in IO_IMPLS if k != OURS]
TITLE = dict(IMPLS + IO_IMPLS)

ROWS = [  # metric, label, unit
    ("W1", "W1 put_nowait+get_nowait, maxsize=1024", "ns/item"),
    ("W2", "W2 ping-pong, maxsize=1", "ns/item"),
    ("W3", "W3 4 producers, 4 consumers, maxsize=1024, join", "ns/item"),
    ("W4", "W4 unbounded, sleep(0) after every put", "ns/item"),
    ("W5_1", "W5 1 waiter", "ns/item"),
    ("W5_100k", "W5 100,000 waiters", "ns/item"),
    ("W5_ratio", "W5 100,000 waiters / 1 waiter", "ratio"),
    ("W6", "W6 PriorityQueue, 1e6 random ints", "ns/item"),
    ("W7_queue", "W7 RSS per queued int (1e6, unbounded)", "bytes/item"),
    ("W7_getter", "W7 RSS per task blocked in get() (1e5)", "bytes/task"),
    ("W1_allocs", "W7 heap allocations per item, W1", "allocs/item"),
    ("W2_allocs", "W7 heap allocations per item, W2", "allocs/item"),
    ("W3_allocs", "W7 heap allocations per item, W3", "allocs/item"),
    ("W8", "W8 compile one queue, g++ -O2", "s"),
]
IO_ROWS = [  # metric, label, unit of the item
    ("W9", "W9 call_soon_threadsafe from a second thread", "callback"),
    ("W10", "W10 to_thread round trips, one after another", "round trip"),
    ("W11", "W11 socketpair ping-pong through add_reader", "round trip"),
]
QUEUE_TIMED = ["W1", "W2", "W3", "W4", "W5_1", "W5_100k", "W6"]
CHART_ROWS = QUEUE_TIMED + [m for m, _, _ in IO_ROWS]


def load(raw_path):
    samples = collections.defaultdict(list)  # (impl, metric) -> [values]
    with open(raw_path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            _, impl, metric, value, _ = parts
            samples[(impl, metric)].append(float(value))
    med = {key: statistics.median(vals) for key, vals in samples.items()}
    counts = {key: len(vals) for key, vals in samples.items()}
    for impl, _ in IMPLS:
        if (impl, "W5_1") in med and (impl, "W5_100k") in med and med[(impl, "W5_1")] > 0:
            med[(impl, "W5_ratio")] = med[(impl, "W5_100k")] / med[(impl, "W5_1")]
    return med, counts


def load_checks(path):
    checks = collections.defaultdict(dict)  # workload -> impl -> set(checksums)
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    checks[parts[1]].setdefault(parts[0], set()).add(parts[2])
    return checks


def fmt(value, unit):
    if value is None:
        return "—"
    if unit == "allocs/item":
        return "0" if value == 0 else f"{value:.2g}"
    if unit == "s":
        return f"{value:.2f}"
    if unit == "ratio":
        return f"{value:.2f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def fmt_ratio(r):
    if r is None:
        return "—"
    if r >= 10:
        return f"{r:.0f}"
    if r >= 0.1:
        return f"{r:.2f}"
    return f"1/{1 / r:.0f}" if r > 0 else "0"


def has_any(med, metrics, impls):
    return any((impl, m) in med for m in metrics for impl, _ in impls)


def build_table(med):
    head = ["workload", "unit"] + [TITLE[k] for k, _ in IMPLS] + [f"ours / {TITLE[p]}" for p in PEERS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(head) - 2)]
    for metric, label, unit in ROWS:
        if not has_any(med, [metric], IMPLS):
            continue  # a partial run (BENCH_W)
        cells = [label, unit]
        for impl, _ in IMPLS:
            cells.append(fmt(med.get((impl, metric)), unit))
        ours = med.get((OURS, metric))
        for peer in PEERS:
            theirs = med.get((peer, metric))
            ratio = None
            if ours is not None and theirs and unit not in ("allocs/item", "ratio"):
                ratio = ours / theirs
            cells.append(fmt_ratio(ratio))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def fmt_rate(ns):
    """Items per second from ns per item: 1.2M/s, 35k/s."""
    if not ns:
        return "—"
    rate = 1e9 / ns
    if rate >= 1e6:
        return f"{rate / 1e6:.3g}M/s"
    if rate >= 1e3:
        return f"{rate / 1e3:.3g}k/s"
    return f"{rate:.3g}/s"


def build_io_table(med):
    """W9-W11: ns per item and items per second for each implementation, and ours / peer."""
    head = ["workload", "unit"] + [TITLE[k] for k, _ in IO_IMPLS] + [f"ours / {TITLE[p]}" for p in IO_PEERS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(head) - 2)]
    for metric, label, item in IO_ROWS:
        if not has_any(med, [metric], IO_IMPLS):
            continue
        ours = med.get((OURS, metric))
        cells = [label, f"ns/{item}"] + [fmt(med.get((k, metric)), "ns/item") for k, _ in IO_IMPLS]
        for peer in IO_PEERS:
            theirs = med.get((peer, metric))
            cells.append(fmt_ratio(ours / theirs) if ours is not None and theirs else "—")
        lines.append("| " + " | ".join(cells) + " |")
        cells = [f"{metric}, the same per second", f"{item}s/s"]
        cells += [fmt_rate(med.get((k, metric))) for k, _ in IO_IMPLS] + [""] * len(IO_PEERS)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


USER_ROWS = [("W1", "W1 put_nowait+get_nowait, maxsize=1024"), ("W2", "W2 ping-pong, maxsize=1"),
             ("W3", "W3 4 producers, 4 consumers, maxsize=1024, join")]


def build_user_table(med):
    """W1-W3 as a user writes them, on Queue<long> and Queue<std::string>, against ours on int
    and the floor (int)."""
    metrics = [f"{m}_{t}" for m, _ in USER_ROWS for t in ("long", "str")]
    if not has_any(med, metrics, IMPLS):
        return []
    head = ["workload (ns/item, ours)", "Queue<int>", "Queue<long>", "Queue<std::string>", "floor (int)",
            "long / int", "string / int", "long / floor", "string / floor"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for m, label in USER_ROWS:
        base, lng, st, fl = (med.get((OURS, m)), med.get((OURS, m + "_long")), med.get((OURS, m + "_str")),
                             med.get(("floor", m)))
        def r(a, b):
            return fmt_ratio(a / b) if a is not None and b else "—"
        cells = [label] + [fmt(v, "ns/item") for v in (base, lng, st, fl)]
        cells += [r(lng, base), r(st, base), r(lng, fl), r(st, fl)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def build_wall_table(med, impls, metrics):
    head = ["workload (wall clock, ns/item)"] + [TITLE[k] for k, _ in impls]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for metric in metrics:
        if not has_any(med, [metric + "_wall"], impls):
            continue
        cells = [metric] + [fmt(med.get((impl, metric + "_wall")), "ns/item") for impl, _ in impls]
        lines.append("| " + " | ".join(cells) + " |")
    return lines if len(lines) > 2 else []


def ratio(med, metric, peer):
    ours, theirs = med.get((OURS, metric)), med.get((peer, metric))
    if ours is None or not theirs:
        return None
    return ours / theirs


def targets(med):
    """Each target of the benchmark issue: (target, measured, verdict)."""
    out = []

    def check(name, value, limit, shown):
        if value is None:
            out.append((name, "not measured", "—"))
        elif value <= limit:
            out.append((name, shown, "met"))
        else:
            out.append((name, shown, f"missed by {value / limit:.2f}×"))

    r = ratio(med, "W1", "boost")
    check("W1 ≤ 1/3 of Boost.Asio try_send+try_receive", r, 1 / 3, f"{fmt_ratio(r)}" if r else "")
    r = ratio(med, "W2", "go")
    check("W2 ≤ 1/4 of Go", r, 1 / 4, f"{fmt_ratio(r)}" if r else "")
    r = ratio(med, "W2", "floor")
    check("W2 within 3× of the floor", r, 3, f"{r:.2f}×" if r else "")
    r = ratio(med, "W3", "go")
    check("W3 ≤ 1/3 of Go", r, 1 / 3, f"{fmt_ratio(r)}" if r else "")
    for metric in ("W4", "W5_1"):
        r = ratio(med, metric, "floor")
        check(f"{metric} within 1.5× of the floor", r, 1.5, f"{r:.2f}×" if r else "")
    r = ratio(med, "W6", "floor")
    check("W6 within 1.1× of the floor (std::priority_queue)", r, 1.1, f"{r:.2f}×" if r else "")
    r = ratio(med, "W6", "tokio")
    check("W6 ahead of Tokio's (BinaryHeap)", r, 1.0, f"{r:.2f}" if r else "")
    r = med.get((OURS, "W5_ratio"))
    check("W5 at 100,000 waiters ≤ 1.5× W5 at 1 waiter", r, 1.5, f"{r:.2f}×" if r else "")
    v = med.get((OURS, "W7_getter"))
    check("W7 ≤ 200 bytes per task blocked in get()", v, 200, f"{v:.0f} bytes" if v is not None else "")
    for t, title in (("long", "Queue<long>"), ("str", "Queue<std::string>")):
        ours, floor = med.get((OURS, f"W2_{t}")), med.get(("floor", "W2"))
        r = ours / floor if ours is not None and floor else None
        check(f"W2 on {title} (a user's code) within 3× of the floor", r, 3, f"{r:.2f}×" if r else "")
    for metric in QUEUE_TIMED:
        r = ratio(med, metric, "py313")
        check(f"{metric} ≥ 100× faster than CPython 3.13", r, 1 / 100, f"{1 / r:.0f}× faster" if r else "")
    for metric in ("W1_allocs", "W2_allocs", "W3_allocs"):
        v = med.get((OURS, metric))
        # "Zero per item in steady state": a fixed set-up cost (the tasks, the queue) spread over
        # a million items stays far below 0.001; one allocation per item would be 1.
        check(f"{metric.split('_')[0]}: zero heap allocations per item (steady state)",
              v, 0.001, f"{fmt(v, 'allocs/item')} per item" if v is not None else "")
    r = med.get((OURS, "W5_ratio"))
    check("W5 at 100,000 waiters ≤ 2× W5 at 1 waiter", r, 2, f"{r:.2f}×" if r else "")
    r = ratio(med, "W8", "boost")
    check("W8 compile ≤ 1/3 of Boost.Asio", r, 1 / 3, f"{fmt_ratio(r)}" if r else "")
    r = ratio(med, "W9", "uvloop")
    check("W9 call_soon_threadsafe ≥ 20× faster than uvloop", r, 1 / 20, f"{1 / r:.1f}× faster" if r else "")
    r = ratio(med, "W11", "floor")
    check("W11 add_reader ping-pong within 1.3× of a bare epoll loop", r, 1.3, f"{r:.2f}×" if r else "")
    return out


def check_lines(checks):
    bad = []
    for workload, by_impl in sorted(checks.items()):
        values = set()
        for impl, sums in by_impl.items():
            if len(sums) > 1:
                bad.append(f"{workload}: {TITLE.get(impl, impl)} gave different checksums across rounds: {sorted(sums)}")
            values |= sums
        if len(values) > 1:
            detail = ", ".join(f"{TITLE.get(i, i)}={'/'.join(sorted(s))}" for i, s in sorted(by_impl.items()))
            bad.append(f"{workload}: the implementations disagree on the checksum ({detail})")
    return bad


def write_chart(med, out_dir, subtitle):
    chart_impls = IMPLS + [i for i in IO_IMPLS if i not in IMPLS]
    impls = [(k, t) for k, t in chart_impls if any((k, m) in med for m in CHART_ROWS)]
    rows = [m for m in CHART_ROWS if any((k, m) in med for k, _ in impls)]
    dat = os.path.join(out_dir, "chart.dat")
    with open(dat, "w") as f:
        f.write("workload\t" + "\t".join(f'"{t}"' for _, t in impls) + "\n")
        for m in rows:
            vals = [med.get((k, m)) for k, _ in impls]
            f.write(m + "\t" + "\t".join("NaN" if v is None else f"{v:.4f}" for v in vals) + "\n")
    gp = os.path.join(out_dir, "chart.gp")
    plots = ", ".join(
        f"'chart.dat' using {i + 2}:xtic(1) title columnheader({i + 2})" for i in range(len(impls)))
    with open(gp, "w") as f:
        f.write(f"""set terminal pngcairo noenhanced size 1400,700 font ",11"
set output 'chart.png'
set title "Median CPU ns per item (log scale; lower is better)\\n{subtitle}"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y 10
set yrange [0.1:*]
set ylabel "ns per item"
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
    med, counts = load(raw_path)
    lines = []
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            lines += [l.rstrip("\n") for l in f]
        lines.append("")
    if has_any(med, [m for m, _, _ in ROWS], IMPLS):
        lines += build_table(med)
        lines.append("")
    user = build_user_table(med)
    if user:
        lines.append("W1-W3 as a user writes them (generic producer and consumer coroutines, the queue a "
                     "local of the coroutine), on Queue<long> and Queue<std::string> (short strings: a "
                     "move, no allocation), CPU ns per item:")
        lines.append("")
        lines += user
        lines.append("")
    if has_any(med, [m for m, _, _ in IO_ROWS], IO_IMPLS):
        lines.append("The loop workloads (CPU ns per item, every thread of the process; below each, "
                     "the same as items per second):")
        lines.append("")
        lines += build_io_table(med)
        lines.append("")
    lines.append("Medians of the rounds (samples per cell: "
                 + ", ".join(sorted({f"{n}" for n in counts.values()})) + "). "
                 "Ratios are ours / peer: below 1 ours is faster or smaller; 1/N means N times less. "
                 "— means the implementation has no such operation or was not run.")
    lines.append("")
    lines.append("| target | measured | verdict |")
    lines.append("|---|---|---|")
    partial = any(l.startswith("- Workloads run:") for l in lines)  # BENCH_W: only some workloads
    for name, shown, verdict in targets(med):
        if partial and shown == "not measured":
            continue
        lines.append(f"| {name} | {shown} | {verdict} |")
    lines.append("")
    lines.append("Wall-clock medians of the same runs, for reference (they also count the time "
                 "other jobs held the core):")
    for table in (build_wall_table(med, IMPLS, QUEUE_TIMED),
                  build_wall_table(med, IO_IMPLS, [m for m, _, _ in IO_ROWS])):
        if table:
            lines.append("")
            lines += table
    bad = check_lines(load_checks(checks_path))
    lines.append("")
    if bad:
        lines.append("**Checksum mismatches (some implementation did different work):**")
        lines += [f"- {b}" for b in bad]
    else:
        lines.append("Every implementation's checksum of every workload agrees with every other's "
                     "(the same items went through).")
    os.makedirs(out_dir, exist_ok=True)
    machine = date = ""
    for line in lines:
        if line.startswith("- Date:"):
            date = line[len("- Date:"):].split(";")[0].strip()
        elif line.startswith("- Machine:"):
            machine = line[len("- Machine:"):].strip().rstrip(".").split(", Linux")[0]
    subtitle = ", ".join(s for s in (machine, date) if s)
    charted = write_chart(med, out_dir, subtitle.replace('"', "'"))
    if charted:
        lines.append("")
        lines.append("![ns per item, log scale](chart.png)")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))

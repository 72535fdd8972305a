"""Report of the locks family (bench/locks/run): results.md (table, ratios, verdicts), chart.dat,
chart.gp and, when gnuplot is installed, chart.png.

Usage: report.py RAW.tsv CHECKS.tsv META.md RESULTS_DIR
"""

import collections
import csv
import os
import shutil
import statistics
import subprocess
import sys

WORKLOADS = [
    ("L1", "Lock acquire + release, uncontended", "ns per acquire+release"),
    ("L2", "two tasks contending for one Lock", "ns per handover"),
    ("L3", "Semaphore(10) bounding 1,000 tasks that each sleep(0)", "ns per task"),
    ("L4", "a TaskGroup of 100,000 tasks", "ns per task"),
]
IMPLS = [
    ("asyncio", "ours"),
    ("asyncio_keep", "ours, heap kept"),
    ("floor", "floor (plain C++)"),
    ("py313", "CPython 3.13"),
]
GOAL = 100.0  # ours >= 100x CPython 3.13 on each


def fmt(v, digits=None):
    if v is None:
        return "–"
    if digits is None:
        digits = 1 if v < 100 else 0
    return f"{v:,.{digits}f}"


def main():
    raw_path, checks_path, meta_path, out_dir = sys.argv[1:5]
    values = collections.defaultdict(list)  # (impl, metric) -> [value]
    by_round = collections.defaultdict(dict)  # (round, metric) -> {impl: value}
    with open(raw_path) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            v = float(row["value"])
            values[(row["impl"], row["metric"])].append(v)
            by_round[(row["round"], row["metric"])][row["impl"]] = v
    checks = collections.defaultdict(set)
    with open(checks_path) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            checks[row["workload"]].add(row["check"])

    def med(impl, metric):
        vs = values.get((impl, metric))
        return statistics.median(vs) if vs else None

    def ratio(num, den, metric):
        rs = [d[num] / d[den] for (_, m), d in by_round.items() if m == metric and num in d and den in d and d[den] > 0]
        return (statistics.median(rs), min(rs), max(rs)) if rs else None

    lines = ["# Locks and TaskGroup: L1–L4", ""]
    with open(meta_path) as f:
        lines += [l.rstrip("\n") for l in f]
    lines += [
        "",
        "Median CPU ns per item (lower is better); the ratios are medians over rounds of the ratio within each round"
        " (min–max in brackets).",
        "",
        "| | workload | ours | floor | CPython 3.13 | CPython / ours | ours / floor | ours: heap allocations per item |"
        " ours, heap kept (diagnostic) | CPython / ours, heap kept |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for w, desc, unit in WORKLOADS:
        o, fl, py = med("asyncio", w), med("floor", w), med("py313", w)
        rp, rf = ratio("py313", "asyncio", w), ratio("asyncio", "floor", w)
        allocs = med("asyncio", w + "_allocs")
        keep, rk = med("asyncio_keep", w), ratio("py313", "asyncio_keep", w)
        rk_s = f"{rk[0]:.0f}× ({rk[1]:.0f}–{rk[2]:.0f})" if rk else "–"
        rp_s = f"**{rp[0]:.0f}×** ({rp[1]:.0f}–{rp[2]:.0f})" if rp else "–"
        rf_s = f"{rf[0]:.1f}× ({rf[1]:.1f}–{rf[2]:.1f})" if rf else "–"
        lines.append(
            f"| {w} | {desc}, {unit} | {fmt(o)} | {fmt(fl)} | {fmt(py)} | {rp_s} | {rf_s} | "
            f"{fmt(allocs, 3) if allocs is not None else '–'} | {fmt(keep)} | {rk_s} |"
        )
        if rp:
            met = rp[0] >= GOAL
            verdicts.append(
                f"- {w} ≥ {GOAL:.0f}× CPython 3.13: **{'met' if met else 'missed'}** "
                f"({rp[0]:.0f}×; ours {fmt(o)} ns, CPython {fmt(py)} ns"
                + ("" if met else f"; {GOAL:.0f}× needs ≤ {py / GOAL:.1f} ns")
                + ")."
            )
    l1a = med("asyncio", "L1_allocs")
    if l1a is not None:
        verdicts.append(
            f"- Zero heap allocations per uncontended acquire (L1): **{'met' if l1a == 0 else 'missed'}** "
            f"({l1a:g} per acquire+release)."
        )
    walls = []
    for w, _, _ in WORKLOADS:
        cells = [f"{label} {fmt(med(impl, w + '_wall'))}" for impl, label in IMPLS if med(impl, w + "_wall") is not None]
        if cells:
            walls.append(f"{w}: " + ", ".join(cells))
    lines += [
        "",
        "\"Ours, heap kept\" is a diagnostic, not a verdict: the same program run with glibc's heap"
        " trimming off (`GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967295`), so that the memory of"
        " the task frames freed at the end of a round stays in the process instead of going back to the"
        " kernel and being faulted in again: what a pool of task frames in the task core would keep.",
        "",
        "Wall-clock medians, ns per item: " + "; ".join(walls) + ".",
    ]
    bad = [w for w, _, _ in WORKLOADS if len(checks.get(w, ())) > 1 or "0" in checks.get(w, ())]
    lines += [
        "",
        "Checks (the same value from every implementation and round): "
        + ("**all agree**." if not bad else "**DISAGREE** for " + ", ".join(bad) + "."),
        "",
        "## Targets (issue 13)",
        "",
    ] + verdicts + ["", "![L1–L4, median CPU ns per item, log scale](chart.png)", ""]
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write("\n".join(lines))

    with open(os.path.join(out_dir, "chart.dat"), "w") as f:
        f.write("workload\t" + "\t".join(f'"{label}"' for _, label in IMPLS) + "\n")
        for w, _, _ in WORKLOADS:
            f.write(w + "\t" + "\t".join(f"{med(impl, w):.3f}" if med(impl, w) else "NaN" for impl, _ in IMPLS) + "\n")
    gp = os.path.join(out_dir, "chart.gp")
    with open(gp, "w") as f:
        f.write(
            "set terminal pngcairo size 900,500 font ',10' noenhanced\n"
            "set output 'chart.png'\n"
            "set title 'Locks and TaskGroup (L1-L4): median CPU ns per item, log scale'\n"
            "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
            "set logscale y\nset yrange [0.1:*]\nset ylabel 'ns per item'\nset key top left\nset grid ytics\n"
            "plot 'chart.dat' using 2:xtic(1) title columnheader(2), '' using 3 title columnheader(3), "
            "'' using 4 title columnheader(4), '' using 5 title columnheader(5)\n"
        )
    if shutil.which("gnuplot"):
        r = subprocess.run(["gnuplot", "chart.gp"], cwd=out_dir)
        if r.returncode != 0:
            print("report.py: gnuplot failed; chart.png not written", file=sys.stderr)
    else:
        print("report.py: gnuplot is not installed (Debian: gnuplot-nox); chart.png not written", file=sys.stderr)
    print("\n".join(lines))


if __name__ == "__main__":
    main()

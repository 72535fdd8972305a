#!/usr/bin/env python3
"""bench/redis/report.py - the report of bench/redis/run: a Markdown table and a chart.

Usage: report.py RAW_TSV CHECKS_TSV META_MD OUT_DIR
  RAW_TSV     lines "round<TAB>impl<TAB>metric<TAB>value<TAB>unit": impl ours | py (metrics R1, R2,
              R3 in items/s, R<n>_cpu and R<n>_server in ns/item) or redis-benchmark (metrics
              <COMMAND>_c<clients>_P<pipeline> in requests/s)
  CHECKS_TSV  lines "impl<TAB>workload<TAB>sums-agree|sums-differ ..."
  META_MD     Markdown lines on the machine and the run (copied to the top)
Writes OUT_DIR/results.md, chart.dat, chart.gp and (with gnuplot) chart.png; prints results.md.
"""

import collections
import os
import statistics
import subprocess
import sys

WORKLOADS = [
    ("R1", "R1 put + get + task_done, 1 producer + 1 consumer process"),
    ("R2", "R2 put_many / get_many of 100, 1 + 1 processes"),
    ("R3", "R3 as R1, 4 producer + 4 consumer processes"),
]
CONFIGS = [("c1_P1", "-c 1 -P 1"), ("c50_P1", "-c 50 -P 1"), ("c1_P100", "-c 1 -P 100")]
COMMANDS = [
    ("RPUSH", "RPUSH (a list push)"),
    ("LPOP", "LPOP (a list pop)"),
    ("FCALL_aq1_put", "FCALL aq1_put (our put, one item)"),
    ("FCALL_aq1_get", "FCALL aq1_get (our get, one item)"),
]


def load(path):
    samples = collections.defaultdict(list)
    by_round = collections.defaultdict(dict)  # (impl, metric) -> {round: value}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 5:
                samples[(parts[1], parts[2])].append(float(parts[3]))
                by_round[(parts[1], parts[2])][parts[0]] = float(parts[3])
    return ({k: statistics.median(v) for k, v in samples.items()}, {k: len(v) for k, v in samples.items()},
            by_round)


def round_ratio(by_round, metric):
    """The median over the rounds of ours / redis-py within each round (the two ran back to back)."""
    ours, py = by_round.get(("ours", metric), {}), by_round.get(("py", metric), {})
    ratios = [ours[r] / py[r] for r in ours if r in py and py[r]]
    return (statistics.median(ratios), min(ratios), max(ratios)) if ratios else None


def rate(v):
    if v is None:
        return "—"
    if v >= 1e6:
        return f"{v / 1e6:.2f}M/s"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k/s"
    return f"{v:.0f}/s"


def us(v):
    return "—" if v is None else f"{v / 1000:.1f}"


def cycle(a, b):
    """Items per second when each item costs one command of rate a and one of rate b."""
    if not a or not b:
        return None
    return 1 / (1 / a + 1 / b)


def main(raw, checks_path, meta, out_dir):
    med, counts, by_round = load(raw)
    lines = []
    if os.path.exists(meta):
        lines += [l.rstrip("\n") for l in open(meta)]
        lines.append("")
    lines += [
        "| workload | ours | redis-py | ours / redis-py | client CPU µs/item, ours | redis-py | "
        "server CPU µs/item, ours | redis-py |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w, label in WORKLOADS:
        o, p = med.get(("ours", w)), med.get(("py", w))
        r = round_ratio(by_round, w)
        ratio = f"{r[0]:.1f}× ({r[1]:.1f}–{r[2]:.1f})" if r else "—"
        lines.append(f"| {label} | {rate(o)} | {rate(p)} | {ratio} | {us(med.get(('ours', w + '_cpu')))} | "
                     f"{us(med.get(('py', w + '_cpu')))} | {us(med.get(('ours', w + '_server')))} | "
                     f"{us(med.get(('py', w + '_server')))} |")
    lines.append("")
    lines.append("ours / redis-py: the median of the ratios within each round (min–max over the rounds). "
                 "Items per second: items / (last client end − first client start), connect excluded. "
                 "Client CPU: user + system time of every client process's work / items (4 + 4 processes "
                 "in R3). Server CPU: redis-server's user + system time over the sample / items.")
    lines.append("")
    lines.append("The physical limit, redis-benchmark on the same server (requests per second; an item "
                 "cycle is one push and one pop: 1 / (1/push + 1/pop)):")
    lines.append("")
    lines.append("| redis-benchmark | " + " | ".join(t for _, t in CONFIGS) + " |")
    lines.append("|---|" + "---:|" * len(CONFIGS))
    for cmd, title in COMMANDS:
        lines.append(f"| {title} | " + " | ".join(rate(med.get(("redis-benchmark", f"{cmd}_{c}"))) for c, _ in CONFIGS) + " |")
    lists = {c: cycle(med.get(("redis-benchmark", f"RPUSH_{c}")), med.get(("redis-benchmark", f"LPOP_{c}"))) for c, _ in CONFIGS}
    ours_fn = {c: cycle(med.get(("redis-benchmark", f"FCALL_aq1_put_{c}")), med.get(("redis-benchmark", f"FCALL_aq1_get_{c}")))
               for c, _ in CONFIGS}
    lines.append("| item cycle, RPUSH + LPOP | " + " | ".join(rate(lists[c]) for c, _ in CONFIGS) + " |")
    lines.append("| item cycle, aq1_put + aq1_get (no ack) | " + " | ".join(rate(ours_fn[c]) for c, _ in CONFIGS) + " |")
    lines.append("")

    lines.append("| goal | measured | verdict |")
    lines.append("|---|---|---|")
    r = round_ratio(by_round, "R1")
    if r:
        lines.append(f"| R1 ≥ 5× redis-py | {r[0]:.1f}× (rounds: {r[1]:.1f}–{r[2]:.1f}) | {'met' if r[0] >= 5 else 'missed'} |")
    c = (med.get(("py", "R1_cpu")), med.get(("ours", "R1_cpu")))
    if c[0] and c[1]:
        lines.append(f"| (for reference) R1 client CPU per item, redis-py / ours | {c[0] / c[1]:.1f}× | — |")
    else:
        lines.append("| R1 ≥ 5× redis-py | not measured | — |")
    o, limit = med.get(("ours", "R2")), lists.get("c1_P100")
    if o and limit:
        lines.append(f"| R2 ≥ 50 % of redis-benchmark's pipelined rate (RPUSH + LPOP cycle, -P 100) | "
                     f"{100 * o / limit:.0f} % ({rate(o)} of {rate(limit)}) | {'met' if o / limit >= 0.5 else 'missed'} |")
    else:
        lines.append("| R2 ≥ 50 % of redis-benchmark's pipelined rate | not measured | — |")
    fn = ours_fn.get("c1_P100")
    if o and fn:
        lines.append(f"| (for reference) R2 / our put + get functions pipelined (-P 100, one item per call) | "
                     f"{100 * o / fn:.0f} % | — |")
    lines.append("")
    lines.append("Medians of the rounds (samples per cell: " + ", ".join(sorted({str(n) for n in counts.values()})) + ").")

    bad = []
    if os.path.exists(checks_path):
        for line in open(checks_path):
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3 and parts[2] != "sums-agree":
                bad.append(f"{parts[0]} {parts[1]}: {parts[2]}")
    lines.append("")
    if bad:
        lines.append("**Check failures (the items got differ from the items put):**")
        lines += [f"- {b}" for b in bad]
    else:
        lines.append("In every sample the sum of the items the consumers got equals the sum of the items put.")

    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "chart.dat"), "w") as f:
        f.write('workload\t"asyncio::redis (ours)"\t"redis-py (CPython)"\t"RPUSH+LPOP cycle, redis-benchmark"\n')
        for w, _ in WORKLOADS:
            limit = lists.get("c1_P100" if w == "R2" else "c1_P1")
            vals = [med.get(("ours", w)), med.get(("py", w)), limit]
            f.write(w + "\t" + "\t".join("NaN" if v is None else f"{v:.1f}" for v in vals) + "\n")
    with open(os.path.join(out_dir, "chart.gp"), "w") as f:
        f.write("""set terminal pngcairo noenhanced size 1100,600 font ",11"
set output 'chart.png'
set title "Redis queue: items per second (log scale; higher is better)\\nlimit: redis-benchmark -c 1, -P 1 (R1, R3) or -P 100 (R2)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y 10
set ylabel "items per second"
set grid ytics
set key outside right top
plot 'chart.dat' using 2:xtic(1) title columnheader(2), '' using 3 title columnheader(3), '' using 4 title columnheader(4)
""")
    try:
        subprocess.run(["gnuplot", "chart.gp"], cwd=out_dir, check=True)
        lines.append("")
        lines.append("![items per second](chart.png)")
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"gnuplot failed: {e}", file=sys.stderr)
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))

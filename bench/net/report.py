"""bench/net/report.py - the report of the networking family (E1-E4).

Usage: report.py RAW.tsv LOADS.tsv META.md OUTDIR
RAW.tsv: round, server, phase, metric, value, unit (written by bench/net/run).
Writes OUTDIR/results.md (the table, the machine, the goals and their verdicts), chart.dat,
chart.gp and chart.png (gnuplot, when it is there), and prints results.md.
"""
import collections
import os
import statistics
import subprocess
import sys

SERVERS = [
    ("asyncio_streams", "asyncio (ours), streams"),
    ("asyncio_protocol", "asyncio (ours), Protocol"),
    ("floor", "floor (bare epoll)"),
    ("boost", "Boost.Asio"),
    ("tokio", "Tokio"),
    ("go", "Go"),
    ("uvloop_streams", "uvloop, streams"),
    ("uvloop_protocol", "uvloop, Protocol"),
    ("py313_streams", "CPython 3.13, streams"),
    ("py313_protocol", "CPython 3.13, Protocol"),
]
NAMES = dict(SERVERS)


def main():
    raw, loads, meta, out = sys.argv[1:5]
    data = collections.defaultdict(dict)  # (phase, metric) -> {(round, server): value}
    for line in open(raw):
        f = line.rstrip("\n").split("\t")
        if len(f) != 6:
            continue
        r, server, phase, metric, value, _unit = f
        data[(phase, metric)][(int(r), server)] = float(value)
    load_lines = [l.rstrip("\n").split("\t") for l in open(loads) if l.strip()]
    present = [s for s, _ in SERVERS if any(k[1] == s for d in data.values() for k in d)]

    def median(phase, metric, server):
        vals = [v for (r, s), v in data[(phase, metric)].items() if s == server]
        return statistics.median(vals) if vals else None

    def ratio(phase, metric, server, base):
        """Median over the rounds of value(server) / value(base) within the round."""
        d = data[(phase, metric)]
        rs = [d[(r, server)] / d[(r, base)] for (r, s) in d if s == server and (r, base) in d and d[(r, base)] > 0]
        return statistics.median(rs) if rs else None

    def fmt(v, digits=0, suffix=""):
        if v is None:
            return "–"
        if digits == 0:
            return f"{v:,.0f}{suffix}"
        return f"{v:,.{digits}f}{suffix}"

    lines = []
    lines.append("# Networking benchmarks E1–E4\n")
    lines.append(open(meta).read().rstrip("\n"))
    lines.append("- Load average (1, 5, 15 min) at the start / end of each round: " + "; ".join(
        f"r{l[0]} {l[1]} {l[2]}" for l in load_lines) + ".")
    lines.append("")
    lines.append("Medians over the rounds; ratios are the median of the per-round ratios to the floor"
                 " (rt/s and MB/s: higher is better; CPU per round trip: lower is better).\n")
    lines.append("| server | E1 rt/s | E1 CPU µs/rt | E1 rt/s ÷ floor | E1 CPU ÷ floor | E2 rt/s | E2 CPU µs/rt"
                 " | E2 rt/s ÷ floor | E2 CPU ÷ floor | E3 MB/s | E3 ÷ floor | E3 CPU ms/GB | E4 bytes/conn |")
    lines.append("|---|" + "---:|" * 12)
    for s in present:
        row = [NAMES[s]]
        for ph in ("E1", "E2"):
            row += [fmt(median(ph, "rt_per_s", s)), fmt(median(ph, "cpu_us_per_rt", s), 1),
                    fmt(ratio(ph, "rt_per_s", s, "floor"), 2), fmt(ratio(ph, "cpu_us_per_rt", s, "floor"), 2)]
        cpu_mb = median("E3", "cpu_us_per_mb", s)
        row += [fmt(median("E3", "mb_per_s", s)), fmt(ratio("E3", "mb_per_s", s, "floor"), 2),
                fmt(cpu_mb, 0) if cpu_mb is None else fmt(cpu_mb, 0), fmt(median("E4", "bytes_per_conn", s))]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("E3 CPU is the server's CPU time per 10^6 bytes echoed, in µs (= ms per GB). E4 is the growth of"
                 " the server's VmRSS from before the first connection to after the last one has done its 1-byte"
                 " round trip, divided by the number of connections (a fresh server process).")
    lines.append("")

    # Goals.
    goals = []

    def verdict(ok):
        return "**met**" if ok else "**missed**"

    if "asyncio_streams" in present:
        for peer in ("boost", "tokio", "go", "uvloop_protocol"):
            if peer not in present:
                continue
            for ph in ("E1", "E2"):
                rt = ratio(ph, "rt_per_s", "asyncio_streams", peer)
                cpu = ratio(ph, "cpu_us_per_rt", "asyncio_streams", peer)
                if rt is None:
                    continue
                goals.append(f"- ours (streams) at or ahead of {NAMES[peer]} on {ph} (round trips/s and server CPU per round trip): {verdict(rt >= 1.0 and cpu <= 1.0)} — "
                             f"round trips/s {rt:.2f}× theirs (server CPU per round trip {cpu:.2f}× theirs).")
    if "asyncio_protocol" in present and "floor" in present:
        for ph in ("E1", "E2"):
            rt = ratio(ph, "rt_per_s", "asyncio_protocol", "floor")
            cpu = ratio(ph, "cpu_us_per_rt", "asyncio_protocol", "floor")
            if rt is None:
                continue
            ok = rt >= 1 / 1.15 and cpu <= 1.15
            goals.append(f"- ours (Protocol) within 1.15× of the floor on {ph}: {verdict(ok)} — round trips/s "
                         f"{rt:.2f}× the floor's (floor ÷ ours = {1 / rt:.2f}), server CPU per round trip {cpu:.2f}× the floor's.")
    for s in ("asyncio_streams", "asyncio_protocol"):
        if s in present and "floor" in present:
            e3 = ratio("E3", "mb_per_s", s, "floor")
            if e3 is not None:
                goals.append(f"- {NAMES[s]} ≥ 90 % of the floor on E3: {verdict(e3 >= 0.9)} — {100 * e3:.0f} % "
                             f"({fmt(median('E3', 'mb_per_s', s))} against {fmt(median('E3', 'mb_per_s', 'floor'))} MB/s).")
    for s in ("asyncio_streams", "asyncio_protocol"):
        ours, go = median("E4", "bytes_per_conn", s), median("E4", "bytes_per_conn", "go")
        if ours is not None and go is not None:
            goals.append(f"- {NAMES[s]}: E4 ≤ Go's: {verdict(ours <= go)} — {ours:,.0f} against {go:,.0f} bytes per idle connection.")
    if goals:
        lines.append("## Goals\n")
        lines += goals
        lines.append("")

    text = "\n".join(lines)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    print(text)

    # Chart: ratio to the floor of E1, E2 (rt/s) and E3 (MB/s), per server.
    dat = os.path.join(out, "chart.dat")
    with open(dat, "w") as f:
        f.write("# server E1 E2 E3\n")
        for s in present:
            vals = [ratio("E1", "rt_per_s", s, "floor"), ratio("E2", "rt_per_s", s, "floor"), ratio("E3", "mb_per_s", s, "floor")]
            f.write('"' + NAMES[s] + '" ' + " ".join("0" if v is None else f"{v:.4f}" for v in vals) + "\n")
    gp = os.path.join(out, "chart.gp")
    with open(gp, "w") as f:
        f.write(f"""set terminal pngcairo size 1200,600 noenhanced font ',10'
set output 'chart.png'
set title 'Echo servers on loopback: throughput relative to a bare epoll loop (median of per-round ratios; 1 = the floor)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set xtics rotate by -30 scale 0
set key top right
set ylabel 'throughput / floor'
plot 'chart.dat' using 2:xtic(1) title 'E1 1 conn rt/s', '' using 3 title 'E2 100 conns rt/s', '' using 4 title 'E3 1 GiB stream MB/s', 1 notitle lc rgb 'black' dt 2
""")
    try:
        subprocess.run(["gnuplot", "chart.gp"], check=True, cwd=out)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"(no chart: {e})", file=sys.stderr)


if __name__ == "__main__":
    main()

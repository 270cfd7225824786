#!/usr/bin/env python3
"""The main tables of docs/PERFORMANCE.md as pictures (dev-time; needs matplotlib).

    python3 tools/bench/plot_performance.py [--doc docs/PERFORMANCE.md] [--out docs/plots]
    python3 tools/bench/plot_performance.py --check      # parse and print only (no matplotlib)

Reads the recorded numbers, never measures: "Whole models against the peers" becomes
peers.png (each engine's median time relative to Tessera's, per model; above 1 Tessera is
faster) and "Kernels at the models' shapes" becomes kernels.png (% of the FMA peak measured in
the same run, median and best). Each picture's caption names the section it came from, so a
plot is never separated from its command, commit and machine.
"""
import argparse
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PEERS = "### Whole models against the peers"
KERNELS = "### Kernels at the models' shapes"


def table_after(lines, heading):
    """Header and rows of the first Markdown table after `heading`."""
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == heading)
    except StopIteration:
        raise SystemExit(f"PERFORMANCE.md has no section '{heading}'")
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    if len(rows) < 3:
        raise SystemExit(f"no table under '{heading}'")
    header, body = rows[0], [r for r in rows[2:]]
    for r in body:
        if len(r) != len(header):
            raise SystemExit(f"'{heading}': row {r} has {len(r)} cells, header {len(header)}")
    return header, body


def median_of(cell):
    """'125 / 108 (1.34)' -> 125.0 (the median; min and ratio follow)."""
    m = re.match(r"\s*([0-9.]+)\s*/\s*([0-9.]+)", cell)
    if not m:
        raise SystemExit(f"cannot read a 'median / min' cell: '{cell}'")
    return float(m.group(1))


def read(doc):
    lines = open(doc, encoding="utf-8").read().splitlines()
    header, body = table_after(lines, PEERS)
    engines = header[2:]
    peers = {row[0]: {e: median_of(c) for e, c in zip(engines, row[2:])} for row in body}
    header, body = table_after(lines, KERNELS)
    # | shape | GFLOP/s median | best | % of peak median | best |
    if len(header) != 5 or header[3] != "% of peak median":
        raise SystemExit(f"'{KERNELS}': unexpected columns {header}")
    kernels = [(row[0], float(row[3]), float(row[4])) for row in body]
    return engines, peers, kernels


def plot(engines, peers, kernels, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out, exist_ok=True)
    models = list(peers)
    others = [e for e in engines if e != "Tessera"]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    height = 0.8 / len(others)
    for k, engine in enumerate(others):
        ratios = [peers[m][engine] / peers[m]["Tessera"] for m in models]
        ys = [i + (k - (len(others) - 1) / 2) * height for i in range(len(models))]
        ax.barh(ys, ratios, height=height, label=engine)
        for y, r in zip(ys, ratios):
            ax.text(r * 1.03, y, f"{r:.2f}", va="center", fontsize=7)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xscale("log")
    ticks = [t for t in (0.25, 0.5, 1, 2, 4, 8, 16)
             if min(min(v[e] / v["Tessera"] for e in others) for v in peers.values()) / 2 <= t
             <= max(max(v[e] / v["Tessera"] for e in others) for v in peers.values()) * 2]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_yticks(range(len(models)), models)
    ax.invert_yaxis()
    ax.set_xlabel("engine median time / Tessera median time (log; > 1: Tessera faster)")
    ax.set_title("CPU, 2 threads, fp32: whole models against the peers", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.text(0.01, 0.01, f"docs/PERFORMANCE.md, '{PEERS[4:]}'", fontsize=7, color="gray")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(os.path.join(out, "peers.png"), dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4))
    names = [k[0] for k in kernels]
    ax.barh(range(len(names)), [k[2] for k in kernels], color="#c8d8ea", label="best")
    ax.barh(range(len(names)), [k[1] for k in kernels], height=0.5, color="#3d6fa8",
            label="median")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel("% of the fp32 FMA peak measured in the same run")
    ax.set_title("One dispatch at the models' shapes", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.text(0.01, 0.01, f"docs/PERFORMANCE.md, '{KERNELS[4:]}'", fontsize=7, color="gray")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(os.path.join(out, "kernels.png"), dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "plots"))
    parser.add_argument("--check", action="store_true",
                        help="parse the tables and print what would be plotted")
    args = parser.parse_args()
    engines, peers, kernels = read(args.doc)
    if "Tessera" not in engines:
        raise SystemExit("the peers table has no Tessera column")
    if args.check:
        for model, times in peers.items():
            print(model + ": " + ", ".join(f"{e} {t:g} ms" for e, t in times.items()))
        for name, median, best in kernels:
            print(f"{name}: {median:g} % median, {best:g} % best")
        return 0
    plot(engines, peers, kernels, args.out)
    print(f"wrote {args.out}/peers.png and {args.out}/kernels.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Is a failing genuine comparison an alignment failure or an extraction failure?

For every genuine pair that scores below its set's EER threshold and whose ridge-flow agreement under
the matcher's alignment is below 0.8 (a sign of misalignment), search every rigid motion exhaustively
(rotations −60…60° in 3° steps; per rotation, the densest translation of all direction-compatible
minutia pairs on an 8 px grid) and count the minutiae it pairs one-to-one (10 px, 20°). If that
count is not clearly above what the matcher paired, no better alignment exists: the two impressions'
minutiae do not correspond (wet, dry or creased prints), which the extractor has to fix.

Usage (numpy required; minutiae come from `ridgegate extract --format xyt`):

    cargo run --release -- eval $(for d in ../shared/fingerprints/*; do echo --db $d; done) --evidence ev.tsv
    python3 scripts/diagnose_alignment.py ev.tsv [--ridgegate target/release/ridgegate]

Prints one row per such pair and how many gain more than 5 pairs. Developer diagnostic; not run in CI.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

import numpy as np

FLOW_MISALIGNED = 0.8
PAIR_TOLERANCE_PX = 10.0
ANGLE_TOLERANCE = np.deg2rad(20.0)
BIN_PX = 8
CLEAR_GAIN = 5


def eer_threshold(genuine, impostor):
    """Score at which FMR and FNMR cross (the first threshold where FNMR >= FMR)."""
    g, i = np.sort(genuine), np.sort(impostor)
    for t in np.unique(np.concatenate([g, i])):
        fnmr = np.searchsorted(g, t, "left") / len(g)
        fmr = (len(i) - np.searchsorted(i, t, "left")) / len(i)
        if fnmr >= fmr:
            return t
    return g[-1]


def minutiae(ridgegate, image, dpi, cache, workdir):
    """(x, y, direction) arrays of an image's minutiae, at 500 dpi, via `ridgegate extract --format xyt`."""
    if image not in cache:
        out = os.path.join(workdir, str(len(cache)))
        os.makedirs(out)
        subprocess.run([ridgegate, "extract", image, "--dpi", str(dpi), "--format", "xyt", "--out", out],
                       check=True, capture_output=True)
        (name,) = os.listdir(out)
        a = np.loadtxt(os.path.join(out, name), ndmin=2)
        scale = 500.0 / dpi
        cache[image] = (a[:, 0] * scale, a[:, 1] * scale, np.deg2rad(a[:, 2]))
    return cache[image]


def best_rigid_pairing(m1, m2):
    """Most minutiae paired one-to-one by any rigid motion (exhaustive over rotations)."""
    (x1, y1, t1), (x2, y2, t2) = m1, m2
    best = 0
    for degrees in range(-60, 61, 3):
        r = np.deg2rad(degrees)
        c, s = np.cos(r), np.sin(r)
        x, y, t = c * x1 - s * y1, s * x1 + c * y1, t1 + r
        compatible = np.abs((t[:, None] - t2[None, :] + np.pi) % (2 * np.pi) - np.pi) < ANGLE_TOLERANCE
        dx = (x2[None, :] - x[:, None])[compatible]
        dy = (y2[None, :] - y[:, None])[compatible]
        if len(dx) == 0:
            continue
        edges = np.arange(-600, 601, BIN_PX)
        h, xe, ye = np.histogram2d(dx, dy, bins=[edges, edges])
        h = sum(np.roll(np.roll(h, i, 0), j, 1) for i in (-1, 0, 1) for j in (-1, 0, 1))
        i, j = np.unravel_index(np.argmax(h), h.shape)
        tx, ty = xe[i] + BIN_PX / 2, ye[j] + BIN_PX / 2
        d = np.hypot(x[:, None] + tx - x2[None, :], y[:, None] + ty - y2[None, :])
        close = (d < PAIR_TOLERANCE_PX) & compatible
        used1, used2, n = set(), set(), 0
        idx = np.argwhere(close)
        for k in np.argsort(d[close]):
            a, b = idx[k]
            if a not in used1 and b not in used2:
                used1.add(a)
                used2.add(b)
                n += 1
        best = max(best, n)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("evidence", help="file written by `ridgegate eval --evidence`")
    ap.add_argument("--ridgegate", default="target/release/ridgegate")
    ap.add_argument("--dpi", type=int, default=None, help="default: 569 for fvc2002_db2*, else 500")
    args = ap.parse_args()
    rows = defaultdict(list)
    with open(args.evidence) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            rows[r["set"]].append(r)
    cache, gained, total, failing = {}, 0, 0, 0
    print("set\ta\tb\tmatched\texhaustive\tflow_agreement")
    with tempfile.TemporaryDirectory() as workdir:
        for name, rs in sorted(rows.items()):
            dpi = args.dpi or (569 if name.lower().startswith("fvc2002_db2") else 500)
            genuine = np.array([float(r["score"]) for r in rs if r["kind"] == "genuine"])
            impostor = np.array([float(r["score"]) for r in rs if r["kind"] == "impostor"])
            threshold = eer_threshold(genuine, impostor)
            for r in rs:
                if r["kind"] != "genuine" or float(r["score"]) >= threshold:
                    continue
                failing += 1
                if float(r["flow_agreement"]) >= FLOW_MISALIGNED:
                    continue
                n = best_rigid_pairing(minutiae(args.ridgegate, r["a"], dpi, cache, workdir),
                                       minutiae(args.ridgegate, r["b"], dpi, cache, workdir))
                total += 1
                gained += n > int(r["matched"]) + CLEAR_GAIN
                print(f"{name}\t{os.path.basename(r['a'])}\t{os.path.basename(r['b'])}\t{r['matched']}\t{n}\t"
                      f"{float(r['flow_agreement']):.2f}")
    print(f"{failing} genuine pairs below their set's EER threshold; {total} of them with flow agreement < "
          f"{FLOW_MISALIGNED}; {gained} of those pair more than {CLEAR_GAIN} more minutiae under the best rigid "
          f"motion than the matcher did", file=sys.stderr)


if __name__ == "__main__":
    main()

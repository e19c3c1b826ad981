#!/usr/bin/env python3
"""Choose the numbers of the shipped alarm rules on the tuning recordings only.

The rules' shape is fixed below (limits and tiers from the clinical evidence in
docs/configuration.md); what is tuned is how long a shallow crossing may last
before it alarms: each rule's `area` and the SpO2 rule's `for`. Every
combination of the grid is graded by vitals-evaluate on the recordings that
tests/data/evaluation-split.txt puts in `tune`, and the winner is, in order:

  1. one that meets every target (no missed event, median delay <= 8 s,
     longest <= 20 s, no duplicate, at most 5 % of alarms without an event);
  2. the fewest alarms without an event;
  3. the shortest mean delay, then the shortest longest delay;
  4. the fewest alarms per hour.

The held-back recordings are never read here. The winner goes into
config/vitalsd.yaml by hand; docs/alarms.md shows both sets' figures.

  scripts/tune-alarms.py [--build build] [--data DIR]
"""
import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile

TEMPLATE = """publish: tcp://127.0.0.1:5556
monitors:
  - {{bed: chair-1, port: /dev/null, protocol: masimo-ascii}}
rules:
  - name: spo2-low
    parameter: spo2
    below: 90
    area: {spo2_area}
    for: {spo2_for}s
    clear_at: 92
    priority: medium
    tiers:
      - {{below: 85, for: 5s, clear_at: 87, priority: high}}
      - {{below: 80, clear_at: 82}}
  - name: pr-high
    parameter: pr
    above: 120
    area: {prh_area}
    for: 20s
    clear_at: 115
    tiers:
      - {{above: 150, clear_at: 140, priority: high}}
  - name: pr-low
    parameter: pr
    below: 50
    area: {prl_area}
    for: 20s
    clear_at: 55
    tiers:
      - {{below: 40, clear_at: 45, priority: high}}
"""

GRID = {
    "spo2_area": [10, 15, 20, 25, 30, 40, 50],
    "spo2_for": [15, 20],
    "prh_area": [10, 15, 20, 30, 50],
    "prl_area": [10, 20, 30, 50],
}

TARGETS = ["--max-missed", "0", "--max-median-delay", "8s", "--max-delay", "20s",
           "--max-duplicates", "0", "--max-false", "5%"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--data", default=os.environ.get("VITALS_DATA") or
                    os.path.join(root, "..", "shared", "data"))
    args = ap.parse_args()
    split = os.path.join(root, "tests", "data", "evaluation-split.txt")
    tune = []
    with open(split, encoding="utf-8") as f:
        for line in f:
            bits = line.split()
            if len(bits) == 2 and bits[0] == "tune":
                tune.append(os.path.join(args.data, "recordings", bits[1]))
    missing = [p for p in tune if not os.path.exists(p)]
    if missing:
        sys.exit(f"tune-alarms: {missing[0]} is not there; set VITALS_DATA or --data")
    evaluate = os.path.join(args.build, "vitals-evaluate")

    results = []
    keys = list(GRID)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "rules.yaml")
        for values in itertools.product(*(GRID[k] for k in keys)):
            point = dict(zip(keys, values))
            with open(cfg, "w", encoding="utf-8") as f:
                f.write(TEMPLATE.format(**point))
            run = subprocess.run([evaluate, "-c", cfg, "--json", "--list"] + TARGETS + tune,
                                 capture_output=True, text=True)
            if run.returncode not in (0, 1):
                sys.exit(f"tune-alarms: vitals-evaluate failed ({run.returncode}): {run.stderr}")
            out = json.loads(run.stdout)
            delays = [e["delay_s"] for e in out["events"] if e["delay_s"] is not None]
            a = out["all"]
            mean = sum(delays) / len(delays) if delays else float("inf")
            results.append(((not out["passed"], a["false"], mean, a["delay_max_s"] or 0,
                             a["alarms_per_hour"]), point, a))
    results.sort(key=lambda r: r[0])
    print(f"{len(results)} combinations on {len(tune)} tuning recordings; the best five:")
    for key, point, a in results[:5]:
        print(f"  {'meets' if not key[0] else 'MISSES'} targets  false {a['false']}  "
              f"mean delay {key[2]:.1f} s  median {a['delay_median_s']} s  max {key[3]} s  "
              f"{a['alarms_per_hour']:.2f}/h  " +
              " ".join(f"{k}={v}" for k, v in point.items()))
    best = results[0]
    if best[0][0]:
        sys.exit("tune-alarms: no combination meets the targets on the tuning recordings")
    print("chosen: " + " ".join(f"{k}={v}" for k, v in best[1].items()))


if __name__ == "__main__":
    main()

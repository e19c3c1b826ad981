#!/usr/bin/env python3
# Writes infusion.csv: a made-up patient (no real person's data) for the
# recording the report tests read. Six minutes at one row a second, an
# infusion compressed ten-fold as the demo compresses it: baseline, then a
# rising pulse with a desaturation and a tachycardia, then recovery.
# Deterministic: the noise comes from a seeded generator.
import random

rng = random.Random(20261121)


def ramp(t, t0, t1, a, b):
    if t <= t0:
        return a
    if t >= t1:
        return b
    return a + (b - a) * (t - t0) / (t1 - t0)


rows = ["t,spo2,pr,pi"]
for t in range(360):
    spo2 = 97.6 + rng.uniform(-0.9, 0.9)
    if 120 <= t < 165:  # desaturation: down, a plateau, back up
        spo2 = (ramp(t, 120, 135, 97, 87) if t < 135 else
                87 + rng.uniform(-1.2, 0.8) if t < 150 else ramp(t, 150, 165, 87, 96.5))
    pr = ramp(t, 60, 150, 72, 96) if t < 240 else ramp(t, 240, 285, 96, 74)
    if 185 <= t < 215:  # tachycardia
        pr = 114 + rng.uniform(-2.5, 3)
    pr += rng.uniform(-2, 2)
    pi = ramp(t, 60, 200, 3.4, 2.5) if t < 240 else ramp(t, 240, 300, 2.5, 3.3)
    pi += rng.uniform(-0.15, 0.15)
    rows.append("%d,%d,%d,%.2f" % (t, round(spo2), round(pr), pi))
with open("infusion.csv", "w") as f:
    f.write("\n".join(rows) + "\n")

#!/usr/bin/env python3
"""Runs the queue model's calibration (tests/queue_test.cc) over more seeds.

For each configuration of the test (the same run lengths, warmup and
settle), it runs GROUPS groups of 4 seeds, pools each group as the test
pools seeds 1..4, and prints a markdown table: theory, the pooled
measurement of seeds 1..4 (what the test sees), the worst error over all
groups, the standard error of a 4-seed pool estimated from the spread of
all single seeds, and the error of all seeds pooled (a bias check). docs/queue.md quotes its output.

Usage: scripts/queue_calibration.py [--groups N] [--detsim build/detsim]
"""
import argparse
import json
import math
import subprocess

SERVICE_RATE = 1000.0
SEEDS_PER_POOL = 4
# (service, servers, rho, jobs over the 4 seeds): tests/queue_test.cc's table; keep them in step.
CONFIGS = [
    ("exponential", 1, 0.3, 600_000), ("exponential", 1, 0.5, 600_000),
    ("exponential", 1, 0.7, 1_500_000), ("exponential", 1, 0.9, 10_000_000),
    ("exponential", 4, 0.3, 6_000_000), ("exponential", 4, 0.5, 3_000_000),
    ("exponential", 4, 0.7, 2_500_000), ("exponential", 4, 0.9, 12_000_000),
    ("deterministic", 1, 0.3, 200_000), ("deterministic", 1, 0.5, 400_000),
    ("deterministic", 1, 0.7, 800_000), ("deterministic", 1, 0.9, 6_000_000),
    ("deterministic", 4, 0.3, 2_000_000), ("deterministic", 4, 0.5, 1_000_000),
    ("deterministic", 4, 0.7, 1_000_000), ("deterministic", 4, 0.9, 2_000_000),
]


def overrides(service, servers, rho, jobs):
    arrival_rate = rho * servers * SERVICE_RATE
    relaxation_s = 1 / (servers * SERVICE_RATE * (1 - math.sqrt(rho)) ** 2)
    warmup_s = max(1.0, 20 * relaxation_s)
    window_s = (jobs // SEEDS_PER_POOL) / arrival_rate
    return [f"arrival_rate={arrival_rate:g}", f"service_rate={SERVICE_RATE:g}", f"servers={servers}",
            f"service={service}", f"warmup={warmup_s:.6f}s", "settle=1s",
            f"duration={warmup_s + window_s + 1:.6f}s"]


def run(detsim, config, first, last):
    command = [detsim, "run", "queue", "--seeds", f"{first}..{last}", "--json", "--jobs", "1"]
    for assignment in overrides(*config):
        command += ["--set", assignment]
    lines = subprocess.run(command, capture_output=True, text=True, check=False).stdout.splitlines()
    rows = [json.loads(line) for line in lines if line.startswith('{"seed"')]
    assert all(row["verdict"] == "pass" for row in rows), [row["detail"] for row in rows]
    return rows


def pooled(rows, key):
    jobs = sum(row["jobs_measured"] for row in rows)
    return sum(row[key] * row["jobs_measured"] for row in rows) / jobs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--detsim", default="build/detsim")
    args = parser.parse_args()
    print("| service | c | rho | jobs | theory Wq ms | measured ms (seeds 1-4) | error | "
          f"worst of {args.groups} pools | SE of a pool | per-job variance | all {SEEDS_PER_POOL * args.groups} seeds | "
          "p99 theory ms | p99 error (1-4) | worst p99 | p99 SE of a pool |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for config in CONFIGS:
        service, servers, rho, jobs = config
        rows = run(args.detsim, config, 1, SEEDS_PER_POOL * args.groups)
        theory_key = "approx_wait_mean_s" if service == "deterministic" and servers > 1 else "theory_wait_mean_s"
        theory = rows[0][theory_key]
        pools = [rows[i:i + SEEDS_PER_POOL] for i in range(0, len(rows), SEEDS_PER_POOL)]
        errors = [pooled(pool, "wait_mean_s") / theory - 1 for pool in pools]
        means = [row["wait_mean_s"] for row in rows]
        average = sum(means) / len(means)
        single_sd = math.sqrt(sum((m - average) ** 2 for m in means) / (len(means) - 1))
        pool_se = single_sd / math.sqrt(SEEDS_PER_POOL) / theory
        # var(mean) n / Wq^2: the relative variance one job adds; a run of n
        # jobs has a relative standard error of sqrt(this / n).
        per_job = (single_sd / theory) ** 2 * sum(row["jobs_measured"] for row in rows) / len(rows)
        p99_theory = rows[0].get("theory_wait_p99_s")
        if p99_theory:
            p99_errors = [sum(row["wait_p99_s"] for row in pool) / len(pool) / p99_theory - 1 for pool in pools]
            p99s = [row["wait_p99_s"] for row in rows]
            p99_average = sum(p99s) / len(p99s)
            p99_sd = math.sqrt(sum((p - p99_average) ** 2 for p in p99s) / (len(p99s) - 1))
            p99 = (f"{p99_theory * 1e3:.4f} | {100 * p99_errors[0]:+.2f}% | {100 * max(p99_errors, key=abs):+.2f}% | "
                   f"{100 * p99_sd / math.sqrt(SEEDS_PER_POOL) / p99_theory:.2f}%")
        else:
            p99 = "- | - | - | -"
        label = "approx." if theory_key == "approx_wait_mean_s" else ""
        print(f"| {service} | {servers} | {rho} | {jobs:,} | {theory * 1e3:.5f} {label} | "
              f"{pooled(pools[0], 'wait_mean_s') * 1e3:.5f} | {100 * errors[0]:+.2f}% | "
              f"{100 * max(errors, key=abs):+.2f}% | {100 * pool_se:.2f}% | {per_job:.0f} | "
              f"{100 * (pooled(rows, 'wait_mean_s') / theory - 1):+.2f}% | {p99} |", flush=True)


if __name__ == "__main__":
    main()

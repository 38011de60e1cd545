#!/usr/bin/python3
"""Formats the runs recorded by compare.sh as a markdown table.

    table.py RUNS.tsv

Each line of RUNS.tsv: name, flags, exit code, GNU time output file
('%e %U %S %M'), the program's stdout file, the fakeollama output file (or
empty), and the sampled peak PSS of all the run's processes together in KB (0: not
sampled), and optionally the servers' setup (shown with the approach).
"""
import json
import sys

LABELS = {"salvo": "salvo", "asyncio_aiohttp": "guide: asyncio + aiohttp",
          "threadpool": "guide: ThreadPoolExecutor", "multiprocessing_pool": "guide: multiprocessing Pool",
          "sequential": "guide: sequential"}


def summary(path):
    """The salvo --json object or the scripts' RESULT object, if any."""
    with open(path) as f:
        for line in f:
            line = line.removeprefix("RESULT ").strip()
            if line.startswith("{"):
                return json.loads(line)
    return None


def server_stats(path):
    if not path:
        return None
    with open(path) as f:
        lines = f.read().splitlines()
    return json.loads(lines[1]) if len(lines) > 1 else None


def rows(tsv):
    with open(tsv) as f:
        for line in f:
            name, flags, rc, time_file, out_file, server_file, peak, *setup = line.rstrip("\n").split("\t")
            with open(time_file) as t:
                # GNU time puts "Command exited with non-zero status" first.
                wall, user, sys_, rss = t.read().split()[-4:]
            label = LABELS[name] + (f" — {setup[0]}" if setup and setup[0] else "")
            yield dict(name=name, label=label, flags=flags, rc=int(rc), wall=float(wall), cpu=float(user) + float(sys_),
                       rss_kb=int(rss), tree_kb=int(peak), res=summary(out_file), srv=server_stats(server_file))


def main():
    runs = list(rows(sys.argv[1]))
    for r in runs:
        res = r["res"] or {}
        r["embedded"], r["failed"], r["seconds"] = res.get("embedded", 0), res.get("failed", 0), res.get("seconds", 0)
        r["rate"] = r["embedded"] / r["seconds"] if r["seconds"] else 0
    base = next((r["rate"] for r in runs if r["name"] == "asyncio_aiohttp"), 0)

    head = ["approach", "flags", "embedded", "seconds", "emb/s", "emb/min", "vs asyncio", "server util",
            "CPU ms/emb", "peak RSS MB", "wall s"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" if i < 2 else "--:" for i in range(len(head))) + "|")
    for r in runs:
        if r["res"] is None:
            print(f"| {r['label']} | {r['flags'] or '(defaults)'} | error (exit {r['rc']}) |" + " |" * (len(head) - 3))
            continue
        emb = str(r["embedded"])
        if r["res"].get("cached"):  # repeated texts, embedded once
            emb += f" (+{r['res']['cached']} dup)"
        if r["failed"]:
            emb += f" ({r['failed']} failed)"
        util = f"{100 * r['srv']['utilization']:.0f}%" if r["srv"] else "—"
        cpu = f"{1000 * r['cpu'] / r['embedded']:.3f}" if r["embedded"] else "—"
        rss = f"{r['rss_kb'] / 1024:.0f}"
        if r["tree_kb"]:
            rss += f" ({r['tree_kb'] / 1024:.0f} all processes)"
        ratio = f"×{r['rate'] / base:.2f}" if base else "—"
        cells = [r["label"], r["flags"] or "(defaults)", emb, f"{r['seconds']:.2f}", f"{r['rate']:.1f}",
                 f"{60 * r['rate']:.0f}", ratio, util, cpu, rss, f"{r['wall']:.2f}"]
        print("| " + " | ".join(cells) + " |")
    print()
    print("emb/s: embeddings / the program's own seconds; (+N dup): records repeating an earlier text,"
          " stored without a request. server util: slot time busy / (slots × wall), measured by fakeollama."
          " CPU: user+sys of the client and its children. peak RSS: the largest process"
          " (all processes: sampled sum of PSS, which counts shared pages once).")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Medians and ratios from a bench raw TSV (see lib.sh for the row format).

    summarize.py RAW.tsv OUT.json TITLE [REFERENCE_TOOL]

Prints Markdown: one table of medians per tool and phase, one of ratios of the
reference tool (stackbackup) against every other tool, and extra figures.
Ratios: time and CPU = their / ours (> 1: we are faster / cheaper);
RSS, size and added bytes = ours / theirs (< 1: we use less).
"""
import json
import statistics
import sys


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt(v, digits=2):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def mb(v):
    return None if v is None else v / 1e6


def main():
    raw, out, title = sys.argv[1], sys.argv[2], sys.argv[3]
    ref = sys.argv[4] if len(sys.argv) > 4 else "stackbackup"
    runs, extras, tools, phases = {}, {}, [], []
    with open(raw) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if cols[0] == "m":
                _, tool, phase, rnd, wall, user, sys_, rss, before, after = cols
                size_after = None if after == "-" else int(after)
                added = None if before == "-" or after == "-" else int(after) - int(before)
                runs.setdefault((tool, phase), []).append({
                    "round": int(rnd), "wall_s": float(wall), "cpu_s": float(user) + float(sys_),
                    "user_s": float(user), "sys_s": float(sys_), "rss_kb": int(rss),
                    "size_bytes": size_after, "added_bytes": added})
            elif cols[0] == "x":
                _, tool, phase, rnd, key, value = cols
                extras.setdefault((tool, phase, key), []).append(float(value))
            else:
                continue
            if tool not in tools and tool != "all":
                tools.append(tool)
            if cols[0] == "m" and phase not in phases:
                phases.append(phase)

    input_bytes = {}
    for (tool, phase, key), vals in extras.items():
        if tool == "all" and key == "input_bytes":
            input_bytes[phase] = median(vals)

    summary = {}
    for (tool, phase), rs in runs.items():
        s = {k: median([r[k] for r in rs]) for k in ("wall_s", "cpu_s", "user_s", "sys_s", "rss_kb",
                                                    "size_bytes", "added_bytes")}
        s["rounds"] = len(rs)
        if phase in input_bytes and s["wall_s"]:
            s["throughput_mb_s"] = input_bytes[phase] / 1e6 / s["wall_s"]
        summary.setdefault(tool, {})[phase] = s

    ratios = {}
    for tool in tools:
        if tool == ref or ref not in summary:
            continue
        for phase in phases:
            ours, theirs = summary[ref].get(phase), summary.get(tool, {}).get(phase)
            if not ours or not theirs:
                continue
            ratios.setdefault(tool, {})[phase] = {
                "throughput": ratio(theirs["wall_s"], ours["wall_s"]),
                "cpu": ratio(theirs["cpu_s"], ours["cpu_s"]),
                "rss": ratio(ours["rss_kb"], theirs["rss_kb"]),
                "size": ratio(ours["size_bytes"], theirs["size_bytes"]),
                "added": ratio(ours["added_bytes"], theirs["added_bytes"]),
            }

    extra_summary = {}
    for (tool, phase, key), vals in extras.items():
        extra_summary.setdefault(tool, {}).setdefault(phase, {})[key] = median(vals)

    print(f"### {title}\n")
    print("| tool | phase | rounds | wall s | CPU s | MB/s | peak RSS MB | repo/result MB | added MB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for phase in phases:
        for tool in tools:
            s = summary.get(tool, {}).get(phase)
            if not s:
                continue
            print(f"| {tool} | {phase} | {s['rounds']} | {fmt(s['wall_s'])} | {fmt(s['cpu_s'])} | "
                  f"{fmt(s.get('throughput_mb_s'), 1)} | {fmt(s['rss_kb'] / 1024, 0)} | "
                  f"{fmt(mb(s['size_bytes']), 1)} | {fmt(mb(s['added_bytes']), 2)} |")
    if ratios:
        print(f"\nRatios of {ref} against each tool (time/CPU: theirs ÷ ours, > 1 = {ref} faster; "
              f"RSS/size/added: ours ÷ theirs, < 1 = {ref} smaller)\n")
        print("| vs | phase | throughput | CPU | peak RSS | repo/result size | added bytes |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for tool, per_phase in ratios.items():
            for phase, r in per_phase.items():
                print(f"| {tool} | {phase} | {fmt(r['throughput'])} | {fmt(r['cpu'])} | {fmt(r['rss'])} | "
                      f"{fmt(r['size'])} | {fmt(r['added'])} |")
    shown = {t: p for t, p in extra_summary.items() if t != "all"}
    if shown:
        print("\nOther figures (medians)\n")
        print("| tool | phase | figure | value |")
        print("|---|---|---|---:|")
        for tool, per_phase in shown.items():
            for phase, kv in per_phase.items():
                for key, value in kv.items():
                    print(f"| {tool} | {phase} | {key} | {fmt(value, 3) if value % 1 else int(value)} |")

    with open(out, "w") as f:
        json.dump({"title": title, "reference": ref, "medians": summary, "ratios": ratios,
                   "extras": extra_summary,
                   "runs": {f"{t}/{p}": rs for (t, p), rs in runs.items()}}, f, indent=2)
    print(f"\n(results JSON: {out})")


if __name__ == "__main__":
    main()

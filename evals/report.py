"""Aggregate stored per-example results into the paper's tables, markdown, JSON and plots."""

from collections import defaultdict
from pathlib import Path
from statistics import mean

from longwriter_v.evals.benchmarks import BUCKETS, bucket_name, bucket_of
from longwriter_v.evals.data import Example
from longwriter_v.evals.judge import quality_score
from longwriter_v.evals.metrics import LengthFormula, length_score
from longwriter_v.evals.paper import PAPER_FORMULA, TABLE_1, TABLE_1_BUCKETS
from longwriter_v.models.pricing import ledger


def example_row(example: Example, generation: dict | None, verdict: dict | None, formula) -> dict:
    """One example's line in the report: lengths, scores, statuses and errors."""
    row = {
        "id": example["id"],
        "key": example["key"],
        "required_words": example["required_words"],
        "bucket": bucket_of(example["required_words"]),
        "task": example["task"],
        "language": example["language"],
        "status": generation["status"] if generation else "missing",
        "words": None,
        "S_l": None,
        "S_q": None,
        "judge": verdict["status"] if verdict else None,
        "error": (generation or {}).get("error") or (verdict or {}).get("error"),
    }
    if row["status"] == "ok":
        row["words"] = generation["words"]
        if row["judge"] != "refused":  # a refusal drops the sample from S_l and S_q alike
            row["S_l"] = length_score(generation["words"], example["required_words"], formula)
    if row["judge"] == "ok":
        row["S_q"] = quality_score(verdict["scores"])
    return row


def _scores(rows: list[dict], judged: bool) -> dict:
    s_l = [r["S_l"] for r in rows if r["S_l"] is not None]
    s_q = [r["S_q"] for r in rows if r["S_q"] is not None]
    out = {"n": len(s_l), "S_l": mean(s_l) if s_l else None}
    if judged:
        out |= {"n_judged": len(s_q), "S_q": mean(s_q) if s_q else None}
        out["S"] = (out["S_l"] + out["S_q"]) / 2 if s_l and s_q else None
    return out


def _ruler(rows: list[dict]) -> list[dict]:
    by_length = defaultdict(list)
    for r in rows:
        if r["S_l"] is not None:
            by_length[r["required_words"]].append(r)
    return [
        {
            "required_words": length,
            "n": len(group),
            "mean_words": mean(r["words"] for r in group),
            "S_l": mean(r["S_l"] for r in group),
        }
        for length, group in sorted(by_length.items())
    ]


def summarize(
    meta: dict, examples: list[Example], results: dict, formula: LengthFormula, judged: bool
) -> dict:
    """Build the report from each example's stored generation and judgement."""
    rows = [
        example_row(e, results[e["key"]]["generation"], results[e["key"]]["judgement"], formula)
        for e in examples
    ]
    tasks = sorted({r["task"] for r in rows if r["task"] is not None})
    generations = [results[e["key"]]["generation"] or {} for e in examples]
    verdicts = [results[e["key"]]["judgement"] or {} for e in examples]
    return {
        **meta,
        "length_formula": formula,
        "counts": {
            "examples": len(rows),
            "generated": sum(r["status"] == "ok" for r in rows),
            "failed": sum(r["status"] == "error" for r in rows),
            "judged": sum(r["judge"] == "ok" for r in rows),
            "refused": sum(r["judge"] == "refused" for r in rows),
            "judge_failed": sum(r["judge"] == "error" for r in rows),
        },
        "overall": _scores(rows, judged),
        "buckets": {
            bucket_name(lo, hi): _scores(
                [r for r in rows if r["bucket"] == bucket_name(lo, hi)], judged
            )
            for lo, hi in BUCKETS
        },
        "tasks": {t: _scores([r for r in rows if r["task"] == t], judged) for t in tasks},
        "ruler": _ruler(rows),
        "usage": {
            "generation": ledger(
                [row for g in generations for row in g.get("usage", {}).get("rows", [])]
            ),
            "judge": ledger([row for v in verdicts for row in v.get("usage", {}).get("rows", [])]),
        },
        "examples": rows,
    }


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pair(scores: dict) -> str:
    return f"{_num(scores.get('S_l'))} / {_num(scores.get('S_q'))}"


def score_table(rows: list[tuple[str, dict, dict]]) -> list[str]:
    """Rows of (label, overall, buckets) as the paper's S | S_l | S_q table with buckets."""
    names = [bucket_name(lo, hi) for lo, hi in BUCKETS]
    lines = [
        "| model | S | S_l | S_q | " + " | ".join(f"{b} S_l / S_q" for b in names) + " |",
        "|---" * (4 + len(names)) + "|",
    ]
    for label, overall, buckets in rows:
        cells = [_num(overall.get(k)) for k in ("S", "S_l", "S_q")]
        cells += [_pair(buckets[b]) if b in buckets else "-" for b in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def ruler_table(report: dict) -> list[str]:
    lines = ["| required words | n | mean output words | mean S_l |", "|---|---|---|---|"]
    for r in report["ruler"]:
        lines.append(
            f"| {r['required_words']:,} | {r['n']} | {r['mean_words']:,.0f} | {_num(r['S_l'])} |"
        )
    return lines


def markdown(report: dict) -> str:
    """The report as markdown: settings, the score table, per task, per length, counts, cost."""
    counts, usage = report["counts"], report["usage"]
    lines = [
        f"# {report['benchmark']}: {report['label']}",
        "",
        f"- target: `{report['target']}`, method `{report['method']}`",
        f"- generation: temperature {report['temperature']}, top_p {report['top_p']}, "
        f"max new tokens {report['max_tokens']}",
        f"- judge: `{report['judge'] or 'none'}`",
        f"- length score formula: `{report['length_formula']}`",
        f"- examples {counts['examples']}: generated {counts['generated']}, failed "
        f"{counts['failed']}, judged {counts['judged']}, refused {counts['refused']}, "
        f"judge failed {counts['judge_failed']}",
        "",
    ]
    if report["judge"]:
        lines += score_table([(report["label"], report["overall"], report["buckets"])]) + [""]
        if report["tasks"]:
            lines += ["| task | n | S | S_l | S_q |", "|---|---|---|---|---|"]
            for task, s in report["tasks"].items():
                lines.append(
                    f"| {task} | {s['n']} | {_num(s['S'])} | {_num(s['S_l'])} | {_num(s['S_q'])} |"
                )
            lines.append("")
    else:
        lines += [f"Mean S_l: {_num(report['overall']['S_l'])} over {report['overall']['n']}", ""]
    if report["ruler"] and not report["judge"]:
        lines += ruler_table(report) + [""]
    gen, jud = usage["generation"], usage["judge"]
    lines.append(
        f"Usage: generation {gen['calls']} calls, {gen['input_tokens']:,} tokens in, "
        f"{gen['output_tokens']:,} out; judge {jud['calls']} calls. Cost: {_cost(gen, jud)}."
    )
    failed = [r for r in report["examples"] if r["error"]]
    if failed:
        lines += ["", "Failed (rerun the same command to retry them):"]
        lines += [f"- {r['id']}: {r['error']}" for r in failed]
    return "\n".join(lines) + "\n"


def _cost(*usages: dict) -> str:
    known = [u["cost_usd"] for u in usages if u["cost_usd"] is not None]
    return f"${sum(known):.4f}" if known else "unknown (no price for these models)"


def ruler_plot(reports: list[dict], path: Path) -> Path:
    """Log-log plot of output against required length, one series per report, with y = x."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5))
    lengths = [r["required_words"] for rep in reports for r in rep["examples"]]
    low, high = min(lengths), max(lengths)
    ax.plot([low, high], [low, high], "k--", linewidth=1, label="y = x")
    for rep in reports:
        points = rep["ruler"]
        ax.plot(
            [p["required_words"] for p in points],
            [max(p["mean_words"], 1) for p in points],
            marker="o",
            label=rep["label"],
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("required length (words)")
    ax.set_ylabel("output length (words, mean per required length)")
    ax.set_title(reports[0]["benchmark"])
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def compare(reports: list[dict], paper: bool = False) -> str:
    """Markdown that puts several runs (and, on request, the paper's rows) side by side."""
    benchmarks = {r["benchmark"] for r in reports}
    if len(benchmarks) != 1:
        raise ValueError(f"runs of different benchmarks cannot be compared: {sorted(benchmarks)}")
    name = benchmarks.pop()
    formulas = {r["length_formula"] for r in reports}
    lines = [f"# {name}: {len(reports)} runs", ""]
    if any(r["judge"] for r in reports):
        rows = [(r["label"], r["overall"], r["buckets"]) for r in reports]
        if paper and name == "mmlongbench-write":
            names = [bucket_name(lo, hi) for lo, hi in BUCKETS]
            for model, (s, s_l, s_q) in TABLE_1.items():
                buckets = {
                    b: {"S_l": bl, "S_q": bq}
                    for b, (bl, bq) in zip(names, TABLE_1_BUCKETS.get(model, ()), strict=False)
                }
                rows.append((f"{model} (paper)", {"S": s, "S_l": s_l, "S_q": s_q}, buckets))
            formulas.add(PAPER_FORMULA)
        lines += score_table(rows)
    else:
        lengths = sorted({p["required_words"] for r in reports for p in r["ruler"]})
        lines.append("| run | " + " | ".join(f"L={n:,} words / S_l" for n in lengths) + " |")
        lines.append("|---" * (1 + len(lengths)) + "|")
        for r in reports:
            by = {p["required_words"]: p for p in r["ruler"]}
            cells = [
                f"{by[n]['mean_words']:,.0f} / {_num(by[n]['S_l'])}" if n in by else "-"
                for n in lengths
            ]
            lines.append(f"| {r['label']} | " + " | ".join(cells) + " |")
    lines.append("")
    if len(formulas) > 1:
        lines.append(
            f"Warning: these rows use different length formulas ({', '.join(sorted(formulas))});"
            " their S_l are not comparable. The paper's rows come from the released code "
            "(`released`); rerun with --length-formula released to match."
        )
    else:
        lines.append(f"Length formula: `{formulas.pop()}`.")
    return "\n".join(lines) + "\n"

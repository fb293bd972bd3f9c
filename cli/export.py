"""`longwriter-v export sft|dpo`: finished writer runs to a TRL-ready dataset."""

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def add_export(sub) -> None:
    p = sub.add_parser("export", help="export finished runs as an SFT or DPO dataset for TRL")
    p.add_argument("kind", choices=["sft", "dpo"])
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", help="checkpoint database: a SQLite file or postgresql://...")
    source.add_argument("--states", type=Path, help="JSONL of final writer states")
    p.add_argument("--out", type=Path, required=True, help="folder to write the dataset to")
    p.add_argument("--format", choices=["disk", "parquet", "jsonl"], default="disk")
    p.add_argument("--layout", choices=["messages", "prompt-completion"], default="messages")
    p.add_argument("--pairs", choices=["segments", "ranked", "both"], default="segments")
    p.add_argument("--score", choices=["length", "judge", "both"], default="length")
    p.add_argument("--min-margin", type=float, default=5.0, help="ranked pairs: 0..100 points")
    p.add_argument("--judge-scores", type=Path, help="JSON {run id: 0..100 quality score}")
    p.add_argument("--max-length", type=int, help="drop rows longer than this many tokens")
    p.add_argument("--processor", help="checkpoint whose processor counts tokens")
    p.add_argument("--keep-long", action="store_true", help="report long rows but keep them")
    p.add_argument("--push-to-hub", metavar="REPO", help="also push the dataset and its card")


def run_export(args, console: Console) -> int:
    from longwriter_v.training.export import Options, export
    from longwriter_v.training.traces import read_states

    if args.max_length and not args.processor:
        console.print("[red]--max-length needs --processor <checkpoint> to count tokens[/]")
        return 2
    options = Options(
        kind=args.kind,
        layout=args.layout,
        pairs=args.pairs,
        score=args.score,
        min_margin=args.min_margin,
        judge=json.loads(args.judge_scores.read_text()) if args.judge_scores else None,
        max_length=args.max_length,
        processor=args.processor,
        keep_long=args.keep_long,
    )
    columns = [TextColumn("runs read"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("export", total=None)
        try:
            summary = export(
                read_states(args.db, args.states),
                args.out,
                options,
                fmt=args.format,
                push_to_hub=args.push_to_hub,
                tick=lambda: bar.advance(task),
            )
        except (FileNotFoundError, ValueError) as e:
            console.print(f"[red]export failed:[/] {escape(str(e))}")
            return 2
    table = Table(title=f"{args.kind.upper()} export to {escape(str(args.out))}")
    table.add_column("")
    table.add_column("count", justify="right")
    for name, value in summary.table():
        table.add_row(escape(name), value)
    console.print(table)
    return 0

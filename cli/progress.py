"""Live progress of a writer run: stage, sections done, words against budget, tokens, cost."""

from rich.console import Console
from rich.live import Live
from rich.table import Table

from longwriter_v.models.pricing import cost


class Progress:
    """Fold the graph's `updates` and `custom` stream events into one live status line."""

    def __init__(self, console: Console, enabled: bool = True):
        self.console = console
        self.stage = "starting"
        self.sections: dict[int, tuple[int, int]] = {}
        self.total_sections = 0
        self.tokens_in = self.tokens_out = 0
        self.cost = 0.0
        self.live = (
            Live(self.render(), console=console, transient=False, refresh_per_second=4)
            if enabled
            else None
        )

    def __enter__(self):
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.live.__exit__(*exc)

    def render(self) -> str:
        words = sum(w for w, _ in self.sections.values())
        budget = sum(b for _, b in self.sections.values())
        cost_text = f" | ${self.cost:.4f}" if self.cost else ""
        return (
            f"[bold]{self.stage}[/] | sections {len(self.sections)}/{self.total_sections or '?'}"
            f" | words {words:,}/{budget:,} | tokens in {self.tokens_in:,} out "
            f"{self.tokens_out:,}{cost_text}"
        )

    def update(self, mode: str, event: dict) -> None:
        """Take one (mode, payload) event from `astream(stream_mode=['updates', 'custom'])`."""
        if mode == "custom":
            if event.get("event") in ("section_written", "section_revised"):
                self.sections[event["index"]] = (event["words"], event["budget"])
                self.total_sections = event.get("of", self.total_sections)
        else:
            for node, update in event.items():
                if node.startswith("__"):
                    continue
                self.stage = node
                for rec in (update or {}).get("usage", []) if isinstance(update, dict) else []:
                    self.tokens_in += rec["input_tokens"]
                    self.tokens_out += rec["output_tokens"]
                    self.cost += cost(rec["model"], rec["input_tokens"], rec["output_tokens"]) or 0
                if isinstance(update, dict) and update.get("outline"):
                    self.total_sections = len(update["outline"])
        if self.live:
            self.live.update(self.render())


def summary_table(report: dict) -> Table:
    """Render a finished run's report as a table."""
    table = Table(title="LongWriter-V run")
    table.add_column("measure")
    table.add_column("value", justify="right")
    usage = report["usage"]
    rows = [
        (
            "words / required",
            f"{report['words']:,} / {report['required_words']:,} ({report['length_source']})",
        ),
        ("length score S_l (paper formula)", f"{report['length_score']:.1f}"),
        ("sections / revisions", f"{len(report['sections'])} / {report['revisions']}"),
        ("model calls (cache hits)", f"{usage['calls']} ({report['cached_calls']})"),
        ("tokens in / out", f"{usage['input_tokens']:,} / {usage['output_tokens']:,}"),
        ("cost", "unknown" if usage["cost_usd"] is None else f"${usage['cost_usd']:.4f}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table

"""Token prices of hosted models and the usage ledger built from per-call records."""

from collections import defaultdict

# USD per million tokens (input, output), OpenAI list prices.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-2024-11-20": (2.50, 10.00),
    "gpt-4o-2024-08-06": (2.50, 10.00),
    "gpt-4o-2024-05-13": (5.00, 15.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
}


def price_of(spec: str) -> tuple[float, float] | None:
    """Return the (input, output) price of a spec's model, or None (self-hosted, unknown)."""
    prefix, _, rest = spec.partition(":")
    if prefix != "openai" or "@" in rest:
        return None
    return PRICES.get(rest)


def cost(spec: str, input_tokens: int, output_tokens: int) -> float | None:
    """Return the USD cost of a call, or None where no price is known."""
    price = price_of(spec)
    if price is None:
        return None
    return (input_tokens * price[0] + output_tokens * price[1]) / 1e6


def ledger(records: list[dict]) -> dict:
    """Sum usage records by node and model, with cost where a price is known.

    A record is one call, or a ledger row carrying its own `calls`, so ledgers can be summed.
    """
    rows: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"calls": 0, "input_tokens": 0, "output_tokens": 0}
    )
    for rec in records:
        row = rows[(rec["node"], rec["model"])]
        row["calls"] += rec.get("calls", 1)
        row["input_tokens"] += rec["input_tokens"]
        row["output_tokens"] += rec["output_tokens"]
    table = []
    for (node, model), row in rows.items():
        table.append(
            {
                "node": node,
                "model": model,
                **row,
                "cost_usd": cost(model, row["input_tokens"], row["output_tokens"]),
            }
        )
    known = [r["cost_usd"] for r in table if r["cost_usd"] is not None]
    return {
        "rows": table,
        "input_tokens": sum(r["input_tokens"] for r in table),
        "output_tokens": sum(r["output_tokens"] for r in table),
        "calls": sum(r["calls"] for r in table),
        "cost_usd": sum(known) if known else None,
    }

"""Which model errors are worth retrying, and the node retry policy built on that."""

import httpx
import openai
from langgraph.types import RetryPolicy

_TRANSIENT_STATUS = {408, 409, 429, 500, 502, 503, 504}


def is_transient(exc: Exception) -> bool:
    """Tell whether an error from a model call may pass on retry (rate limit, server, network)."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _TRANSIENT_STATUS
    return isinstance(exc, openai.APIConnectionError | httpx.TransportError | TimeoutError)


def model_retry_policy(max_attempts: int = 4, initial_interval: float = 2.0) -> RetryPolicy:
    """Back off exponentially (with jitter) on transient model errors, up to a minute apart."""
    return RetryPolicy(
        initial_interval=initial_interval,
        backoff_factor=2.0,
        max_interval=60.0,
        max_attempts=max_attempts,
        retry_on=is_transient,
    )

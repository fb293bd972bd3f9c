"""Errors about a run's input, each naming the input at fault and the fix."""


class InputError(ValueError):
    """The run's input cannot be used; the message says which input and how to fix it."""

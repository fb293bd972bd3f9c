"""Compiled LangGraph graphs: the writer (LongWriter-Agent-V) and, later, the evaluators."""

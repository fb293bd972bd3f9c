"""Benchmarks and their metrics (MMLongBench-Write, LongWrite-V-Ruler, LongBench-Write)."""

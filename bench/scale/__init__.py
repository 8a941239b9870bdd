"""Helpers of ``bench/generate.py``: the scaled-up township, the cases' stories, the sinks."""

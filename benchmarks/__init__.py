"""Speed benchmarks of mle_tutorial against the tools a reader would use instead.

Run ``python -m benchmarks`` (or ``make bench``); see benchmarks/README.md.
"""

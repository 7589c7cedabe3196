"""Migration scripts, applied in order by ``python -m console migrate`` (and ``serve``)."""

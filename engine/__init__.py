"""Benjamin's film engine: screenplay, voice, faces, render and the production pipeline.

Nothing in this package knows about Discord, the scheduler or the database: it takes
dataclasses and progress callbacks and returns dataclasses (tests/test_boundaries.py).
"""

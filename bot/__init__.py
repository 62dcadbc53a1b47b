"""Benjamin's application layer: settings, CLI, worker, and the Discord front end.

This package's __init__ imports nothing heavy: the CLI and the worker run without discord.py
being imported; only ``bot.client`` and ``bot.cogs`` import it.
"""

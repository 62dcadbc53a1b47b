"""The double's own tests use its public fixtures, exactly as bot tests do."""
from tests.discord_double.fixtures import discord_double, discord_env, run_bot  # noqa: F401

"""A fake Discord (REST + gateway + CDN) on 127.0.0.1 for testing the real discord.py client.

See README.md in this folder."""
from .actions import InteractionHandle
from .core import DoubleConfig
from .mentions import Pings
from .runner import BotThread
from .building import DefaultWorld
from .server import DiscordDouble
from .slash import CommandInputError
from .state import Attachment, Edit, Interaction, Message

__all__ = [
    "Attachment", "BotThread", "CommandInputError", "DefaultWorld", "DiscordDouble", "DoubleConfig", "Edit",
    "Interaction", "InteractionHandle", "Message", "Pings",
]

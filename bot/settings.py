"""Settings live in studio.settings (shared by the bot and worker machines); this name stays for the bot's code."""
from studio.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]

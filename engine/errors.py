"""Exceptions the engine raises. Each carries a message a user can act on."""


class EngineError(Exception):
    """Base class: a clear, user-facing reason something could not be done."""


class BriefError(EngineError):
    """The brief is empty, too long, or otherwise cannot be honoured."""


class CorpusError(EngineError):
    """The training corpus is missing, empty or unreadable."""


class ModelError(EngineError):
    """A checkpoint is missing, corrupt or does not fit the text it is asked to handle."""


class VoiceError(EngineError):
    """A line could not be voiced."""


class FaceError(EngineError):
    """A photo or video has no usable face, or cannot be read."""


class FootageError(EngineError):
    """A footage file cannot be read or has nothing usable in it."""


class RenderError(EngineError):
    """The film could not be rendered (or cannot fit the size limit)."""


class Cancelled(EngineError):
    """Raised from a progress callback to stop the work in hand."""

"""Small persistent views. Every button's custom_id is namespaced ``benjamin:<feature>:<action>:<id>``
and registered as a dynamic item in ``setup_hook``, so buttons keep working after a restart.
Callbacks only hand over to the cog that owns the feature."""
from bot.views.buttons import (CancelJobButton, CloseVoteButton, ConsentButton, MoreTakesButton,
                               SmallerRenderButton, ballot_view, consent_view, job_view, smaller_view)

DYNAMIC_ITEMS = (MoreTakesButton, CloseVoteButton, CancelJobButton, SmallerRenderButton, ConsentButton)

__all__ = ["DYNAMIC_ITEMS", "MoreTakesButton", "CloseVoteButton", "CancelJobButton", "SmallerRenderButton",
           "ConsentButton", "ballot_view", "job_view", "smaller_view", "consent_view"]

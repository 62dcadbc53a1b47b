"""Members of the face-swap ensemble: one interface (``models._base.Member``), several families."""

"""Optional language-model backends for the writer (transformers)."""

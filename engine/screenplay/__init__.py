"""Screenplays: the document model, Fountain I/O, the character-level LSTM writer."""

"""Putting a generated face back into a frame: colour, occluders, blending (faceswap's convert family)."""

"""Reusable widgets. Each repaints only from data handed to it by its screen (never polls, never reads a feed)."""

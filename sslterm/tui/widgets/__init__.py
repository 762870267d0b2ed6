"""Reusable widgets: they render what they are given and post messages; they never touch the store."""

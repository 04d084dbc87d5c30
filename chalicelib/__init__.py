"""Lantern: safeguarding and behaviour concern reporting. Everything the Lambda needs at run time."""

__version__ = "0.1.0"

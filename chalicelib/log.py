"""Structured logs. Never log a pupil's name, incident text, an email body, a password or a token."""

from aws_lambda_powertools import Logger

logger = Logger(service="lantern")

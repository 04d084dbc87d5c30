"""Accounts, passwords, set-password links and sessions."""

"""Accounts, credentials and API tokens; every change is itself an audit event."""

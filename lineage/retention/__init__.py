"""Retention of the audit log: per-category policy, legal holds, and archiving sealed segments.

Entries are never deleted one by one: a contiguous, expired, unheld range of the log is written
to an archive file with the evidence that ties it to a signed tree head, recorded (signed) in
`archived_segments` and in the log, and only then removed. See docs/RETENTION.md.
"""

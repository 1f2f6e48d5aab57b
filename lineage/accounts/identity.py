"""Login names as the store knows them: pseudonyms under the store's key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lineage.privacy.pseudonyms import pseudonym_for

if TYPE_CHECKING:
    from lineage.store import AuditStore


def subject_of(store: AuditStore, username: str) -> str:
    return pseudonym_for(username, store.keys.pseudonym_key())

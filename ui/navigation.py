"""Which pages a principal gets: the router shows only pages whose permissions it holds.

Signed out there is one page, the sign-in form, so no URL reaches anything else.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lineage.authz import (
    READ_EVENTS,
    READ_FINDINGS,
    READ_LINEAGE,
    READ_PERSONAL,
    VERIFY,
    Principal,
    is_allowed,
)


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    section: str
    needs: tuple[str, ...]


PAGES = (
    PageSpec("app_pages/overview.py", "Overview", ":material/dashboard:", "Overview", ()),
    PageSpec("app_pages/trace.py", "Trace", ":material/account_tree:", "Lineage", (READ_LINEAGE,)),
    PageSpec(
        "app_pages/impact.py", "Impact", ":material/crisis_alert:", "Lineage", (READ_LINEAGE,)
    ),
    PageSpec(
        "app_pages/history.py", "Dataset history", ":material/history:", "Lineage", (READ_LINEAGE,)
    ),
    PageSpec(
        "app_pages/timeline.py", "Model timeline", ":material/timeline:", "Lineage", (READ_LINEAGE,)
    ),
    PageSpec(
        "app_pages/activity.py",
        "User activity",
        ":material/person_search:",
        "Audit",
        (READ_EVENTS, READ_PERSONAL),
    ),
    PageSpec(
        "app_pages/audit_log.py", "Audit log", ":material/receipt_long:", "Audit", (READ_EVENTS,)
    ),
    PageSpec(
        "app_pages/evidence.py",
        "Evidence pack",
        ":material/verified:",
        "Audit",
        (READ_LINEAGE, READ_EVENTS, READ_PERSONAL, VERIFY),
    ),
    PageSpec("app_pages/findings.py", "Findings", ":material/report:", "Review", (READ_FINDINGS,)),
    PageSpec(
        "app_pages/reports.py",
        "Compliance reports",
        ":material/gavel:",
        "Review",
        (READ_FINDINGS,),
    ),
)
SIGN_IN = PageSpec("app_pages/sign_in.py", "Sign in", ":material/login:", "", ())
NO_ACCESS = PageSpec("app_pages/no_access.py", "No access", ":material/block:", "", ())


def allowed(principal: Principal) -> list[PageSpec]:
    """Pages every permission of which the principal holds (Overview needs read or verify)."""
    if not any(is_allowed(principal, p) for p in (READ_LINEAGE, READ_EVENTS, VERIFY)):
        return []
    return [spec for spec in PAGES if all(is_allowed(principal, p) for p in spec.needs)]


def _page(spec: PageSpec, *, default: bool = False) -> st.Page:
    url_path = spec.path.rsplit("/", 1)[-1].removesuffix(".py")
    return st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=url_path, default=default)


def pages(principal: Principal | None) -> dict[str, list[st.Page]] | list[st.Page]:
    """What st.navigation gets for this principal."""
    if principal is None:
        return [_page(SIGN_IN, default=True)]
    specs = allowed(principal)
    if not specs:
        return [_page(NO_ACCESS, default=True)]
    sections: dict[str, list[st.Page]] = {}
    for i, spec in enumerate(specs):
        sections.setdefault(spec.section, []).append(_page(spec, default=i == 0))
    return sections

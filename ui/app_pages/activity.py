"""User activity: everything one person or service did in a time window.

People are looked up by pseudonym. Roles that may reveal identities may also type a login name
(its pseudonym is computed, and only the pseudonym is recorded) and reveal who is behind a
pseudonym: an explicit button, itself recorded in the audit log before the identity is shown.
"""

from __future__ import annotations

import streamlit as st

from lineage.authz import REVEAL, Principal, is_allowed
from lineage.privacy import IdentityErased, is_pseudonym, pseudonym_for, reveal_identity
from ui import data, session
from ui.components.entries import entries_table
from ui.components.feedback import guard
from ui.components.format import frame, label, when
from ui.components.paging import cursor, pager
from ui.components.pickers import date_window

REVEALED = session.PAGE_SECRETS[0]  # forgotten when the visit ends
PAGE_SIZE = 50


def choose_actor(principal: Principal) -> str | None:
    may_reveal = is_allowed(principal, REVEAL)
    typed = st.text_input(
        "Person or service",
        key="activity_who",
        placeholder="psn:… pseudonym" + (", or a login name" if may_reveal else ", or a service"),
    ).strip()
    if typed:
        if is_pseudonym(typed) or not may_reveal:
            return typed
        return pseudonym_for(typed, data.store().keys.pseudonym_key())
    known = data.search("actors", prefix="", limit=50)
    if not known:
        st.info("No people or services in the log yet.")
        return None
    # Nobody is looked at until chosen: viewing a person's activity is itself recorded.
    picked = st.selectbox(
        "…or pick one (newest first)",
        known,
        index=None,
        placeholder="Choose a person or service",
        format_func=lambda a: f"{a['name']} · {a['kind']} · first seen {when(a['first_seen'])}",
        key="activity_pick",
    )
    return picked["name"] if picked else None


def reveal_panel(principal: Principal, actor: str) -> None:
    """The explicit, recorded reveal; shown only to roles with the reveal permission."""
    if not (is_allowed(principal, REVEAL) and is_pseudonym(actor)):
        return
    revealed: dict[str, str] = st.session_state.setdefault(REVEALED, {})
    if actor in revealed:
        st.warning(f"Identity behind {actor}: **{revealed[actor]}** (this reveal was recorded).")
        return
    if st.button(
        "Reveal identity",
        icon=":material/visibility:",
        help="Shows the person behind this pseudonym. The reveal is recorded.",
    ):
        session.record_action(principal, "identity.reveal", {"kind": "pseudonym", "name": actor})
        try:
            identity = reveal_identity(data.store(), actor)
        except IdentityErased as exc:
            st.error(
                f"This identity was erased at {when(exc.erased_at)} UTC: it cannot be revealed."
            )
            return
        if identity is None:
            st.error("The vault holds no identity for this pseudonym.")
            return
        revealed[actor] = identity
        st.rerun()


def summary(actor: str, since: str | None, until: str | None) -> None:
    result = data.query("actor_summary", actor=actor, since=since, until=until)
    if not result["categories"]:
        st.info("Nothing recorded for this actor in the window.")
        return
    cols = st.columns(len(result["categories"]))
    for col, row in zip(cols, result["categories"], strict=True):
        col.metric(
            row["category"].replace("_", " "),
            row["entries"],
            help=f"{when(row['first'])} to {when(row['last'])} UTC",
        )
    if result["data"]:
        st.subheader("Data touched")
        for row in result["data"]:
            row.update(
                dataset=label(row["namespace"], row["name"]),
                first=when(row["first"]),
                last=when(row["last"]),
            )
        st.dataframe(
            frame(result["data"], ["dataset", "kind", "action", "times", "first", "last"]),
            hide_index=True,
            width="stretch",
        )


def render(principal: Principal) -> None:
    st.title("User activity")
    st.caption("What one person or service did in a time window. All times are UTC.")
    left, right = st.columns([3, 2])
    with left:
        actor = choose_actor(principal)
    with right:
        since, until = date_window("activity")
    if not actor:
        session.record_visit(principal, "ui.view.activity", "activity")
        return
    before, page = cursor("activity_pages", (actor, since, until), None)
    session.record_view(
        principal,
        "ui.view.activity",
        {"kind": "pseudonym", "name": session.as_recorded(actor)},
        {"since": since, "until": until, "page": page},
    )
    st.subheader(actor)
    reveal_panel(principal, actor)
    summary(actor, since, until)
    st.subheader("Entries")
    rows = data.query(
        "actor_entries", actor=actor, since=since, until=until, before_seq=before, limit=PAGE_SIZE
    )
    if not rows:
        st.info("No entries in this window.")
        return
    entries_table(rows, principal, "activity")
    following = rows[-1]["seq"] if len(rows) == PAGE_SIZE else None
    pager("activity_pages", following, len(rows), "entries")


with guard("the activity"):
    render(session.require())

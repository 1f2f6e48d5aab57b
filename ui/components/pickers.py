"""Search boxes and pickers: a few matches at a time from the database, never thousands.

Links from other pages (a finding's subject) preselect through query parameters:
`?model=<ns>/<name>&version=<v>` on Trace, `?dataset=<ns>/<name>` on Dataset history. A link
is taken once and leaves the URL, so what the person then types or picks is what counts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import streamlit as st

from lineage.authz import READ_LINEAGE, Principal, is_allowed
from lineage.timeutil import to_store_time
from ui import data, session
from ui.components.format import label, version, when

MATCHES = 20
CUSTOM = "custom"


def dataset_picker(
    principal: Principal,
    key: str,
    *,
    kind: str | None = None,
    noun: str = "dataset",
    plural: str | None = None,
    inline: bool = False,
    linked: str | None = None,
) -> dict[str, Any] | None:
    """Type part of a name, pick one of the first matches; None until something matches.

    `inline` puts the search box and the choice side by side (for full-width rows). `linked`
    (`namespace/name`, from a link) fills the search box and picks that exact match.
    """
    search_slot, pick_slot = st.columns(2) if inline else (st.container(), st.container())
    if linked:
        st.session_state[f"{key}_search"] = linked
    text = search_slot.text_input(
        f"Search {plural or noun + 's'}",
        key=f"{key}_search",
        placeholder="part of the name, e.g. breast_cancer",
        persist_state="session",  # coming back to the page keeps the search
        help=f"Matches anywhere in namespace/name; the first {MATCHES} matches are listed.",
    )
    found = data.search(
        "datasets", text=text, kind=kind, patterns=session.scope(principal), limit=MATCHES
    )
    if not found:
        scope = " within your projects" if session.scope(principal) is not None else ""
        empty = f"No {noun} matches {text!r}" if text else f"No {plural or noun + 's'} yet"
        pick_slot.info(f"{empty}{scope}.")
        return None
    many = "match" if len(found) == 1 else "matches"
    hint = f"{len(found)} {many}" if text else f"{len(found)} newest: type to search"
    pick_key = f"{key}_pick_{text.strip().lower()}"
    exact = [d for d in found if f"{d['namespace']}/{d['name']}" == linked]
    if exact and len(found) > 1:
        st.session_state[pick_key] = exact[0]  # the link names one; others merely contain it
    # One match is picked for you; among several, nothing is shown until you choose.
    choice = pick_slot.selectbox(
        f"{noun.capitalize()} ({hint})",
        found,
        index=0 if len(found) == 1 else None,
        format_func=_dataset_label,
        placeholder=f"Choose a {noun}",
        # A new search is a new choice: keying on the text drops the previous pick.
        key=pick_key,
        persist_state="session",
    )
    if choice is None:
        pick_slot.caption(f"Choose a {noun} to continue.")
        return None
    return choice if _may_read(principal, choice) else None


def from_link(param: str) -> str | None:
    """A query parameter a link set, taken off the URL (it preselects once, then the person
    chooses). `namespace://name` (how file datasets read on screen) becomes `namespace//name`,
    the `namespace/name` the search matches."""
    value = st.query_params.get(param)
    if value is None:
        return None
    del st.query_params[param]
    namespace, sep, name = value.strip().partition("://")
    return f"{namespace}/{name}" if sep and name.startswith("/") else value.strip() or None


def link_version(key: str, model: str, wanted: str) -> None:
    """A link names a model version: list just that one, however old, by filling the version
    prefix of that model (the person can clear it to see the others)."""
    st.session_state[f"{key}_prefix_{model}"] = wanted


def _dataset_label(d: dict[str, Any]) -> str:
    deleted = " · deleted" if d.get("deleted_at") else ""
    kind = " · model" if d["kind"] == "MODEL" else ""
    return f"{label(d['namespace'], d['name'])}{kind}{deleted}"


def _may_read(principal: Principal, d: dict[str, Any]) -> bool:
    """Defence in depth: the search is scoped already; refuse (and record) anything else."""
    resource = f"{d['namespace']}/{d['name']}"
    if is_allowed(principal, READ_LINEAGE, resource):
        return True
    session.record_denied(principal, "ui.view", {"kind": d["kind"].lower(), "name": resource})
    st.error(f"Your projects do not include {resource}. The attempt was recorded.")
    return False


def version_picker(
    model: dict[str, Any], key: str, *, as_of: str | None = None, prefer_live: str | None = None
) -> str | None:
    """A model version (newest first, as of `as_of`); defaults to the one live in `prefer_live`."""
    slot = st.container()
    prefix = st.text_input(
        "Version starts with",
        key=f"{key}_prefix_{model['namespace']}/{model['name']}",
        placeholder="optional, to reach older versions",
    )
    versions = data.query(
        "model_versions",
        model=model["name"],
        namespace=model["namespace"],
        prefix=prefix,
        as_of=as_of,
        limit=50,
    )["versions"]
    if not versions:
        slot.info("No version of this model matches" + (f" as of {when(as_of)}." if as_of else "."))
        return None
    live = [i for i, v in enumerate(versions) if prefer_live in v["live_in"]]
    choice = slot.selectbox(
        f"Version ({len(versions)} newest shown)",
        versions,
        index=live[0] if live else 0,
        format_func=_version_label,
        # Another model, moment or prefix is another choice, defaulting to the live version.
        key=f"{key}_version_{model['namespace']}/{model['name']}_{as_of}_{prefix}",
    )
    return choice["version"] if choice else None


def _version_label(v: dict[str, Any]) -> str:
    live = f" · live in {', '.join(v['live_in'])}" if v["live_in"] else ""
    algorithm = f" · {v['algorithm']}" if v["algorithm"] else ""
    return f"{version(v['version'])} · {when(v['created_at'])}{algorithm}{live}"


def as_of_picker(model: dict[str, Any], key: str) -> str | None:
    """Now, a moment a deployment changed (just after it), or a typed time; None means now."""
    moments = data.query("deployments", model=model["name"], namespace=model["namespace"])
    choices: dict[str, str | None] = {"Now": None}
    for d in reversed(moments[-30:]):
        what = f"{d['action']} of {version(d['version'])} in {d['environment']}"
        choices[f"{when(d['valid_from'])} · {what}"] = d["valid_from"]
    choices["A time I type…"] = CUSTOM
    picked = st.selectbox(
        "As of (UTC)",
        list(choices),
        key=f"{key}_asof_{model['namespace']}/{model['name']}",
        help="Lineage and deployments as they stood at that moment. Deployment moments are "
        "listed so you can see what was live right after each change.",
    )
    if choices[picked] != CUSTOM:
        return choices[picked]
    typed = st.text_input(
        "Time (ISO-8601, UTC)", value=to_store_time(datetime.now(UTC)), key=f"{key}_asof_text"
    )
    try:
        return to_store_time(typed)
    except ValueError:
        st.error(f"{typed!r} is not an ISO-8601 time, e.g. 2026-11-28T03:13:41Z.")
        st.stop()


def date_window(key: str, *, days: int = 30) -> tuple[str | None, str | None]:
    """A UTC day range; both ends inclusive. The default ends today."""
    today = datetime.now(UTC).date()
    picked = st.date_input(
        "Between (UTC days)",
        value=(today - timedelta(days=days), today),
        key=f"{key}_window",
        format="YYYY-MM-DD",
    )
    # The widget returns a single date while the second end is still being picked.
    start, end = (picked, picked) if isinstance(picked, date) else (*picked, None)[:2]
    since = f"{start.isoformat()}T00:00:00Z" if start else None
    until = f"{(end or start).isoformat()}T23:59:59.999999Z" if start else None
    return since, until

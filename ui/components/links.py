"""Where a finding's subject can be seen: links to the Trace and Dataset history pages.

Subjects name what a finding is about: `model:<ns>/<name>@<version>`, `deployment:<run id>`
(the model version it deployed), `dataset:<ns>/<name>`, `run:<run id>` (what the run and its
steps deployed, wrote and read). They become page links carrying the query parameters those pages
preselect from (ui.components.pickers). Only pages and data the principal may read are linked.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine, select, text

from lineage.authz import READ_LINEAGE, Principal, is_allowed
from lineage.models import Dataset
from lineage.queries.search import qualified_name
from ui import data, navigation
from ui.components.format import label
from ui.components.format import version as short_version

TRACE = "app_pages/trace.py"
HISTORY = "app_pages/history.py"
MAX_LINKS = 6  # a run that read every dataset is linked to the first few; its evidence lists all

# What a run (with its steps: Dagster runs are parents of one run per asset) deployed, wrote, read.
RUN_DATA = text(
    """
    WITH steps AS (SELECT run_id FROM runs WHERE run_id = :run OR parent_run_id = :run)
    SELECT 0 AS part, d.namespace, d.name, d.kind, v.version
    FROM deployments dep JOIN datasets d ON d.id = dep.model_dataset_id
    LEFT JOIN dataset_versions v ON v.id = dep.model_version_id
    WHERE dep.run_id IN (SELECT run_id FROM steps) OR dep.run_id = :run
    UNION ALL
    SELECT 1, d.namespace, d.name, d.kind, v.version
    FROM run_outputs x JOIN dataset_versions v ON v.id = x.version_id
    JOIN datasets d ON d.id = v.dataset_id WHERE x.run_id IN (SELECT run_id FROM steps)
    UNION ALL
    SELECT 2, d.namespace, d.name, d.kind, v.version
    FROM run_inputs x JOIN dataset_versions v ON v.id = x.version_id
    JOIN datasets d ON d.id = v.dataset_id WHERE x.run_id IN (SELECT run_id FROM steps)
    ORDER BY 1, 2, 3
    """
)


@dataclass(frozen=True)
class Link:
    page: str
    label: str
    resource: str  # namespace/name, what READ_LINEAGE is checked on
    params: tuple[tuple[str, str], ...]


def trace_link(resource: str, version: str | None, shown: str | None = None) -> Link:
    params = (("model", resource),) + ((("version", version),) if version else ())
    at = f" @ {short_version(version)}" if version else ""
    return Link(TRACE, f"Trace {shown or resource}{at}", resource, params)


def history_link(resource: str, shown: str | None = None) -> Link:
    return Link(HISTORY, f"History of {shown or resource}", resource, (("dataset", resource),))


def subject_links(principal: Principal, subject: str) -> list[Link]:
    """The links of a subject the principal may follow (none for subjects that name no data)."""
    pages = {spec.path for spec in navigation.allowed(principal)}
    return [
        link
        for link in _links(data.url(), subject)
        if link.page in pages and is_allowed(principal, READ_LINEAGE, link.resource)
    ][:MAX_LINKS]


def show_links(links: list[Link]) -> None:
    for link in links:
        icon = ":material/account_tree:" if link.page == TRACE else ":material/history:"
        st.page_link(link.page, label=link.label, icon=icon, query_params=dict(link.params))


@st.cache_data(ttl=60, show_spinner=False, max_entries=1000)
def _links(db: str, subject: str) -> list[Link]:
    """Every link of a subject, for anyone (cached once for every role; filtered per principal)."""
    kind, _, rest = subject.partition(":")
    engine = data.store().engine
    if kind == "model":
        resource, at, version = rest.rpartition("@")
        if not at:
            resource, version = rest, ""
        return [trace_link(resource, version or None)] if _exists(engine, resource) else []
    if kind == "dataset":
        return [history_link(rest)] if _exists(engine, rest) else []
    if kind in ("deployment", "run"):
        return _run_links(engine, rest, deployed_only=kind == "deployment")
    return []


def _exists(engine: Engine, resource: str) -> bool:
    query = select(Dataset.__table__.c.id).where(qualified_name() == resource).limit(1)
    with engine.connect() as conn:
        return conn.execute(query).first() is not None


def _run_links(engine: Engine, run_id: str, *, deployed_only: bool) -> list[Link]:
    with engine.connect() as conn:
        rows = conn.execute(RUN_DATA, {"run": run_id}).all()
    links: dict[tuple[str, str], Link] = {}
    for row in rows:
        if deployed_only and row.part != 0:
            break
        resource, shown = f"{row.namespace}/{row.name}", label(row.namespace, row.name)
        model = row.kind == "MODEL" and row.part < 2  # deployed or trained: its lineage
        link = trace_link(resource, row.version, shown) if model else history_link(resource, shown)
        links.setdefault((link.page, resource), link)
    return list(links.values())

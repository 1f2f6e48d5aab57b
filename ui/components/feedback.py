"""Errors as clear messages, never stack traces: the audit store may be down, a name unknown."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from lineage.authz import PermissionDenied
from lineage.errors import AuditError, NotFoundError

log = logging.getLogger(__name__)


def database_label(url: str) -> str:
    """The database URL without its password, safe to show."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the configured database"


@contextmanager
def guard(what: str = "this page") -> Iterator[None]:
    """Show a failure as a message and stop the page (Streamlit's own stop passes through)."""
    try:
        yield
    except NotFoundError as exc:
        st.warning(f"Not found: {exc}.")
        st.stop()
    except PermissionDenied as exc:
        st.error(f"Not allowed: {exc}. The attempt was recorded in the audit log.")
        st.stop()
    except OperationalError as exc:
        log.warning("audit store unreachable: %s", exc)
        from ui import data

        st.error(
            f"The audit store at {database_label(data.url())} cannot be reached. "
            "Check that the database is running and MLAUDIT_DATABASE_URL is right, then reload."
        )
        st.stop()
    except (AuditError, ValueError) as exc:
        st.error(f"Cannot show {what}: {exc}")
        st.stop()
    except SQLAlchemyError as exc:
        log.exception("database error")
        st.error(f"The audit store answered with an error ({type(exc).__name__}). See the log.")
        st.stop()

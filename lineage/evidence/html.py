"""An evidence pack as one self-contained HTML page: readable by people, the JSON inside for tools.

No scripts, fonts or images are fetched: the page must open the same on an air-gapped laptop
years from now. The full pack is embedded as `<script type="application/json"
id="mlaudit-evidence">`, so the page alone is the evidence.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from lineage.evidence import sections
from lineage.evidence.check import check_pack

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1200px;padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;white-space:nowrap}.scroll{overflow-x:auto}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
td.mono{word-break:break-all;min-width:9em}td.t{white-space:nowrap}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}.muted{color:#59636e}
.box{border:1px solid #d0d7de;border-radius:6px;padding:.75rem 1rem;background:#f6f8fa}
"""


def render_html(pack: dict[str, Any], public_key: str | None = None) -> str:
    """The page; the verification summary is computed now, from the pack itself."""
    model = pack["model"]
    title = f"Evidence pack: {model['namespace']}/{model['name']} version {model['version']}"
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p class=muted>Generated {escape(pack['generated_at'])} by mlaudit "
        f"({escape(pack['format'])}).</p>",
        _summary(pack, public_key),
        sections.lineage(pack["trace"]),
        sections.evaluations(pack["trace"]["evaluations"]),
        sections.deployments(pack["trace"]["deployments"]),
        sections.actors(pack["trace"]["actors"]),
        sections.entries(pack),
        _how(pack),
        _embedded(pack),
    ]
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )


def _summary(pack: dict[str, Any], public_key: str | None) -> str:
    result = check_pack(pack, public_key)
    verdict = (
        f"<span class=ok>All {result.proven} entries verify against the signed head.</span>"
        if result.ok
        else "<span class=bad>Not fully verifiable:</span> "
        + "; ".join(escape(f) for f in result.failures[:5])
    )
    head = pack["head"]
    head_text = (
        f"Signed tree head #{head['id']}: {head['tree_size']} entries, root "
        f"<code>{head['root_hash']}</code>, signed {escape(head['timestamp'])} (UTC) with key "
        f"<code>{escape(head['key_id'])}</code> (public key <code>{head['public_key']}</code>)."
        if head
        else "No signed tree head."
    )
    under = f"<br><span class=muted>{escape(result.under)}.</span>"
    return f"<div class=box><p>{verdict}{under}</p><p>{head_text}</p></div>"


def _how(pack: dict[str, Any]) -> str:
    steps = "".join(f"<li>{escape(step)}</li>" for step in pack["how_to_verify"])
    return (
        "<h2>How to verify this report</h2><ol>" + steps + "</ol><p class=muted>The complete "
        "pack (entry bytes, audit paths, head) is embedded in this file as JSON: "
        "<code>script#mlaudit-evidence</code>.</p>"
    )


def _embedded(pack: dict[str, Any]) -> str:
    # "</" inside a script element would end it early; JSON allows "<\/" as the same string.
    data = json.dumps(pack, sort_keys=True, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" id="mlaudit-evidence">{data}</script>'

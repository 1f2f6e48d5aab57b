"""A signed compliance report as one self-contained HTML page, with the signed JSON inside.

The page is a pure function of the envelope (no clock, no database), so `verify` can render it
again and compare: a page whose visible text was edited fails even if its embedded JSON was not.
The envelope is embedded as `<script type="application/json" id="mlaudit-report">`.
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

from lineage.evidence.html import STYLE
from lineage.report import sections as s

SCRIPT_ID = "mlaudit-report"
_EMBEDDED = re.compile(
    r'<script type="application/json" id="' + SCRIPT_ID + r'">(.*?)</script>', re.DOTALL
)


class ReportFileError(ValueError):
    """A file that does not hold a signed compliance report."""


def render_html(envelope: dict[str, Any]) -> str:
    body = envelope["body"]
    period = body["period"]
    title = f"Compliance report {period['since'][:10]} to {period['until'][:10]}"
    parts = [
        f"<h1>{escape(title)}</h1>",
        f"<p class=muted>Period {escape(period['since'])} to {escape(period['until'])} (UTC). "
        f"Generated {escape(body['generated_at'])} by {escape(body['generated_by']['subject'])} "
        f"({escape(', '.join(body['generated_by']['roles']))}). Log identity (first leaf "
        f"hash) <code>{escape(str(body['store']['first_leaf_hash']))}</code>.</p>",
        _signature_box(envelope),
        s.activity(body),
        s.models(body),
        s.deployments(body),
        s.evaluations(body),
        s.people(body),
        s.findings(body),
        _integrity(body),
        _record_keeping(body),
        _mapping(body),
        _how(),
        _embedded(envelope),
    ]
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )


def envelope_from_html(page: str) -> dict[str, Any]:
    """The signed envelope embedded in a report page."""
    found = _EMBEDDED.findall(page)
    if len(found) != 1:
        raise ReportFileError(
            f"expected one embedded report (script#{SCRIPT_ID}), found {len(found)}"
        )
    try:
        return json.loads(found[0])
    except json.JSONDecodeError as exc:
        raise ReportFileError(f"the embedded report is not valid JSON: {exc}") from exc


def _signature_box(envelope: dict[str, Any]) -> str:
    head = envelope["tree_head"]
    verify = envelope["body"]["integrity"]
    verdict = (
        f"<span class=ok>The log verified</span> ({verify['entries']} entries: hash chain, Merkle "
        f"tree and {verify['signed_heads']} signed heads) when this report was built."
        if verify["ok"]
        else "<span class=bad>The log did NOT verify when this report was built:</span> "
        + "; ".join(escape(p["detail"]) for p in verify["problems"][:5])
    )
    head_text = (
        f"Built against signed tree head #{head['id']}: {head['tree_size']} entries, root "
        f"<code>{head['root_hash']}</code>, signed {escape(head['timestamp'])}."
        if head
        else "Built against no signed tree head."
    )
    return (
        f"<div class=box><p>{verdict}</p><p>{head_text}</p><p>Signed with Ed25519 key "
        f"<code>{escape(envelope['key_id'])}</code> (public key "
        f"<code>{escape(envelope['public_key'])}</code>); body SHA-256 "
        f"<code>{escape(envelope['sha256'])}</code>.</p></div>"
    )


def _integrity(body: dict[str, Any]) -> str:
    heads = body["integrity"]["heads"]
    listed = [h for h in [heads["at_start"], *heads["in_period"]] if h]
    rows = [[h["id"], h["timestamp"], h["tree_size"], h["root_hash"], h["key_id"]] for h in listed]
    proof = heads["consistency"]
    linked = (
        f"Consistency proof from head #{proof['from_head']} to head #{proof['to_head']}: "
        + ("<span class=ok>verifies</span>." if proof["verifies"] else "<span class=bad>fails"
           f"</span>: {escape(proof.get('problem', ''))}.")
        if proof
        else "Fewer than two heads: no consistency proof for this period."
    )  # fmt: skip
    return s.section(
        "Integrity evidence",
        "The last head before the period and the heads signed in it; the proof shows the log at "
        "the end of the period extends the log at its start.",
        s.table(["head", "signed", "entries", "root", "key"], rows) + f"<p>{linked}</p>",
    )


def _record_keeping(body: dict[str, Any]) -> str:
    rk = body["record_keeping"]
    refs = [[r["model"], r["version"], r["trained"], r["evaluated"]] for r in rk["reference_data"]]
    checks = [
        [c["model"], c["version"], c["event_time"], c["name"], c["passed"]]
        for c in rk["input_data_checks"]
    ]
    people = [[v["actor"], v["did"]] for v in rk["verified_by"]]
    return s.section(
        "Record-keeping",
        "Reference data of the versions in use, the checks run on them, and the people who "
        "verified results (evaluated, deployed, resolved findings).",
        s.table(["model", "version", "trained on", "evaluated on"], refs)
        + s.table(["model", "version", "time", "check", "passed"], checks)
        + s.table(["actor", "verified"], people),
    )


def _mapping(body: dict[str, Any]) -> str:
    def rows(items: list[dict[str, Any]]) -> list[list[Any]]:
        return [
            [i["ref"], i["expects"], [f"{a['section']} ({a['records']})" for a in i["answered_by"]]]
            for i in items
        ]

    art, iso = body["eu_ai_act_art12"], body["iso_42001"]
    return s.section(
        "EU AI Act Art. 12 and ISO/IEC 42001",
        "Where this report answers each record-keeping field (section, number of records).",
        f"<p>{escape(art['source'])}</p>"
        + s.table(["ref", "expects", "answered by"], rows(art["fields"]))
        + f"<p>{escape(iso['source'])}</p>"
        + s.table(["control", "title", "answered by"], rows(iso["controls"])),
    )


def _how() -> str:
    steps = [
        "Run `mlaudit report verify THIS_FILE --public-key HEX` with the log's public key from a "
        "source you trust; it accepts this page or the JSON file.",
        "By hand: take the embedded JSON, serialise its `body` with RFC 8785 (JCS); its SHA-256 "
        "must equal `sha256` and the Ed25519 `signature` must verify over those bytes.",
        "`tree_head` is the signed tree head the report was built against: check its signature "
        "(see docs/ARCHITECTURE.md) and, with access to the log, that it is one of its heads.",
    ]
    items = "".join(f"<li>{escape(step)}</li>" for step in steps)
    return f"<h2>How to verify this report</h2><ol>{items}</ol>"


def _embedded(envelope: dict[str, Any]) -> str:
    # "</" inside a script element would end it early; JSON reads "<\/" as the same string.
    data = json.dumps(envelope, sort_keys=True, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" id="{SCRIPT_ID}">{data}</script>'

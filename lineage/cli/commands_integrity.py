"""`mlaudit checkpoint | prove | check-proof`: signed tree heads and Merkle proofs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lineage.authz import MAINTAIN, VERIFY
from lineage.cli.output import Db, Json, err_console, fail, open_store
from lineage.cli.session import permit
from lineage.merkle.export import export_consistency, export_inclusion
from lineage.merkle.heads import public_key_hex, sign_head, trusted_keys
from lineage.merkle.offline import Step, check_document
from lineage.merkle.proofs import ProofError

Out = Annotated[Path | None, typer.Option("--out", help="Also write the JSON to this file.")]


def checkpoint_command(out: Out = None, db: Db = None) -> None:
    """Sign the tree as it is now; store the signed head and print it as JSON.

    Keep exported heads outside the system: a later `mlaudit verify` or `check-proof` against them
    reveals any rewrite or truncation of the log since.
    """
    store = open_store(db)
    target = {"kind": "log", "name": "tree-head"}
    # Integrity operations are authorized (a refusal is recorded) but not logged when allowed:
    # a checkpoint that appended to the log would never describe the log it was asked to seal.
    permit(store, "log.checkpoint", MAINTAIN, target)
    head = sign_head(store)
    _emit(head.to_json(), out)


def prove_command(
    seq: Annotated[int | None, typer.Argument(help="Entry to prove included.")] = None,
    size: Annotated[
        int | None, typer.Option(help="Tree size to prove against (default: latest signed head).")
    ] = None,
    consistency: Annotated[
        tuple[int, int] | None,
        typer.Option(help="OLD_SIZE NEW_SIZE: prove the newer tree extends the older."),
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the proof and its head before printing it.")
    ] = False,
    out: Out = None,
    db: Db = None,
) -> None:
    """Print an inclusion proof for entry SEQ, or a consistency proof, as JSON."""
    if (seq is None) == (consistency is None):
        fail("give either SEQ or --consistency OLD_SIZE NEW_SIZE")
    store = open_store(db)
    kind = "inclusion" if seq is not None else "consistency"
    target = {"kind": "log", "name": f"seq {seq}" if seq is not None else f"sizes {consistency}"}
    permit(store, f"log.prove.{kind}", VERIFY, target)
    try:
        if consistency is not None:
            document = export_consistency(store.engine, *consistency)
        else:
            document = export_inclusion(store.engine, seq, size)  # type: ignore[arg-type]
    except ProofError as exc:
        fail(str(exc))
    if verify:
        trusted = next(iter(trusted_keys(store.keys).values()))
        steps = check_document(document, _embedded_heads(document), public_key_hex(trusted))
        if not _report(steps):
            raise typer.Exit(1)
    _emit(document, out)


def check_proof_command(
    proof_file: Annotated[Path, typer.Argument(help="A proof written by `mlaudit prove`.")],
    head: Annotated[
        list[Path] | None,
        typer.Option(help="A signed head from `mlaudit checkpoint` (repeat for two heads)."),
    ] = None,
    public_key: Annotated[
        str | None, typer.Option(help="The log's Ed25519 public key (hex) you trust.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Check an exported proof against exported signed heads, offline (no database)."""
    document = _load(proof_file)
    heads = [_load(path) for path in head or []]
    if not heads:
        heads = _embedded_heads(document)
        if heads:
            err_console.print("no --head given: checking against the heads inside the proof file")
    steps = check_document(document, heads, public_key)
    if as_json:
        ok = all(s.ok for s in steps)
        sys.stdout.write(json.dumps({"ok": ok, "steps": [vars(s) for s in steps]}, indent=2) + "\n")
        if not ok:
            raise typer.Exit(1)
    elif not _report(steps):
        raise typer.Exit(1)


def _embedded_heads(document: dict[str, Any]) -> list[dict[str, Any]]:
    if document.get("head"):
        return [document["head"]]
    return list(document.get("heads") or [])


def _report(steps: list[Step]) -> bool:
    for step in steps:
        mark = "[green]ok[/]" if step.ok else "[bold red]FAILED[/]"
        err_console.print(f"{mark}: {step.what}", highlight=False)
    return all(step.ok for step in steps)


def _emit(document: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out is not None:
        out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"{path}: cannot read JSON ({exc})")
    if not isinstance(data, dict):
        fail(f"{path}: expected a JSON object")
    return data


def register(app: typer.Typer) -> None:
    app.command("checkpoint")(checkpoint_command)
    app.command("prove")(prove_command)
    app.command("check-proof")(check_proof_command)

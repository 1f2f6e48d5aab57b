"""Evidence packs: a model version's trace with the Merkle proofs a third party can check.

- `collect`: which log entries a trace relies on, and why;
- `build`: the pack as JSON-ready data (trace, entries with bytes and inclusion proofs, head);
- `check`: verify a pack as a third party would;
- `html`: the pack as one self-contained HTML page (the JSON embedded).
"""

from lineage.evidence.build import FORMAT, build_pack
from lineage.evidence.check import PackCheck, check_pack
from lineage.evidence.html import render_html

__all__ = ["FORMAT", "PackCheck", "build_pack", "check_pack", "render_html"]

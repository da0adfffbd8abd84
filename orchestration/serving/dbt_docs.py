"""Model and column descriptions from dbt's target/manifest.json, used as PostgreSQL comments."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.logs import get_logger

DOCUMENTED_RESOURCE_TYPES = ("model", "seed", "snapshot")


@dataclass(frozen=True)
class TableDocs:
    """Description of one dbt model and of its columns; empty descriptions are left out."""

    description: str = ""
    columns: dict[str, str] = field(default_factory=dict)


def read_dbt_docs(manifest_path: Path | None) -> dict[str, TableDocs]:
    """Return descriptions keyed by the relation name (the model's alias, else its name).

    Returns an empty mapping when manifest_path is None or the file does not exist, because
    comments help readers but are not needed to publish.
    """
    if manifest_path is None:
        return {}
    if not manifest_path.exists():
        get_logger().warning("dbt manifest %s not found; publishing without column comments", manifest_path)
        return {}
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    docs = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") not in DOCUMENTED_RESOURCE_TYPES:
            continue
        relation_name = node.get("alias") or node["name"]
        columns = {
            name: column["description"].strip()
            for name, column in node.get("columns", {}).items()
            if column.get("description", "").strip()
        }
        docs[relation_name] = TableDocs(description=node.get("description", "").strip(), columns=columns)
    return docs

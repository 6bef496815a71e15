"""The data dictionary: xxgk/dictionary.yaml → DuckDB comments, docs/dictionary.md and datapackage.json.

One metadata source describes every published table and column and the controlled code lists.
Nothing here fails on a table or column the yaml does not describe: ``coverage_gaps`` reports it
(the tests fail on it), the build goes on. Comment text comes from our yaml only, never from reports.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import yaml

DICTIONARY_PATH = Path(__file__).resolve().with_name("dictionary.yaml")
DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "dictionary.md"
DATAPACKAGE_NAME = "datapackage.json"


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    group: str | None = None
    en: str | None = None  # the English label (the labels table's label_en)


@dataclass(frozen=True)
class CodeList:
    name: str
    title: str
    columns: tuple[str, ...]  # table.column patterns (fnmatch) where the list applies
    codes: tuple[Code, ...]

    def applies_to(self, table: str, column: str) -> bool:
        """Whether ``table.column`` takes its values from this list."""
        return any(fnmatch.fnmatchcase(f"{table}.{column}", pattern) for pattern in self.columns)


@dataclass(frozen=True)
class TableDoc:
    name: str
    description: str
    columns: dict[str, str]  # column → description ("" when the yaml names it without text)
    schema: str = "main"  # where the build publishes it (main: the analyst tables and views)


@dataclass(frozen=True)
class Dictionary:
    name: str
    title: str
    description: str
    licenses: list[dict]
    common_columns: dict[str, str]
    tables: dict[str, TableDoc]
    codes: dict[str, CodeList] = field(default_factory=dict)
    schemas: dict[str, str] = field(default_factory=dict)  # schema → what it holds

    def column(self, table: str, column: str) -> str:
        """A column's description: the table's own, else the shared one, else ""."""
        doc = self.tables.get(table)
        if doc and doc.columns.get(column):
            return doc.columns[column]
        return self.common_columns.get(column, "")

    def code_list_for(self, table: str, column: str) -> CodeList | None:
        return next((c for c in self.codes.values() if c.applies_to(table, column)), None)


def _column_text(value: object, column: str, common: dict[str, str]) -> str:
    """``~`` → the shared description of the column; a shared key → that text; else the text itself."""
    if value is None:
        return common.get(column, "")
    text = str(value).strip()
    return common.get(text, text)


def _code(code: object, value: object) -> Code:
    if isinstance(value, dict):
        return Code(str(code), str(value.get("label", "")), value.get("group"), value.get("en"))
    return Code(str(code), str(value))


def load_dictionary(path: Path = DICTIONARY_PATH) -> Dictionary:
    """Read and resolve the dictionary yaml."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    common = {str(k): str(v).strip() for k, v in (raw.get("common_columns") or {}).items()}
    tables = {}
    for name, spec in (raw.get("tables") or {}).items():
        spec = spec or {}
        columns = {str(c): _column_text(v, str(c), common) for c, v in (spec.get("columns") or {}).items()}
        tables[str(name)] = TableDoc(str(name), str(spec.get("description") or "").strip(), columns,
                                     str(spec.get("schema") or "main"))
    codes = {}
    for name, spec in (raw.get("codes") or {}).items():
        values = spec.get("values") or {}
        codes[str(name)] = CodeList(str(name), str(spec.get("title", "")), tuple(spec.get("columns") or ()),
                                    tuple(_code(k, v) for k, v in values.items()))
    schemas = {str(k): " ".join(str(v).split()) for k, v in (raw.get("schemas") or {}).items()}
    return Dictionary(str(raw.get("name", "")), str(raw.get("title", "")), str(raw.get("description", "")).strip(),
                      list(raw.get("licenses") or []), common, tables, codes, schemas)


@lru_cache(maxsize=1)
def _default() -> Dictionary:
    return load_dictionary()


def sql_string(text: str) -> str:
    """A SQL string literal (quotes doubled) for our own yaml text; DDL takes no parameters."""
    return "'" + text.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def published_objects(con: duckdb.DuckDBPyConnection, schema: str | None = None
                      ) -> dict[str, tuple[str, list[str], str]]:
    """table → (TABLE | VIEW, columns in order, schema) for every table and view of the database (of ``schema``
    only when given). Table names are unique across the warehouse's schemas."""
    rows = con.execute(
        "SELECT t.table_name, t.table_type, c.column_name, t.table_schema FROM information_schema.tables t "
        "JOIN information_schema.columns c ON c.table_schema = t.table_schema AND c.table_name = t.table_name "
        "WHERE t.table_schema NOT IN ('information_schema', 'pg_catalog') AND coalesce(t.table_schema = ?, true) "
        "AND t.table_catalog = current_database() AND c.table_catalog = current_database() "
        "ORDER BY t.table_name, c.ordinal_position", [schema]
    ).fetchall()
    objects: dict[str, tuple[str, list[str], str]] = {}
    for table, kind, column, in_schema in rows:
        objects.setdefault(table, ("VIEW" if kind == "VIEW" else "TABLE", [], in_schema))[1].append(column)
    return objects


def qualified(schema: str, table: str) -> str:
    return f"{sql_identifier(schema)}.{sql_identifier(table)}"


def coverage_gaps(con: duckdb.DuckDBPyConnection, dictionary: Dictionary | None = None) -> dict[str, list[str]]:
    """What the yaml lacks (``missing``: undescribed tables/columns) and has in excess (``stale``)."""
    d = dictionary or _default()
    objects = published_objects(con)
    missing, stale = [], []
    for table, (_, columns, schema) in objects.items():
        doc = d.tables.get(table)
        if doc is None or not doc.description:
            missing.append(table)
        elif doc.schema != schema:
            missing.append(f"{table} (in schema {schema}, described in {doc.schema})")
        for column in columns:
            if doc is None or column not in doc.columns or not d.column(table, column):
                missing.append(f"{table}.{column}")
    for table, doc in d.tables.items():
        if table not in objects:
            stale.append(table)
            continue
        stale.extend(f"{table}.{c}" for c in doc.columns if c not in objects[table][1])
    return {"missing": missing, "stale": stale}


def apply_comments(con: duckdb.DuckDBPyConnection, dictionary: Dictionary | None = None) -> int:
    """COMMENT ON every table, view and column present that the dictionary describes; returns how many."""
    d = dictionary or _default()
    applied = 0
    for table, (kind, columns, schema) in published_objects(con).items():
        doc = d.tables.get(table)
        if doc is None:
            continue
        if doc.description:
            con.execute(f"COMMENT ON {kind} {qualified(schema, table)} IS {sql_string(doc.description)}")
            applied += 1
        for column in columns:
            text = d.column(table, column) if column in doc.columns else ""
            if text:
                con.execute(f"COMMENT ON COLUMN {qualified(schema, table)}.{sql_identifier(column)} "
                            f"IS {sql_string(text)}")
                applied += 1
    return applied


def _cell(text: str) -> str:
    """Markdown table cell text: no pipes or line breaks breaking the row."""
    return " ".join(text.replace("|", "\\|").split())


def _qualified_name(doc: TableDoc) -> str:
    return doc.name if doc.schema == "main" else f"{doc.schema}.{doc.name}"


def render_markdown(dictionary: Dictionary | None = None) -> str:
    """The dictionary as Markdown: tables with their columns, then the code lists with Chinese labels."""
    d = dictionary or _default()
    out = [
        "# Data dictionary", "",
        "<!-- Generated from xxgk/dictionary.yaml by `python -m xxgk.dictionary docs/dictionary.md`;"
        " edit the yaml, not this file. -->", "",
        d.title, "", d.description, "",
        "## Tables", "",
        "Each table or view is published in a schema: the analyst tables and views in `main` (the default: "
        "`select * from dim_reports`), the others by their qualified name (`select * from staging.stg_facts`).",
    ]
    order = list(d.schemas) + sorted({doc.schema for doc in d.tables.values()} - set(d.schemas))
    for schema in order:
        names = [name for name, doc in d.tables.items() if doc.schema == schema]
        if not names:
            continue
        out += ["", f"**Schema `{schema}`**: {_cell(d.schemas.get(schema, ''))}", ""]
        out += [f"- [`{_qualified_name(d.tables[n])}`](#{n}): {_cell(d.tables[n].description)}" for n in names]
    for name, doc in d.tables.items():
        title = name if doc.schema == "main" else f"{name} (schema `{doc.schema}`: `{doc.schema}.{name}`)"
        out += ["", f"### {title}", "", doc.description, "", "| column | description | codes |", "|---|---|---|"]
        for column in doc.columns:
            codes = d.code_list_for(name, column)
            link = f"[{codes.name}](#{codes.name})" if codes else ""
            out.append(f"| `{column}` | {_cell(d.column(name, column))} | {link} |")
    out += ["", "## Code lists", ""]
    for codes in d.codes.values():
        has_group = any(c.group for c in codes.codes)
        has_en = any(c.en for c in codes.codes)
        where = ", ".join(f"`{c}`" for c in codes.columns)
        out += ["", f"### {codes.name}", "", f"{codes.title}. Used in: {where}.", ""]
        head = ["code", "中文"] + (["English"] if has_en else []) + (["group"] if has_group else [])
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for c in codes.codes:
            cells = [f"`{c.code}`", _cell(c.label)] + ([_cell(c.en or "")] if has_en else [])
            cells += [f"`{c.group}`" if c.group else ""] if has_group else []
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out).replace("\n\n\n", "\n\n") + "\n"


_NUMBER_PREFIXES = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC")
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "UHUGEINT"}


def frictionless_type(duck_type: str) -> str:
    """The Frictionless Table Schema type of a DuckDB type."""
    t = duck_type.upper().strip()
    if t.endswith("[]") or t.startswith("LIST") or t.startswith("ARRAY"):
        return "array"
    if t.startswith(("STRUCT", "MAP", "JSON")):
        return "object"
    if t in _INTEGER_TYPES:
        return "integer"
    if t.startswith(_NUMBER_PREFIXES):
        return "number"
    if t.startswith("TIMESTAMP") or t == "DATETIME":
        return "datetime"
    if t.startswith("TIME"):
        return "time"
    return {"VARCHAR": "string", "BOOLEAN": "boolean", "DATE": "date", "UUID": "string",
            "BLOB": "string", "INTERVAL": "duration"}.get(t, "any")


def _parquet_schema(file: Path) -> list[tuple[str, str]]:
    """A dataset's columns and types, from one of its files: every file of a dataset has its schema (one COPY
    writes them all, or an incremental build's, whose models are the same by its fingerprint)."""
    con = duckdb.connect()
    try:
        return [(r[0], r[1]) for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({sql_string(str(file))}, hive_partitioning = false)").fetchall()]
    finally:
        con.close()


def datapackage(parquet_dir: Path, dictionary: Dictionary | None = None, build_id: str | None = None,
                datasets: list[str] | None = None) -> dict:
    """A Frictionless data package descriptor for an export folder: one resource per dataset (an empty table's
    resource is its one file holding the schema and no rows); ``datasets``: only these folders."""
    d = dictionary or _default()
    parquet_dir = Path(parquet_dir)
    resources, empty = [], []
    folders = (p for p in parquet_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for folder in sorted(f for f in folders if datasets is None or f.name in datasets):
        files = sorted(folder.rglob("*.parquet"))
        if not files:
            continue
        table = folder.name
        if files == [folder / f"{table}.parquet"] and _parquet_rows(files) == 0:  # written as one file, no rows
            empty.append(table)
        fields = []
        for name, duck_type in _parquet_schema(files[0]):
            spec = {"name": name, "type": frictionless_type(duck_type), "description": d.column(table, name)}
            codes = d.code_list_for(table, name)
            if codes:
                spec["categories"] = [{"value": c.code, "label": c.label} for c in codes.codes]
            fields.append(spec)
        doc = d.tables.get(table)
        resources.append({
            "name": table,
            "path": [f.relative_to(parquet_dir).as_posix() for f in files],
            "format": "parquet",
            "mediatype": "application/vnd.apache.parquet",
            "description": doc.description if doc else "",
            "schema": {"fields": fields},
        })
    return {"name": d.name, "title": d.title, "description": d.description, "licenses": d.licenses,
            "resources": resources, "x-empty-datasets": empty, "x-build-id": build_id}


def _parquet_rows(files: list[Path]) -> int:
    con = duckdb.connect()
    try:
        listing = "[" + ", ".join(sql_string(str(f)) for f in files) + "]"
        return con.execute(f"SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata({listing})").fetchone()[0]
    finally:
        con.close()


def write_datapackage(parquet_dir: Path, dictionary: Dictionary | None = None, build_id: str | None = None,
                      datasets: list[str] | None = None, target: Path | None = None) -> Path:
    """Write ``datapackage.json`` describing the export folder (``datasets``: only these) into it, or to
    ``target``; returns its path."""
    target = target or Path(parquet_dir) / DATAPACKAGE_NAME
    descriptor = datapackage(parquet_dir, dictionary, build_id, datasets)
    target.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    """``python -m xxgk.dictionary [docs/dictionary.md]``: regenerate the Markdown dictionary."""
    target = Path(argv[0]) if argv else DOCS_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_markdown(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Which numbers read by OCR are accepted: the identities decide (DESIGN: the identities decide).

A number read from a picture was never printed as text, so it is never ``reported``: its
value_status is ``ocr`` and its note gives the engine's confidence and the verdict:

- ``verified by …``: every identity the cell takes part in holds on the OCR reading (and at
  least one does), e.g. its column's ``app_balance`` and its row's ``app_applicant_sum``;
- ``unverified: …``: no identity covers the cell (table 2 has none), an identity it takes part
  in fails, or one cannot be checked (a blank or unreadable term).

Where identities fail, the engine's other readings of the cells are tried: its second reading
(``Cell.alternatives``) and the confusions OCR is known for (0/8/6/9, 1/7, 3/8, 5/6, a digit
dropped or doubled, letters for digits: ``O`` ``l`` ``工``). A change is kept only when it makes
every identity of the table hold and it is the only smallest set of changes that does; the
value needed by a failing identity (``Instance.solve_for``) must be one of the cell's
alternatives, so no number is ever made up. A corrected cell is ``inferred``, its raw text the
OCR reading, its note naming the reading replaced and the identities that chose the new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from common.document import Cell, Document
from common.values import parse_value
from transforms.facts import Fact, MappedReport
from transforms.identities import Instance, instances
from transforms.registry import Registry, load_registry

MAX_CHANGES = 1  # one misread per table is corrected; two or more stay flagged (a set of several fits wrongly: 74 → 7 beside a second misread)
MAX_NODES = 20_000  # search states visited per table before the table is left as read
CONFUSABLE = {
    "0": "8696", "8": "0693", "6": "085", "9": "08", "1": "74", "7": "1", "3": "8", "5": "6", "2": "7", "4": "1",
}
LOOKALIKE = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "〇": "0", "l": "1", "I": "1", "|": "1",
                           "丨": "1", "工": "1", "Z": "2", "S": "5", "B": "8", "g": "9"})
Key = tuple[str, str]


@dataclass
class OcrSummary:
    """What the identities said of the OCR cells of one report."""

    verified: int = 0
    corrected: int = 0
    unverified: int = 0
    blank: int = 0
    reasons: list[str] = field(default_factory=list)  # why tables stay unverified

    @property
    def accepted(self) -> bool:
        return self.unverified == 0

    def describe(self) -> str:
        parts = [f"OCR: {self.verified} cells verified by the identities"]
        if self.corrected:
            parts.append(f"{self.corrected} corrected by them")
        if self.unverified:
            parts.append(f"{self.unverified} unverified ({'; '.join(self.reasons)})")
        return ", ".join(parts)


def ocr_cells(doc: Document) -> dict[str, Cell]:
    return {c.locator: c for t in doc.tables for c in t.cells if c.confidence is not None}


def alternatives(text: str | None, cell: Cell) -> list[Decimal]:
    """The numbers the engine's other readings and the known confusions give for a cell (its own excluded)."""
    texts: list[str] = list(cell.alternatives)
    base = (text or "").strip()
    for source in dict.fromkeys((base, base.translate(LOOKALIKE))):
        texts.append(source)
        for i, ch in enumerate(source):
            for other in CONFUSABLE.get(ch, ""):
                texts.append(source[:i] + other + source[i + 1:])
            if ch.isdigit():
                texts.append(source[:i] + source[i + 1:])  # a digit read twice
                texts.append(source[:i] + ch + source[i:])  # a digit dropped: doubled back
    own = parse_value(base)
    out: list[Decimal] = []
    for candidate in texts:
        parsed = parse_value(candidate)
        if parsed.status != "reported" or parsed.decimal is None or parsed.decimal < 0 and "-" not in base:
            continue
        if own.status == "reported" and parsed.decimal == own.decimal:
            continue
        if parsed.decimal not in out:
            out.append(parsed.decimal)
    return out


def _value(fact: Fact) -> Decimal | None:
    if fact.value is None or fact.value_status not in ("reported", "inferred", "ocr"):
        return None
    return Decimal(repr(fact.value))


def _search(insts: list[Instance], values: dict[Key, Decimal | None], alts: dict[Key, list[Decimal]]
            ) -> dict[Key, Decimal] | None:
    """The one smallest set of cell changes (each to one of its alternatives) that makes every identity
    hold; None when there is none or more than one."""
    found: set[frozenset] = set()
    seen: set[frozenset] = set()
    nodes = 0

    def failing(current: dict) -> list[Instance]:
        return [i for i in insts if i.verdict(current.get) == "fail"]

    def walk(current: dict, changed: frozenset, depth: int) -> None:
        nonlocal nodes
        nodes += 1
        if nodes > MAX_NODES or changed in seen:
            return
        seen.add(changed)
        bad = failing(current)
        if not bad:
            found.add(changed)
            return
        if depth == 0:
            return
        done = {k for k, _ in changed}
        for inst in bad:
            for key in inst.keys:
                if key in done or key not in alts:
                    continue
                need = inst.solve_for(key, current.get)
                if need is None or need not in alts[key]:
                    continue
                walk({**current, key: need}, changed | {(key, need)}, depth - 1)

    for depth in range(1, MAX_CHANGES + 1):
        walk(dict(values), frozenset(), depth)
        if found or nodes > MAX_NODES:
            break
        seen.clear()
    if nodes > MAX_NODES or len(found) != 1:
        return None
    return dict(next(iter(found)))


def accept_ocr(mapped: MappedReport, doc: Document, registry: Registry | None = None) -> OcrSummary | None:
    """Give every OCR number its status and verdict, correcting cells the identities single out."""
    cells = ocr_cells(doc)
    if not cells:
        return None
    registry = registry or load_registry()
    summary = OcrSummary()
    for table, version in mapped.templates.items():
        template = registry.templates.get(version) or next(iter(registry.templates.values()))
        insts = instances(registry, template, table)
        facts = {(f.row_code, f.col_code): f for f in mapped.facts if f.table_code == table}
        ocr = {key: f for key, f in facts.items() if f.locator in cells}
        if not ocr:
            continue
        values = {key: _value(f) for key, f in facts.items()}
        alts = {key: alternatives(f.raw_text, cells[f.locator]) for key, f in ocr.items()
                if f.value_status in ("reported", "text")}
        corrections = _search(insts, values, alts) if any(i.verdict(values.get) == "fail" for i in insts) else None
        corrections = _confirmed(corrections or {}, insts, values)
        corrections.update(_fill_unread(insts, {**values, **corrections}, alts, ocr,
                                        {key: cells[f.locator].alternatives for key, f in ocr.items()}))
        for key, value in corrections.items():
            values[key] = value
        for key, fact in ocr.items():
            _judge(fact, key, cells[fact.locator], insts, values, corrections.get(key), summary, table)
    return summary


def _fill_unread(insts: list[Instance], values: dict, alts: dict, ocr: dict,
                 cell_alts: dict[Key, tuple[str, ...]]) -> dict[Key, Decimal]:
    """Cells OCR read as no number (``工``): the value an identity needs, when it is one of their readings
    and every identity the cell takes part in then holds."""
    filled: dict[Key, Decimal] = {}
    for key, fact in ocr.items():
        if fact.value_status != "text" or key not in alts:
            continue
        needs = {inst.solve_for(key, values.get) for inst in insts if key in inst.keys}
        needs.discard(None)
        if len(needs) != 1:
            continue
        need = needs.pop()
        trial = {**values, key: need}
        mine = [i for i in insts if key in i.keys]
        own = [parse_value(t).decimal for t in ((fact.raw_text or "").translate(LOOKALIKE), *cell_alts.get(key, ()))
               if parse_value(t).status == "reported"]
        if need in own and all(i.verdict(trial.get) == "pass" for i in mine):
            filled[key] = need
            values[key] = need
    return filled


def _confirmed(corrections: dict[Key, Decimal], insts: list[Instance], values: dict) -> dict[Key, Decimal]:
    """The corrections, when each corrected cell then takes part in an identity that holds and says something
    of it (not ``x = x``); else none: a change only a trivial identity accepts may copy a second misread."""
    trial = {**values, **corrections}
    told = all(any(key in i.keys and _telling(i, trial) and i.verdict(trial.get) == "pass" for i in insts)
               for key in corrections)
    return corrections if told else {}


def _telling(inst: Instance, values: dict) -> bool:
    """Whether an identity that holds says something of its cells: not ``x = x`` (one non-zero number on
    each side, every other term 0), which holds just as well when one glyph was misread the same way in
    both places (``1`` read ``4`` in a block's only result and in its total)."""
    return sum(1 for k in inst.keys if values.get(k)) != 2


def _judge(fact: Fact, key: Key, cell: Cell, insts: list[Instance], values: dict, new: Decimal | None,
           summary: OcrSummary, table: str) -> None:
    confidence = f"OCR confidence {cell.confidence:.2f}"
    mine = [i for i in insts if key in i.keys]
    verdicts = [(i, i.verdict(values.get)) for i in mine]
    holds = sorted({i.name for i, v in verdicts if v == "pass" and _telling(i, values)})
    fails = [f"{i.name} {i.scope}" for i, v in verdicts if v == "fail"]
    if fact.value_status in ("blank", "placeholder"):
        summary.blank += 1
        fact.note = "; ".join(x for x in (fact.note, f"{confidence}: {'no ink in the cell' if not cell.text else 'read'}")
                              if x)
        return
    if new is not None:
        fact.value = float(new) + 0.0
        fact.value_status = "inferred"
        fact.note = (f"{confidence}; OCR read {fact.raw_text!r}, {format(new.normalize(), 'f')} is the engine's "
                     f"alternative the identities accept: {', '.join(holds)}")
        summary.corrected += 1
        return
    if fact.value_status in ("reported", "inferred"):  # a placement of OCR cells is still an OCR reading
        fact.value_status = "ocr"
    if holds and not fails and all(v == "pass" for _, v in verdicts):
        fact.note = "; ".join(x for x in (fact.note, f"{confidence}; verified by {', '.join(holds)}") if x)
        summary.verified += 1
        return
    if not mine:
        why = "no identity covers this cell"
    elif fails:
        why = "identities fail: " + ", ".join(fails[:3])
    else:
        why = "its identities cannot be checked (a blank or unreadable term)"
    fact.note = "; ".join(x for x in (fact.note, f"{confidence}; unverified: {why}") if x)
    summary.unverified += 1
    reason = f"{table}: {why}" if not fails else f"{table}: identities fail"
    if reason not in summary.reasons:
        summary.reasons.append(reason)

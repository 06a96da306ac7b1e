"""Runs every cell of the authorization matrix (see matrix.py) on whichever database is configured."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.authz
from tests.authz.matrix import ROLES, Row, perform, verdict
from tests.conftest import Cast


def all_rows() -> list[Row]:
    rows: list[Row] = []
    for info in sorted(pkgutil.iter_modules(tests.authz.__path__), key=lambda i: i.name):
        if info.name.startswith("rows_"):
            module = importlib.import_module(f"tests.authz.{info.name}")
            rows.extend(module.ROWS)
    return rows


ROWS = all_rows()
CELLS = [pytest.param(row, role, id=f"{row.name}-{role}") for row in ROWS for role in ROLES]


def test_matrix_has_rows() -> None:
    assert len(ROWS) > 0, "no authorization rows registered"
    names = [row.name for row in ROWS]
    assert len(names) == len(set(names)), "two rows share a resource:action name"


@pytest.mark.parametrize(("row", "role"), CELLS)
def test_cell(row: Row, role: str, cast: Cast) -> None:
    response = perform(row, role, cast)
    passed, why = verdict(row, role, response, cast)
    assert passed, f"{row.name} as {role}: {why}"

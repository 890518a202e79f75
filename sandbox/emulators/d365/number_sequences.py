"""Number sequences as F&O serves them over OData: ``SequenceV2Tables`` (the sequence codes, with
``Manual``, ``ToALowerNumber``, ``ToAHigherNumber``) and ``NumberSequencesV2References`` (which code
a data type uses, per scope). Both are shared entities: no ``dataAreaId``; the company is the
``ScopeValue`` of a ``DataArea``-scoped row, and the user's default company does not filter them.

Field names come from the real-metadata client the catalog is built from (ntrtd/d365-agent
asset/client/src at 0a4c110: SequenceV2Tables.ts, NumberSequencesV2References.ts). The rows are
derived from the emulator's ``manual_numbers`` switches (the ones its writes obey), per company, so
the preflight reads the same truth the writes enforce.
"""

from __future__ import annotations

from sandbox.emulators.d365.store import Store

# The emulator's manual-number switch (by the field the app fills) -> the F&O data type (EDT) whose
# number sequence reference numbers that field, and the sequence code the emulator gives it.
DATA_TYPES = {
    "SalesOrderNumber": ("SalesId", "SO"),
    "RMANumber": ("ReturnItemNum", "RMA"),
    "CustomerAccount": ("CustAccount", "Cust"),
}

SEQUENCES_TABLE, REFERENCES_TABLE = "NumberSequenceTable", "NumberSequenceReference"


def sync(store: Store, companies: set[str] | frozenset[str] | list[str]) -> None:
    """Rewrite both tables from ``store.setup.manual_numbers`` for every company."""
    for table in (SEQUENCES_TABLE, REFERENCES_TABLE):
        store.tables[table].clear()
    manual = store.setup.manual_numbers
    for company in sorted({c.lower() for c in companies}):
        for switch, (data_type, prefix) in DATA_TYPES.items():
            allowed = manual.get(switch, True)
            if switch == "RMANumber":  # one reference numbers the return order and its RMA
                allowed = allowed and manual.get("ReturnOrderNumber", True)
            code = f"{company.upper()}_{prefix}"
            store.insert(
                REFERENCES_TABLE,
                {
                    "ScopeType": "DataArea",
                    "ScopeValue": company,
                    "DataTypeName": data_type,
                    "NumberSequenceCode": code,
                    "ReuseNumbers": "No",
                },
            )
            store.insert(
                SEQUENCES_TABLE,
                {
                    "NumberSequenceCode": code,
                    "ScopeType": "DataArea",
                    "ScopeValue": company,
                    "Company": company,
                    "Name": f"{data_type} ({company})",
                    "Format": f"{prefix}-######",
                    "Smallest": 1,
                    "Largest": 999999,
                    "Next": 1,
                    "Manual": "Yes" if allowed else "No",
                    "ToALowerNumber": "No",
                    "ToAHigherNumber": "No",
                    "Continuous": "No",
                    "Stopped": "No",
                    "InUse": "Yes",
                },
            )

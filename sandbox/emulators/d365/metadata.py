"""``/data/$metadata``: an EDMX document for the emulated entity sets, shaped like the real one
(namespace Microsoft.Dynamics.DataEntities, container Resources, no MaxLength, Nullable="false" on
numbers and dates, enum types with values)."""

from __future__ import annotations

from functools import cache
from xml.sax.saxutils import quoteattr

from sandbox.emulators.d365.entities import NAMESPACE, entity_sets, enums

_NOT_NULL = {"Edm.Decimal", "Edm.Int32", "Edm.Int64", "Edm.DateTimeOffset", "Edm.Double", "Edm.Guid"}


@cache
def metadata_xml() -> str:
    sets = entity_sets()
    used_enums = sorted({f.enum for es in sets.values() for f in es.fields.values() if f.enum})
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
        "  <edmx:DataServices>",
        f'    <Schema Namespace="{NAMESPACE}" xmlns="http://docs.oasis-open.org/odata/ns/edm">',
    ]
    all_enums = enums()
    for name in used_enums:
        out.append(f"      <EnumType Name={quoteattr(name)}>")
        for member, value in all_enums.get(name, [("None", 0)]):
            out.append(f'        <Member Name={quoteattr(member)} Value="{value}" />')
        out.append("      </EnumType>")
    seen_types: set[str] = set()
    for es in sets.values():
        if es.type_name in seen_types:
            continue
        seen_types.add(es.type_name)
        out.append(f"      <EntityType Name={quoteattr(es.type_name)}>")
        out.append("        <Key>")
        out.extend(f"          <PropertyRef Name={quoteattr(k)} />" for k in es.keys)
        out.append("        </Key>")
        for f in es.fields.values():
            nullable = ' Nullable="false"' if f.edm in _NOT_NULL or f.name in es.keys else ""
            out.append(f"        <Property Name={quoteattr(f.name)} Type={quoteattr(f.type_name)}{nullable} />")
        for nav in es.navigations.values():
            target = sets[nav.target].type_name
            kind = f"Collection({NAMESPACE}.{target})" if nav.many else f"{NAMESPACE}.{target}"
            out.append(f"        <NavigationProperty Name={quoteattr(nav.name)} Type={quoteattr(kind)}>")
            out.extend(
                f"          <ReferentialConstraint Property={quoteattr(mine)} ReferencedProperty={quoteattr(theirs)} />"
                for mine, theirs in nav.join
            )
            out.append("        </NavigationProperty>")
        out.append("      </EntityType>")
    out.append('      <EntityContainer Name="Resources">')
    for es in sets.values():
        qualified = quoteattr(f"{NAMESPACE}.{es.type_name}")
        out.append(f"        <EntitySet Name={quoteattr(es.name)} EntityType={qualified}>")
        out.extend(
            f"          <NavigationPropertyBinding Path={quoteattr(nav.name)} Target={quoteattr(nav.target)} />"
            for nav in es.navigations.values()
        )
        out.append("        </EntitySet>")
    out += ["      </EntityContainer>", "    </Schema>", "  </edmx:DataServices>", "</edmx:Edmx>", ""]
    return "\n".join(out)

from __future__ import annotations

import pytest

from pytest_prodreal import DEFAULT_TAXONOMY, InvalidArgument, Taxonomy, TaxonomyBuilder


def test_default_taxonomy_has_five_categories_and_fifteen_remedies() -> None:
    assert [c.id for c in DEFAULT_TAXONOMY] == [
        "inputs",
        "dependencies",
        "trust",
        "state",
        "operations",
    ]
    assert [r.id for r in DEFAULT_TAXONOMY.remedies] == [
        "shadow_traffic", "canary", "failure_corpus",
        "time_budget", "circuit_breaker", "graceful_degradation",
        "guardrails", "abstain", "evidence_first",
        "determinism", "caching_policy", "idempotency",
        "slo", "error_budget", "observability",
    ]  # fmt: skip
    for cat in DEFAULT_TAXONOMY:
        assert len(cat.remedies) == 3
        assert cat.title and cat.description
        assert all(r.category == cat.id and r.title and r.description for r in cat.remedies)


def test_resolve_expands_categories_in_taxonomy_order() -> None:
    assert DEFAULT_TAXONOMY.resolve(["slo", "dependencies"]) == (
        "time_budget",
        "circuit_breaker",
        "graceful_degradation",
        "slo",
    )


def test_resolve_rejects_unknown_ids_with_a_suggestion() -> None:
    with pytest.raises(
        InvalidArgument,
        match=r"unknown prodreal id 'circut_breaker'.*"
        r"Did you mean 'circuit_breaker'\?",
    ):
        DEFAULT_TAXONOMY.resolve(["circut_breaker"])


def test_unknown_id_message_without_a_close_match_lists_valid_ids() -> None:
    msg = DEFAULT_TAXONOMY.unknown_id_message("zzzzzz")
    assert "Did you mean" not in msg
    assert "valid remedies: shadow_traffic" in msg


@pytest.mark.parametrize(
    ("action", "match"),
    [
        (lambda b: b.add_category("Bad Id", "t"), "lower_snake_case"),
        (lambda b: b.add_category("inputs", "t"), "already defined"),
        (lambda b: b.add_remedy("nope", "x", "t"), "unknown category 'nope'"),
        (lambda b: b.add_remedy("inputs", "canary", "t"), "already defined"),
        (lambda b: b.add_remedy("inputs", "dependencies", "t"), "already defined"),
        (lambda b: b.add_remedy("inputs", 3, "t"), "lower_snake_case"),
    ],
)
def test_builder_rejects_bad_ids(action, match: str) -> None:  # type: ignore[no-untyped-def]
    builder = TaxonomyBuilder(DEFAULT_TAXONOMY)
    with pytest.raises(InvalidArgument, match=match):
        action(builder)


def test_builder_extends_and_json_round_trips() -> None:
    builder = TaxonomyBuilder(DEFAULT_TAXONOMY)
    builder.add_category("security", "Security", "Attackers arrive")
    builder.add_remedy("security", "authz", "Authorisation", "Every route checks it")
    builder.add_remedy("trust", "toxicity", "Toxicity", "Screened")
    tax = builder.build()
    assert tax.is_category("security") and tax.is_remedy("authz")
    assert tax.remedy("toxicity").category == "trust"
    assert len(tax.remedies) == 17
    assert Taxonomy.from_json(tax.to_json()) == tax


def test_from_json_rejects_malformed_data() -> None:
    with pytest.raises(InvalidArgument, match="categories"):
        Taxonomy.from_json({"nope": 1})
    with pytest.raises(InvalidArgument, match="malformed taxonomy entry"):
        Taxonomy.from_json({"categories": [{"id": "x"}]})

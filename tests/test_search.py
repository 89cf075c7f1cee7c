"""Customer search over the FTS5 trigram index: Chinese and English, substrings, contacts, tags."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.store import customers as cs
from crm_tui.store.lists import CustomerQuery, search_customers


@pytest.fixture
def people(db):
    with db.session() as s:
        hw = cs.create_customer(s, {"name": "上海华为技术有限公司"}, tags="高预算")
        cs.create_contact(s, hw.id, {"name": "张伟", "mobile": "13800138000", "email": "zw@hw.cn"})
        acme = cs.create_customer(s, {"name": "Acme Robotics Ltd."})
        cs.create_contact(s, acme.id, {"name": "Emily Chen", "email": "emily@acme.com"})
        cs.create_customer(s, {"name": "北京明远科技"})
    with db.reading() as conn:
        yield conn


@pytest.mark.parametrize(
    "query, expected",
    [
        ("华为技术", ["上海华为技术有限公司"]),  # substring in the middle of a Chinese name
        ("华为", ["上海华为技术有限公司"]),  # two characters: still a substring match
        ("robot", ["Acme Robotics Ltd."]),  # case-insensitive English substring
        ("emily", ["Acme Robotics Ltd."]),  # a contact's name finds the customer
        ("138001", ["上海华为技术有限公司"]),  # a phone fragment
        ("acme.com", ["Acme Robotics Ltd."]),  # an email
        ("高预算", ["上海华为技术有限公司"]),  # a tag
        ("北", ["北京明远科技"]),  # one character: name prefix
        ("张伟", ["上海华为技术有限公司"]),  # a two-character contact name
        ("预算", ["上海华为技术有限公司"]),  # ... or part of a tag (高预算)
        ("华为 预算", ["上海华为技术有限公司"]),
        ("acme ro", ["Acme Robotics Ltd."]),  # every word counts, the short one too
        ("acme 华为", []),  # ... so two words from two customers find neither
        ("明远 北京", ["北京明远科技"]),  # two short words, in any order
        ("nothing here", []),
        # two letters and digits also start a code (C2026…): typing a code never empties
        # the list at its second character
        ("c2", ["Acme Robotics Ltd.", "北京明远科技", "上海华为技术有限公司"]),
        ("acme C2", ["Acme Robotics Ltd."]),
        ("c3", []),
        # a number read off a card with separators finds it by its digits; punctuation
        # pasted around a word does not count
        ("138-0013-8000", ["上海华为技术有限公司"]),
        ("(138)0013.8000", ["上海华为技术有限公司"]),
        ("acme,", ["Acme Robotics Ltd."]),
        ("华为，", ["上海华为技术有限公司"]),
    ],
)
def test_search_finds_by_substring(people, query, expected):
    assert [r["name"] for r in search_customers(people, query)] == expected


def test_query_counts_filters_and_pages(people):
    q = CustomerQuery(people, sort="name")
    assert q.count() == 3
    # by name: Chinese names by pinyin (北京 "b" before 上海 "s"), among the Latin ones
    assert [r[2] for r in q.fetch(0, 2)] == ["Acme Robotics Ltd.", "北京明远科技"]
    assert [r[2] for r in q.fetch(2, 2)] == ["上海华为技术有限公司"]
    assert CustomerQuery(people, level="A").count() == 0


def test_search_syntax_characters_are_harmless(people):
    for text in ['"', "a*b", "NEAR(", "'; DROP TABLE customer; --", "%%", "__"]:
        CustomerQuery(people, search=text).fetch(0, 10)  # no exception


def test_a_phone_typed_with_separators_is_found_by_its_digits(db):
    """`+86 138-0013-8000` on a card is found as the rep reads it off a caller ID, by a
    form, an import and the rebuilt index alike."""
    from crm_tui.store import sqlite as sq
    from crm_tui.store.importing import import_file

    with db.session() as s:
        c = cs.create_customer(s, {"name": "Typed Co"})
        cs.create_contact(s, c.id, {"name": "Ann", "mobile": "+86 138-0013-8000"})
    csv_file = db.path.parent / "c.csv"
    csv_file.write_text("name,contact_phone\nImported Co,(010) 6543-2109\n", encoding="utf-8")
    assert import_file(db.path, "customers", csv_file).committed
    with db.reading() as conn:
        for text, name in (("13800138000", "Typed Co"), ("138-0013", "Typed Co"),
                           ("01065432109", "Imported Co"), ("6543-21", "Imported Co")):  # fmt: skip
            assert [r["name"] for r in search_customers(conn, text)] == [name], text
        before = conn.execute("SELECT rowid, phones FROM customer_search ORDER BY rowid").fetchall()
    with db.reading() as conn:  # the import wrote what a rebuild writes
        sq.reindex_customers(conn, [row[0] for row in before])
        conn.commit()
        after = conn.execute("SELECT rowid, phones FROM customer_search ORDER BY rowid").fetchall()
    assert after == before


_NOV_1 = dt.datetime(2026, 11, 1, 10, 0)


@pytest.mark.parametrize("sort", ["name", "last_interaction", "total_amount"])
@pytest.mark.parametrize("search", ["", "acme", "c2"])
def test_a_customers_position_is_its_row_in_the_view(db, sort, search):
    """Where a new customer lands in the list (the cursor goes there): the row the view's
    own order gives it, ties, NULLs and case included; None when the view leaves it out."""
    with db.session() as s:
        for name, last, cents in [
            ("acme b", _NOV_1, 500), ("Acme A", None, 0), ("ACME a", None, 500),
            ("Beta", _NOV_1 + dt.timedelta(days=1), 0), ("acme c", _NOV_1, 0),
        ]:  # fmt: skip
            c = cs.create_customer(s, {"name": name})
            c.last_interaction_at, c.total_amount_cents = last, cents
            s.add(c)
    with db.reading() as conn:
        view = CustomerQuery(conn, search=search, sort=sort)
        rows = [r[0] for r in view.fetch(0, 100)]
        assert rows, "the view shows someone"
        for index, cid in enumerate(rows):
            assert view.position(cid) == index
        others = {r[0] for r in conn.execute("SELECT id FROM customer")} - set(rows)
        for cid in others:
            assert view.position(cid) is None


def test_names_are_listed_in_pinyin_order_among_latin_names(db):
    """The list ordered names by code point: 上海 before 北京 before 阿里, an order no
    reader knows. Chinese names now file under their pinyin initial, beside Latin ones;
    one letter typed still finds only names starting with it; position() agrees."""
    names = ["张伟贸易", "bosch", "阿里巴巴", "Zeta Ltd", "陈氏五金", "Acme", "李宁", "王府井",
             "重庆钢铁", "楚天科技"]  # fmt: skip
    with db.session() as s:
        ids = {n: cs.create_customer(s, {"name": n}).id for n in names}
    with db.reading() as conn:
        q = CustomerQuery(conn, sort="name")
        listed = [r[2] for r in q.fetch(0, 20)]
        assert listed == [
            "Acme",
            "阿里巴巴",
            "bosch",
            "陈氏五金",
            "重庆钢铁",
            "楚天科技",
            "李宁",
            "王府井",
            "Zeta Ltd",
            "张伟贸易",
        ]  # fmt: skip  (重庆 is chóngqìng: after chen, before chu; not under z)
        assert [q.position(ids[n]) for n in listed] == list(range(len(listed)))
        assert [r[2] for r in CustomerQuery(conn, search="a", sort="name").fetch(0, 20)] == ["Acme"]
        assert [r[2] for r in CustomerQuery(conn, search="阿", sort="name").fetch(0, 20)] == [
            "阿里巴巴"
        ]
        renamed = ids["Zeta Ltd"]
    with db.session() as s:
        cs.update_customer(s, renamed, {"name": "安徽电力"})
    with db.reading() as conn:
        assert [r[2] for r in CustomerQuery(conn, sort="name").fetch(0, 3)] == [
            "Acme", "阿里巴巴", "安徽电力",  # (a before an)
        ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "scans"),
    [("l", False), ("li", True), ("lin", False), ("华为", True), ("acme ro", True),
     ("acme robot", False), ("", False), ("  a ", False)],
)  # fmt: skip
def test_a_search_says_whether_it_reads_every_name(people, text, scans):
    """The list waits for a pause in typing only before a search that scans names (a word
    too short for the trigram index): "li" on the way to "lin" made the keys wait."""
    assert CustomerQuery(people, search=text).scans_names is scans

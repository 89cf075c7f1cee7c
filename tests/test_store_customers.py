"""Customer and contact commands: validation, codes, tags, completeness, conflicts, deletes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from crm_tui.store import customers as cs
from crm_tui.store.common import ConflictError
from crm_tui.store.models import Contact, Customer
from crm_tui.store.validation import ValidationError


def test_only_the_name_is_required(session):
    c = cs.create_customer(session, {"name": "  Acme Robotics Ltd.  "})
    assert c.id and c.name == "Acme Robotics Ltd."
    assert c.status == "active" and c.kind == "company"
    assert c.name_norm == "acmerobotics"
    with pytest.raises(ValidationError) as err:
        cs.create_customer(session, {"name": "   "})
    assert err.value.field == "name"


def test_codes_are_dated_and_sequential(session):
    today = dt.date.today()
    first = cs.create_customer(session, {"name": "A"})
    second = cs.create_customer(session, {"name": "B"})
    assert first.code == f"C{today:%Y%m%d}001"
    assert second.code == f"C{today:%Y%m%d}002"


def test_enumerations_accept_chinese_labels_and_refuse_unknown(session):
    c = cs.create_customer(session, {"name": "明远", "level": "A 战略客户", "industry": "制造业"})
    assert (c.level, c.industry) == ("A", "manufacturing")
    for label, key in (
        ("战略客户", "A"),
        ("重要客户", "B"),
        ("普通客户", "C"),
        ("潜在客户", "D"),
        ("Ａ", "A"),
        ("ｂ", "B"),
    ):  # (full width, as a Chinese input method types)
        assert cs.create_customer(session, {"name": "X", "level": label}).level == key
    with pytest.raises(ValidationError) as err:
        cs.create_customer(session, {"name": "X", "level": "Z"})
    assert err.value.field == "level"


def test_budget_is_exact_cents(session):
    c = cs.create_customer(session, {"name": "A", "budget_cents": "1,234,567.89"})
    assert c.budget_cents == 123456789
    for bad in ("12.345", "-5", "abc"):
        with pytest.raises(ValidationError):
            cs.create_customer(session, {"name": "A", "budget_cents": bad})


@pytest.mark.parametrize(
    "text",
    [
        "身份证 11010519491231002X",
        "card 4111 1111 1111 1111",
        "6222021234567890128",
    ],
)
def test_national_id_and_bank_card_numbers_are_refused(session, text):
    with pytest.raises(ValidationError) as err:
        cs.create_customer(session, {"name": "A", "needs": text})
    assert err.value.field == "needs"
    assert "must not store" in err.value.message
    assert len(session.exec(select(Customer)).all()) == 0


def test_phone_numbers_and_order_numbers_are_not_mistaken_for_ids(session):
    c = cs.create_customer(
        session, {"name": "A", "needs": "call 13800138000 about SO2026112300001"}
    )
    assert c.id


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("name", "测试公司ID110101199003074514"),  # letters right before it
        ("region", "110101199003074514".translate(_FULL_WIDTH)),  # an IME's full-width digits
        ("region", "11010519491231002Ｘ"),  # full-width check letter
        ("needs", "4111.1111.1111.1111"),  # dots between the groups
        ("needs", "acct6222021234567890128"),
        ("needs", "card 4111\u30001111\u30001111\u30001111"),  # ideographic spaces
        ("needs", "4111－1111－1111－1111"),  # full-width hyphens
        ("needs", "4111–1111–1111–1111"),  # en dashes
        ("owner", "１１０１０５ １９４９１２３１ ００２X"),
    ],
)
def test_id_and_card_numbers_are_refused_however_typed(session, field, text):
    with pytest.raises(ValidationError) as err:
        cs.create_customer(session, {"name": "A", field: text} if field != "name" else
                           {"name": text})  # fmt: skip
    assert err.value.field == field
    assert "must not store" in err.value.message


@pytest.mark.parametrize(
    "text",
    [
        "+86 138 0013 8000",
        "0086 138-0013-8000 / 010-8888 1234",
        "13800138000 13900139000",  # two mobiles
        "１３８００１３８０００",
        "order SO2026112312345 of 1,234,567.89 on 2026.11.23",
        "C20261123001; v1.2.3.4",
        "12345678.90",
    ],
)
def test_phones_amounts_and_codes_still_pass(session, text):
    assert cs.create_customer(session, {"name": "A", "needs": text}).needs == text


def test_a_first_contact_cannot_be_in_the_future(session):
    """明天 (tomorrow) saved as the first contact of a customer met months ago."""
    today = dt.date.today()
    for text in ("明天", "tomorrow", (today + dt.timedelta(days=1)).isoformat()):
        with pytest.raises(ValidationError) as err:
            cs.create_customer(session, {"name": "A", "first_contact": text})
        assert err.value.field == "first_contact"
        assert err.value.message.startswith("The first contact cannot be in the future")
    assert cs.create_customer(session, {"name": "A", "first_contact": "today"}).first_contact == (
        today
    )


def test_an_import_rejects_a_first_contact_in_the_future(db, tmp_path):
    from crm_tui.store.importing import import_file

    today = dt.date.today()
    csv_file = tmp_path / "c.csv"
    tomorrow = today + dt.timedelta(days=1)
    csv_file.write_text(f"name,first_contact\nLater Co,{tomorrow}\nEarlier Co,2026-01-05\n")
    result = import_file(db.path, "customers", csv_file)
    assert result.imported == 1 and [n.line for n in result.rejected] == [2]
    assert "first contact cannot be in the future" in result.rejected[0].message


def test_in_chinese_a_future_date_is_not_called_today(session):
    """ "不能晚于今天（2026-12-01）" read as if today were the date typed."""
    from crm_tui.i18n import set_language

    later = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    set_language("zh")
    try:
        with pytest.raises(ValidationError) as err:
            cs.create_customer(session, {"name": "A", "first_contact": later})
        assert err.value.message == f"首次接触日期不能是将来的日期（{later}）"
        c = cs.create_customer(session, {"name": "A"})
        with pytest.raises(ValidationError) as err:
            cs.create_contact(session, c.id, {"name": "B", "birthday": later})
        assert err.value.message == f"生日不能是将来的日期（{later}）"
    finally:
        set_language("en")


def test_a_birthday_cannot_be_in_the_future(session):
    c = cs.create_customer(session, {"name": "A"})
    today = dt.date.today()
    for text in ("+3d", (today + dt.timedelta(days=1)).isoformat()):
        with pytest.raises(ValidationError) as err:
            cs.create_contact(session, c.id, {"name": "B", "birthday": text})
        assert err.value.field == "birthday"
        assert err.value.message.startswith("A birthday cannot be in the future")
    assert cs.create_contact(session, c.id, {"name": "B", "birthday": "today"}).birthday == today
    one = cs.create_contact(session, c.id, {"name": "C", "birthday": "1985-06-14"})
    assert one.birthday == dt.date(1985, 6, 14)


def test_bad_date_is_a_field_error(session):
    with pytest.raises(ValidationError) as err:
        cs.create_customer(session, {"name": "A", "first_contact": "someday"})
    assert err.value.field == "first_contact"


def test_every_bad_field_is_reported_at_once(session):
    with pytest.raises(ValidationError) as err:
        cs.create_customer(
            session, {"name": "Bad Co", "first_contact": "someday", "budget_cents": "lots",
                      "level": "Z"},
        )  # fmt: skip
    assert [field for field, _message in err.value.errors] == [
        "first_contact", "budget_cents", "level",
    ]  # fmt: skip
    assert (err.value.field, err.value.message) == err.value.errors[0]
    assert cs.find_customer(session, "Bad Co") is None


def test_a_control_character_is_refused(session):
    with pytest.raises(ValidationError) as err:
        cs.create_customer(session, {"name": "NUL\x00 Co"})
    assert err.value.field == "name"
    assert cs.create_customer(session, {"name": "Fine", "needs": "one\ntwo\tthree"}).needs


def test_tags_are_split_and_deduplicated(session):
    c = cs.create_customer(session, {"name": "A"}, tags="高预算；风险客户;高预算, VIP、老客户")
    assert cs.customer_tags(session, c.id) == sorted(["高预算", "风险客户", "VIP", "老客户"])


def test_first_contact_becomes_primary_and_decision_maker_is_linked(session):
    c = cs.create_customer(session, {"name": "A"})
    one = cs.create_contact(session, c.id, {"name": "张伟", "mobile": "13800138000"})
    two = cs.create_contact(session, c.id, {"name": "Emily", "role": "决策者"})
    assert c.primary_contact_id == one.id
    assert c.decision_maker_id == two.id
    with pytest.raises(ValidationError) as err:
        cs.create_contact(session, c.id, {"name": "Bad", "email": "not-an-email"})
    assert err.value.field == "email"


def test_a_contact_form_stores_full_width_phones_and_emails_in_ascii(session):
    """A phone or email typed with a Chinese input method on is what it is in ASCII (the
    duplicate checks compare ASCII digits); other scripts' digits are no phone's."""
    c = cs.create_customer(session, {"name": "A"})
    k = cs.create_contact(
        session,
        c.id,
        {
            "name": "张伟",
            "mobile": "　１３８ ００１３ ８０００",
            "phone": "（０１０）１２３４－５６７８",
            "email": "ｚｈａｎｇ＠ｅｘａｍｐｌｅ。ｃｏｍ",
        },
    )
    assert (k.mobile, k.phone, k.email) == ("138 0013 8000", "(010)1234-5678", "zhang@example.com")
    with pytest.raises(ValidationError) as err:
        cs.create_contact(session, c.id, {"name": "B", "mobile": "١٣٨٠٠١٣٨٠٠٠"})
    assert (err.value.field, err.value.message) == ("mobile", "Not a phone number: “١٣٨٠٠١٣٨٠٠٠”")


def test_completeness_counts_the_template_fields(session):
    c = cs.create_customer(session, {"name": "A"})
    # name, kind and status are always present: 3 of 16 fields.
    assert cs.profile_completeness(c) == round(100 * 3 / 16)
    cs.update_customer(session, c.id, {"level": "B", "industry": "retail", "owner": "me"})
    assert cs.profile_completeness(c) == round(100 * 6 / 16)


def test_update_refuses_a_record_changed_elsewhere(session):
    c = cs.create_customer(session, {"name": "A"})
    version = c.version
    cs.update_customer(session, c.id, {"level": "A"}, expected_version=version)
    with pytest.raises(ConflictError) as err:
        cs.update_customer(session, c.id, {"level": "C"}, expected_version=version)
    assert err.value.fresh.level == "A"


def test_delete_customer_removes_contacts_and_search_row(db, session):
    c = cs.create_customer(session, {"name": "上海华为技术有限公司"})
    cs.create_contact(session, c.id, {"name": "张伟"})
    session.commit()
    cs.delete_customer(session, c.id)
    session.commit()
    assert len(session.exec(select(Contact)).all()) == 0
    with db.reading() as conn:
        assert conn.execute("SELECT count(*) FROM customer_search").fetchone()[0] == 0


def test_delete_contact_clears_primary(session):
    c = cs.create_customer(session, {"name": "A"})
    one = cs.create_contact(session, c.id, {"name": "张伟"})
    cs.delete_contact(session, one.id)
    assert c.primary_contact_id is None


def test_a_too_long_text_says_how_long_it_is():
    """A pasted memo has no visible length: "at most 10,000" alone left the rep guessing."""
    from crm_tui.store.validation import check_text

    with pytest.raises(ValidationError) as err:
        check_text("notes", "x" * 15_000, max_len=10_000)
    assert err.value.message == "Too long: 15,000 characters (at most 10,000)"
    assert check_text("notes", "x" * 10_000, max_len=10_000) == "x" * 10_000


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x","Acme")', "@SUM(1)", "+cmd|' /C calc'!A0", "-cmd", "=A1"]
)
def test_a_value_starting_as_a_spreadsheet_formula_is_refused(session, text):
    """Exported, it would run in the spreadsheet that opens the file (CSV injection):
    refused where it comes in, so exports write every value as it is and stay safe."""
    with pytest.raises(ValidationError) as err:
        cs.create_customer(session, {"name": "Acme", "needs": text})
    assert err.value.field == "needs" and "spreadsheet formula" in err.value.message


@pytest.mark.parametrize(
    "text", ["+86 138 0013 8000", "-5 %", "- first item", "==== notes", "@ 3pm"]
)
def test_a_sign_before_a_digit_or_a_space_is_not_a_formula(session, text):
    assert cs.create_customer(session, {"name": "Acme", "needs": text}).needs == text

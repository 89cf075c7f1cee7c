"""The rules every form and every import row share: sensitive numbers, money, emails, phones, enums.

A failed rule raises :class:`ValidationError` naming the field, with a message
that can be shown to the user as it is.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from crm_tui.dates import half_width
from crm_tui.i18n import _

#: What may stand between the digits of an ID or card number: spaces, dots and dashes,
#: with every character NFKC makes one of those (no-break and ideographic spaces,
#: full-width "．" and "－" …) and the typographic dashes (‐ ‑ ‒ – — −).
_SEPARATORS = (
    " .\\-\u00a0\u2000-\u200a\u202f\u205f\u3000\u2024\ufe52\uff0e\ufe63\uff0d\u2010-\u2014\u2212"
)
#: Thirteen characters of digits (any script, full-width too) and separators starting
#: with a digit: every number the ID / bank card rule refuses contains one, so a text
#: without it is never refused (check_no_sensitive_numbers, and the import's fast path).
SENSITIVE_SCREEN = re.compile(rf"\d[\d{_SEPARATORS}]{{12}}")
SCREEN_LENGTH = 13
#: 13 to 20 digits, one separator at most between two (in NFKC text). Letters may touch
#: it ("ID110105…", "acct6222…"): only more digits would make it another number.
_DIGIT_RUN = re.compile(rf"(?<!\d)\d(?:[{_SEPARATORS}]?\d){{12,18}}[\dXx]?(?!\d)")
_NOT_DIGIT = re.compile(r"[^\dXx]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
#: What no value typed or exported by a spreadsheet holds (tab and line ends aside).
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: A number as Excel shows (and saves to CSV) one too long for its column: 2.02511E+11,
#: 1E+11, 2,02511E+11 in a comma-decimal locale; without a point only with the
#: exponent's sign (2E10 may be a code someone chose).
_SCIENTIFIC = re.compile(r"[+-]?\d(?:[.,]\d+[eE][+-]?|[eE][+-])\d{1,3}")
#: ASCII digits only (the full-width ones are made ASCII first, any other script's are
#: no phone's): ``\d`` let ``１３９…`` through as typed, and the duplicate checks, which
#: compare ASCII digits, missed it.
_PHONE = re.compile(r"^\+?[0-9\s\-()]{5,24}$")
_NOT_ASCII_DIGIT = re.compile(r"[^0-9]")
#: What check_email and check_phone make ASCII: the full-width forms a Chinese input
#: method types (１３９, ＠, ｃｏｍ) and the ideographic space (dates.half_width).
WIDE_FORMS = re.compile("[\u3000\u3002\uff01-\uff5e]")
#: An email typed with the input method on: its full stop (。) is the dot.
_EMAIL_DOT = {0x3002: "."}


class ValidationError(ValueError):
    """A value a form or import row may not hold; ``field`` names where it was.

    ``errors`` lists every (field, message) found at once (the first is ``field`` and
    ``message``), so that a form can show them all instead of one per save."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.errors: list[tuple[str, str]] = [(field, message)]

    @classmethod
    def of(cls, errors: list[ValidationError]) -> ValidationError:
        """One error that carries all of ``errors`` (at least one)."""
        first = errors[0]
        combined = cls(first.field, first.message)
        combined.errors = [pair for e in errors for pair in e.errors]
        return combined


def check_happened(field: str, when: dt.datetime, now: dt.datetime, advice: str = "") -> None:
    """Refuse a record of something that has happened (an interaction, a task's completion)
    dated after ``now`` (later today too): a later day is a typo (+3d for -3d) or a plan,
    and would move the customer's last contact into the future. Forms and imports both
    ask this; ``advice`` (a sentence) follows the reason."""
    if when > now:
        message = _("{when} is in the future: only what has happened can be recorded").format(
            when=f"{when:%Y-%m-%d %H:%M}"
        )
        if advice:
            message = _("{reason}. {advice}").format(reason=message, advice=advice)
        raise ValidationError(field, message)


def check_closed_after_creation(field: str, close: dt.date, created: dt.date) -> None:
    """A deal closes on or after the day it was created: before, the funnel's sales cycle
    would go negative. Asked of an imported deal whose file gives both dates; the forms
    let a deal closed long ago be entered today (created now), and the funnel leaves
    such a deal's cycle out."""
    if close < created:
        raise ValidationError(
            field,
            _("{date} is before the deal was created ({created})").format(
                date=close, created=created
            ),
        )


def _plausible_birth(yyyy: str, mm: str, dd: str) -> bool:
    try:
        y, m, d = int(yyyy), int(mm), int(dd)
    except ValueError:
        return False
    return 1900 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31


def is_national_id(digits: str) -> bool:
    """A mainland China resident ID number: 18 characters with a valid check digit, or 15 digits."""
    d = digits.upper()
    if len(d) == 18 and d[:17].isdigit():
        total = sum(int(c) * w for c, w in zip(d[:17], _ID_WEIGHTS, strict=True))
        return _ID_CHECK[total % 11] == d[17] and _plausible_birth(d[6:10], d[10:12], d[12:14])
    if len(d) == 15 and d.isdigit():
        return _plausible_birth("19" + d[6:8], d[8:10], d[10:12])
    return False


def is_bank_card(digits: str) -> bool:
    """A 16–19 digit number passing the Luhn check."""
    if not (16 <= len(digits) <= 19 and digits.isdigit()):
        return False
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def check_no_sensitive_numbers(field: str, value: str | None) -> None:
    """Refuse national ID card and bank card numbers (DOMAIN.md, data rules)."""
    if not value or len(value) < SCREEN_LENGTH or SENSITIVE_SCREEN.search(value) is None:
        return
    # full-width digits (what a Chinese IME types) and "Ｘ" are the ASCII ones then
    text = unicodedata.normalize("NFKC", value)
    for match in _DIGIT_RUN.finditer(text):
        digits = "".join(
            c if c in "0123456789Xx" else str(unicodedata.decimal(c))
            for c in _NOT_DIGIT.sub("", match.group(0))
        )
        if is_national_id(digits):
            raise ValidationError(
                field, _("Looks like a national ID number; the CRM must not store ID numbers")
            )
        if is_bank_card(digits):
            raise ValidationError(
                field, _("Looks like a bank card number; the CRM must not store card numbers")
            )


def one_line(text: str) -> str:
    """Text of several lines as one: its lines joined by a space, or by nothing between
    two Chinese characters (深圳明亮 / 贸易有限公司 is one name, not two words); a tab
    (pasted from a spreadsheet) is a space, as it shifted the lists' columns."""
    lines = [line.replace("\t", " ").strip() for line in text.splitlines()]
    out = ""
    for line in filter(None, lines):
        wide = out and _is_wide(out[-1]) and _is_wide(line[0])
        out += line if not out or wide else " " + line
    return out


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


#: An amount as typed (currency signs and blanks taken out): 1234.5, 1,234.50, .5, -3.
_AMOUNT = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+")


#: What a rep writes after a number for thousands and ten thousands: 50万 (or 50w, as
#: typed without switching the input method), 1.2亿, 30k.
_MULTIPLIERS = {"万": 10_000, "w": 10_000, "亿": 100_000_000, "k": 1_000}


_FULL_WIDTH_MARKS = str.maketrans({"，": ",", "．": "."})


def parse_money(field: str, text: str | int | Decimal | None) -> int | None:
    """Amount text (``12,345.60``, ``¥100``, ``50万``, ``30k``) → integer cents; blank →
    None. No floats anywhere."""
    if text is None:
        return None
    if isinstance(text, int):
        return text * 100
    if isinstance(text, Decimal):
        value = text
    else:
        # (a Chinese input method types the full-width comma and point: 1，000．50)
        cleaned = re.sub(r"[\s¥￥$元]", "", str(text)).translate(_FULL_WIDTH_MARKS)
        if not cleaned:
            return None
        times = _MULTIPLIERS.get(cleaned[-1].lower(), 1)
        if times != 1:
            cleaned = cleaned[:-1]
        # digits, commas only between thousands, a decimal point: Decimal() alone also
        # took 1e3 (1,000), 1_0 (10) and 1,00 (100) as amounts
        if not _AMOUNT.fullmatch(cleaned):
            raise ValidationError(field, _("Not an amount: “{text}”").format(text=text))
        try:
            value = Decimal(cleaned.replace(",", "")) * times
        except InvalidOperation:
            raise ValidationError(field, _("Not an amount: “{text}”").format(text=text)) from None
    if not value.is_finite():
        raise ValidationError(field, _("Not an amount: “{text}”").format(text=text))
    if value < 0:
        raise ValidationError(field, _("An amount cannot be negative"))
    if value > 10**13:  # (before quantize: 28 digits and more overflow Decimal's context)
        raise ValidationError(field, _("Amount too large"))
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(field, _("At most two decimal places"))
    cents = int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if cents > 10**15:
        raise ValidationError(field, _("Amount too large"))
    return cents


def cents_to_decimal(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_amount(cents: int | None) -> str:
    """Plain decimal with a dot and no separators, as CSV files want (``1234.50``)."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def display_amount(cents: int | None, *, fixed: bool = False) -> str:
    """Amount for people with thousands separators: ``12,345`` / ``12,345.50``.

    ``fixed`` always shows two decimals, so right-aligned columns line up.
    """
    if cents is None:
        return ""
    whole, frac = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    return f"{sign}{whole:,}" + (f".{frac:02d}" if frac or fixed else "")


def display_amounts(*amounts: int | None) -> list[str]:
    """Amounts shown together, by one rule: two decimals for all when one of them has
    cents (``9,220.00`` beside ``16,141.50``, not ``9,220``), else none."""
    fixed = any(cents is not None and cents % 100 for cents in amounts)
    return [display_amount(cents, fixed=fixed) for cents in amounts]


def check_email(field: str, value: str | None) -> str | None:
    """An email address, trimmed; typed full-width (``ｗａｎｇ＠ｅｘａｍｐｌｅ。ｃｏｍ``, as
    a Chinese input method types it) it is stored in ASCII, so that the duplicate checks
    find it (a Chinese domain name stays as it is)."""
    if value is None or not value.strip():
        return None
    typed = value = value.strip()
    if not value.isascii():
        value = half_width(value).translate(_EMAIL_DOT).strip()
    if not _EMAIL.match(value):
        raise ValidationError(field, _("Not an email address: “{text}”").format(text=typed))
    check_no_sensitive_numbers(field, value)  # an ID number as a QQ mailbox's name
    return value


def check_not_scientific(field: str, value: str) -> None:
    """ValidationError when ``value`` (trimmed) is a number Excel turned into scientific
    notation (``2.02511E+11``): its digits are gone, and a phone or order number kept
    so would be wrong, or, as an order number, the same as another order's."""
    if _SCIENTIFIC.fullmatch(value):
        raise ValidationError(
            field,
            _(
                "Excel turned the number into scientific notation (“{text}”) and its digits"
                " are lost: type the whole number (in Excel, format the column as Text first)"
            ).format(text=value),
        )


def check_phone(field: str, value: str | None) -> str | None:
    """A phone number, trimmed; typed full-width (``１３９１２３４５６７８``, ``（０１０）``) it
    is stored in ASCII, so that the duplicate checks and the mobile rule of the imports
    (which read ASCII digits) see it; digits of other scripts are refused."""
    if value is None or not value.strip():
        return None
    typed = value = value.strip()
    if not value.isascii():
        value = half_width(value).strip()
    check_not_scientific(field, value)
    # an ID number (…X) is no phone number either, but the rep must hear why it is refused
    check_no_sensitive_numbers(field, value)
    digits = _NOT_ASCII_DIGIT.sub("", value)
    if not _PHONE.match(value) or not 5 <= len(digits) <= 20:
        raise ValidationError(field, _("Not a phone number: “{text}”").format(text=typed))
    if CONTROL_CHARACTER.search(value):
        raise ValidationError(field, _("A control character (such as NUL) in the value"))
    return value


def check_choice(
    field: str, vocabulary, value: str | None, *, required: bool = False
) -> str | None:
    """Map a key or either language's label to the key; unknown values are an error."""
    if value is None or not str(value).strip():
        if required:
            raise ValidationError(field, _("Required"))
        return None
    key = vocabulary.parse(str(value))
    if key is None:
        allowed = ", ".join(vocabulary.keys)
        raise ValidationError(
            field,
            _("Unknown value “{text}” (one of: {allowed})").format(text=value, allowed=allowed),
        )
    return key


def check_text(
    field: str, value: str | None, *, required: bool = False, max_len: int = 2000
) -> str | None:
    """Trim; blank → None (or an error when required); refuse sensitive numbers and huge text."""
    if value is None or not str(value).strip():
        if required:
            raise ValidationError(field, _("Required"))
        return None
    value = str(value).strip()
    if len(value) > max_len:
        raise ValidationError(  # (how long it is: a pasted memo has no visible length)
            field,
            _("Too long: {length} characters (at most {n})").format(
                length=f"{len(value):,}", n=f"{max_len:,}"
            ),
        )
    if CONTROL_CHARACTER.search(value):
        raise ValidationError(field, _("A control character (such as NUL) in the value"))
    if value[0] in FORMULA_MARKS and FORMULA_START.match(value):
        raise ValidationError(
            field,
            _(
                "Starts as a spreadsheet formula does (“{start}…”): a spreadsheet opening"
                " an export would run it"
            ).format(start=value[:2]),
        )
    check_no_sensitive_numbers(field, value)
    return value


#: What a spreadsheet runs as a formula when a CSV cell starts with it (=A1, =HYPERLINK(…),
#: @SUM(…), +cmd|…, -cmd|…): refused at the door, so every export stays safe to open in
#: Excel and still writes each value as it is (an export imports back unchanged). A sign
#: before a digit (+86 138…, -5) or a space (- item) is not one.
FORMULA_MARKS = "=+-@"
FORMULA_START = re.compile(r"=[\w(]|[@+\-](?:[^\W\d_]|\()")


#: Company-form words a name may end with, as normalise_name compares them (lower case,
#: punctuation as single spaces): a Latin one only as a word of its own ("Zinc" keeps
#: its "inc"), a Chinese one anywhere ("华为技术有限公司").
_SUFFIXES = (
    "股份有限公司", "有限责任公司", "有限公司", "集团", "公司", "co ltd", "company limited",
    "limited", "ltd", "inc", "corporation", "corp", "llc", "gmbh", "co",
)  # fmt: skip
_NON_WORD = re.compile(r"[\W_]+")


def normalise_name(name: str) -> str:
    """Name key for duplicate detection: case, full/half width, spaces, punctuation and
    brackets, company-form endings ("Acme Co., Ltd.", "ACME co ltd", "Acme GmbH.",
    "华为技术（有限公司）" all give the key of "Acme" / "华为技术")."""
    n = _NON_WORD.sub(" ", unicodedata.normalize("NFKC", name).lower()).strip()
    while n.endswith(_SUFFIXES):
        for suffix in _SUFFIXES:
            size = len(suffix)
            if (
                n.endswith(suffix)
                and len(n) > size
                and (n[-size - 1] == " " or not suffix.isascii())
            ):
                n = n[:-size].rstrip()
                break
        else:
            break
    return n.replace(" ", "")

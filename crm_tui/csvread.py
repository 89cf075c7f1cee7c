"""Reading CSV files people bring: encoding and delimiter detection, English or Chinese headers."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from crm_tui.i18n import _, os_problem
from crm_tui.store.validation import CONTROL_CHARACTER

#: A deal named by a task or interaction, and when it was created (tells apart deals of one name).
_OPPORTUNITY = ("销售机会", "商机", "机会名称", "机会")
_OPPORTUNITY_CREATED = ("机会创建时间",)

#: The columns each import kind understands: column name → extra header spellings (Chinese labels).
KIND_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "name": ("客户名称", "客户", "名称", "公司名称", "customer", "customer_name"),
        "code": ("客户编号", "编号", "customer_code"),
        "kind": ("客户类型", "类型", "type"),
        "industry": ("行业分类", "行业"),
        "size": ("企业规模", "规模"),
        "registered_address": ("注册地址",),
        "business_address": ("经营地址",),
        "address": ("地址", "联系地址"),
        "region": ("地区", "区域", "省/市", "省市"),
        "source": ("客户来源", "来源"),
        "first_contact": ("首次接触日期", "首次接触"),
        "level": ("客户等级", "等级"),
        "status": ("客户状态", "状态"),
        "needs": ("主要需求", "需求"),
        "budget": ("预算范围", "预算"),
        "purchase_date": ("采购时间", "采购日期"),
        "tags": ("标签", "tag"),
        "owner": ("负责销售", "负责人", "销售"),
        "contact_name": ("联系人", "主要联系人", "联系人姓名", "contact"),
        "contact_title": ("联系人职位", "职位"),
        # a landline and a mobile, as a Chinese sheet heads them (客户名称,电话,手机): both
        # columns are read (手机 was a second 电话 column, and its numbers were lost)
        "contact_phone": (
            "联系电话",
            "电话",
            "联系人电话",
            "座机",
            "固定电话",
            "办公电话",
            "phone",
        ),
        "contact_mobile": ("手机", "手机号", "手机号码", "移动电话", "联系人手机", "mobile"),
        "contact_email": ("联系人邮箱", "邮箱", "电子邮件", "email", "e_mail"),
        "created_at": ("创建时间", "创建日期", "created"),
    },
    "contacts": {
        "customer": ("客户", "客户名称", "公司名称"),
        "customer_code": ("客户编号",),
        "name": ("姓名", "联系人", "联系人姓名", "contact"),
        "title": ("职位",),
        "department": ("部门",),
        "role": ("角色",),
        "gender": ("性别",),
        "phone": ("电话", "办公电话", "座机", "固定电话"),
        "mobile": ("手机", "手机号", "手机号码", "移动电话"),
        "email": ("邮箱", "电子邮件", "e_mail"),
        "wechat": ("微信号", "微信"),
        "birthday": ("生日",),
        "preferred_channel": ("沟通偏好",),
        "relationship": ("关系程度", "关系"),
        "notes": ("备注",),
        "owner": ("负责销售", "负责人"),
    },
    "opportunities": {
        "customer": ("客户", "客户名称"),
        "customer_code": ("客户编号",),
        "name": ("机会名称", "商机名称", "销售机会", "名称", "opportunity"),
        "contact": ("联系人", "主要联系人"),
        "product": ("产品/服务", "产品", "产品服务"),
        "amount": ("预计金额", "金额"),
        "expected_close": ("预计成交日期",),
        "stage": ("销售阶段", "阶段"),
        "probability": ("成交概率", "概率"),
        "competitor": ("竞争对手",),
        "strengths": ("优势",),
        "weaknesses": ("劣势",),
        "key_success_factors": ("关键成功因素",),
        "risks": ("风险因素", "风险"),
        "risk_flag": ("风险预警",),
        "next_action": ("下一步行动",),
        "next_action_due": ("计划完成日期",),
        "actual_close": ("实际成交日期",),
        "lost_reason": ("输单原因",),
        "created": ("创建时间", "创建日期", "created_at"),
    },
    "interactions": {
        "customer": ("客户", "客户名称"),
        "customer_code": ("客户编号",),
        "when": ("互动时间", "日期", "occurred_at"),
        # the time of day beside a date column (日期 2026/11/5, 时间 14:30), as a task's
        # due_time is; a 时间 column alone is the date and time (STANDS_IN)
        "time": ("时间",),
        "channel": ("互动方式", "方式"),
        "contact": ("联系人",),
        "location": ("地点",),
        "our_people": ("我方人员", "我方参与人员"),
        "their_people": ("客户方人员", "对方人员", "客户参与人员"),
        "subject": ("主题",),
        "content": ("内容",),
        "feedback": ("客户反馈", "反馈"),
        "attitude": ("客户态度", "态度"),
        "key_facts": ("关键信息点",),
        "next_step": ("后续行动", "下一步"),
        "next_step_due": ("后续行动日期", "计划完成日期"),
        "opportunity": _OPPORTUNITY,
        "opportunity_created": _OPPORTUNITY_CREATED,
    },
    "tasks": {
        "title": ("任务", "标题", "任务名称", "主题"),
        "due": ("截止日期", "到期日", "计划日期", "日期"),
        "due_time": ("时间",),
        "customer": ("客户", "客户名称"),
        "customer_code": ("客户编号",),
        "type": ("类型", "任务类型"),
        "status": ("状态",),
        "goal": ("目标",),
        "notes": ("备注",),
        "result": ("结果",),
        "contact": ("联系人",),
        "opportunity": _OPPORTUNITY,
        "opportunity_created": _OPPORTUNITY_CREATED,
        "completed_at": ("完成时间", "完成日期", "completed"),
    },
    "orders": {
        "customer": ("客户", "客户名称"),
        "customer_code": ("客户编号",),
        "date": ("成交日期", "日期", "订单日期", "order_date"),
        "amount": ("成交金额", "金额", "订单金额"),
        "product": ("产品", "产品/服务"),
        "order_no": ("订单号", "订单编号", "order_number"),
    },
}

#: A column that, in a file without the column it stands in for, is that column: an
#: interactions file's 时间 alone is its ``when`` (2026/11/5 14:30), beside a 日期
#: column the time of day.
STANDS_IN: dict[str, dict[str, str]] = {"interactions": {"time": "when"}}

#: Columns a file of each kind must have.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("name",),
    "contacts": ("customer|customer_code", "name"),
    "opportunities": ("customer|customer_code", "name"),
    "interactions": ("customer|customer_code", "when", "subject"),
    "tasks": ("title", "due"),
    "orders": ("customer|customer_code", "date", "amount"),
}

DELIMITERS = ",;\t"
#: The delimiter is sniffed from the first 20 lines, found in this much text (usually).
SNIFF_CHARS = 64 * 1024
#: A cell may be this long before the file is refused; long cells are rejected per row instead.
FIELD_LIMIT = 16 * 1024 * 1024


#: How a spreadsheet workbook starts: .xlsx (a zip archive) and the older .xls (OLE2).
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
#: Characters a message never shows as they are: C0 controls (tab and line ends too), DEL
#: and C1 controls. A binary file's "header" is full of them; a terminal obeys some.
_UNSHOWABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(cell: str) -> str:
    """A header cell as a message quotes it: stripped, each control character as U+FFFD."""
    return _UNSHOWABLE.sub("\ufffd", cell.strip())


class CsvError(Exception):
    """The file cannot be read as CSV at all; the message says why (and where)."""


class Unreadable(str):
    """The reason a record could not be read as CSV, as its last cell (see CsvTable.records)."""

    __slots__ = ()


_LINE_END = re.compile(r"\r\n?|\n")


class _LineOffsets:
    """Where physical lines (those of physical_lines()) start in a text, found by
    scanning forward from the last line asked for (lines are asked for in order)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line, self.at = 1, 0  # line ``line`` starts at offset ``at``

    def offset(self, line: int) -> int:
        """The offset where ``line`` (1-based) starts (the text's length past its end)."""
        if line < self.line:  # never in records(); scan from the start again
            self.line, self.at = 1, 0
        text, at = self.text, self.at
        while self.line < line and at < len(text):
            end = _LINE_END.search(text, at)
            at = len(text) if end is None else end.end()
            self.line += 1
        self.at = at
        return at

    def text_of(self, line: int) -> str:
        """The line's text without its line end."""
        start = self.offset(line)
        end = _LINE_END.search(self.text, start)
        return self.text[start : len(self.text) if end is None else end.start()]


@dataclass
class CsvTable:
    """A decoded CSV file: its header, how columns map to fields, and its data records."""

    path: Path
    encoding: str
    delimiter: str
    sha256: str
    header: list[str]
    #: column index → field name, for the recognised columns
    columns: dict[int, str]
    #: header cells that match no field (or repeat one already matched)
    unknown: list[str]
    text: str = field(repr=False)
    header_line: int = 1
    _lines: int | None = field(default=None, repr=False, compare=False)
    #: indexes of the columns whose heading is blank (their values are never read)
    blank: list[int] = field(default_factory=list)
    #: those of them that records() found a value in, so far
    filled: set[int] = field(default_factory=set)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(physical line number where the record starts, cells) for each non-blank data record.

        A quote that is never closed (the rest of the file would become one value), or
        that opens a value running over several lines and then closes in the middle of a
        value, makes the record starting on that line unreadable: it comes as the line's
        text split at the delimiter, padded to the header's width, with an
        :class:`Unreadable` reason as an extra last cell (so importers refuse it as a row
        with too many values), and reading goes on with the next line. A quote closed
        before more text on the same line (``"Acme" Ltd``) is read as spreadsheets read
        it (``Acme Ltd``). A record with a control character in a column the import
        reads comes unreadable too (_refusing_controls).
        """
        records = self._refusing_controls(self._records())
        return self._noting_blank_columns(records) if self.blank else records

    def _noting_blank_columns(
        self, records: Iterator[tuple[int, list[str]]]
    ) -> Iterator[tuple[int, list[str]]]:
        """Records as they are, noting in ``filled`` the columns of a blank heading that
        hold a value: those are reported, not dropped in silence (an empty column, as
        Excel leaves one at the end of a sheet, loses nothing and is not)."""
        left = [i for i in self.blank if i not in self.filled]
        for record in records:
            if left:
                cells = record[1]
                found = [i for i in left if i < len(cells) and cells[i].strip()]
                if found:
                    self.filled.update(found)
                    left = [i for i in left if i not in self.filled]
            yield record

    def _refusing_controls(
        self, records: Iterator[tuple[int, list[str]]]
    ) -> Iterator[tuple[int, list[str]]]:
        """Records whose recognised columns hold a control character (a NUL from a
        damaged export …) come unreadable, naming the column: stored, such a character
        cuts the text short for SQLite's functions and travels on into every export."""
        search, columns = CONTROL_CHARACTER.search, self.columns
        for line, cells in records:
            if search("".join(cells)) is None:  # one search a record: the rule
                yield line, cells
                continue
            bad = next((i for i in columns if i < len(cells) and search(cells[i])), None)
            if bad is not None and cells[-1].__class__ is not Unreadable:
                padded = cells + [""] * (len(self.header) - len(cells))
                reason = _("{column}: a control character (such as NUL) in the value").format(
                    column=shown(self.header[bad])
                )
                cells = [*padded, Unreadable(reason)]
            yield line, cells

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        text, delimiter, header_line = self.text, self.delimiter, self.header_line
        begin = before = 0  # where a reader starts: character offset, physical lines before
        lines = _LineOffsets(text)
        while True:
            reader = csv.reader(physical_lines(text, begin=begin), delimiter=delimiter, strict=True)
            last = before
            try:
                for cells in reader:
                    start, last = last + 1, before + reader.line_num
                    if start <= header_line:
                        continue
                    if (cells and cells[0].strip()) or any(c.strip() for c in cells):
                        yield start, cells
                return
            except csv.Error as exc:
                problem = str(exc)
                if "field limit" in problem:
                    raise CsvError(
                        _("{file}, line {line}: {problem}").format(
                            file=self.path.name, line=before + reader.line_num, problem=exc
                        )
                    ) from None
            line = last + 1  # the record the reader could not read starts here
            begin = lines.offset(line)
            cells = self._lenient(begin, closed="unexpected end" not in problem)
            if line > header_line:
                if cells is None:
                    yield line, self._unreadable(lines.text_of(line))
                elif (cells and cells[0].strip()) or any(c.strip() for c in cells):
                    yield line, cells
            begin, before = lines.offset(line + 1), line

    def _lenient(self, begin: int, closed: bool) -> list[str] | None:
        """The cells of the one line at ``begin`` as a lenient reader (a spreadsheet) reads
        them, or None when a quote on it opens a value the line does not close."""
        if not closed:
            return None
        reader = csv.reader(physical_lines(self.text, begin=begin), delimiter=self.delimiter)
        try:
            cells = next(reader, [])
        except csv.Error:
            return None
        if reader.line_num > 1 or any("\n" in c or "\r" in c for c in cells):
            return None  # a value over several lines, or one left open at the end
        return cells

    def _unreadable(self, line: str) -> list[str]:
        cells = line.split(self.delimiter)
        cells += [""] * (len(self.header) - len(cells))
        reason = _('unclosed quote (") on this line; a quote inside a value is written twice ("")')
        return [*cells, Unreadable(reason)]

    def count_lines(self) -> int:
        """Physical lines after the header (an upper bound of the records, for progress)."""
        if self._lines is None:
            lines = self.text.count("\n") + (0 if self.text.endswith("\n") else 1)
            self._lines = max(lines - self.header_line, 0)
        return self._lines


#: Characters split into lines at a time: a big file's first records are read at once.
LINES_CHUNK = 1 << 20


def physical_lines(text: str, chunk: int = LINES_CHUNK, *, begin: int = 0) -> Iterable[str]:
    """The lines csv.reader reads: those of io.StringIO(text, newline=""), line ends kept.

    str.splitlines() gives the very same lines at a fraction of the cost unless the
    text has a line end other than "\n" and "\r\n" (a lone "\r", which StringIO also
    splits at, or "\x0b", "\x85", "\u2028" … which it does not) before its last
    character: then splitlines() makes more lines than there are "\n". The text is
    split ``chunk`` characters at a time (cut after a "\n"), so that the first lines
    come without splitting all of a big file first.
    """
    return chain.from_iterable(_line_chunks(text, chunk, begin))


def _line_chunks(text: str, chunk: int, begin: int = 0) -> Iterator[Iterable[str]]:
    start, size = begin, len(text)
    while start < size:
        cut = text.find("\n", start + chunk - 1)
        stop = size if cut < 0 else cut + 1
        piece = text[start:stop] if start or stop < size else text
        lines = piece.splitlines(keepends=True)
        if len(lines) != piece.count("\n") + (0 if piece.endswith("\n") else 1):
            # a line end splitlines() knows and StringIO does not: StringIO from here on
            # (a cut is after a "\n", which ends a line for both)
            yield io.StringIO(text[start:], newline="")
            return
        yield lines
        start = stop


def _key(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).strip().lower().lstrip("\ufeff")
    t = re.sub(r"[(（][^)）]*[)）]$", "", t).strip()  # "金额(元)" → "金额"
    t = t.strip("*:： ")
    return re.sub(r"[\s\-]+", "_", t)


def is_reason(cell: str) -> bool:
    """Whether a header cell is the ``reason`` column FILE.rejected.csv ends with: a fixed
    rejected file imports without it being reported, and its rows rejected once more get
    a new reason in its place (importing.write_rejected)."""
    return _key(cell) == "reason"


def header_aliases(kind: str) -> dict[str, str]:
    """Normalised header spelling → column name for one kind."""
    mapping: dict[str, str] = {}
    for name, aliases in KIND_COLUMNS[kind].items():
        for spelling in (name, name.replace("_", " "), *aliases):
            mapping.setdefault(_key(spelling), name)
    return mapping


#: Encodings read for certain (a strict decode, or a byte order mark): no warning.
SURE_ENCODINGS = ("utf-8-sig", "gb18030", "utf_16", "utf_16_le", "utf_16_be", "utf_32")
#: Characters of a GB18030 text looked at to tell Chinese from a Western file.
CHINESE_SAMPLE = 64 * 1024
_ASCII = re.compile(r"[\x00-\x7f]+")
#: Chinese characters, punctuation and full-width forms.
_CJK = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
#: A non-ASCII character beside an ASCII letter.
_BESIDE_LETTER = re.compile("[A-Za-z][^\x00-\x7f]|[^\x00-\x7f][A-Za-z]")


def _gb2312_rows(char: str) -> int:
    """GB2312's lead byte of a character (0xA1–0xF7), or 0 when GB2312 lacks it."""
    try:
        code = char.encode("gb2312")
    except UnicodeEncodeError:
        return 0
    return code[0] if len(code) == 2 else 0


def looks_chinese(text: str) -> bool:
    """Whether GB18030-decoded text is clearly Chinese: at least two of GB2312's 3,755
    common characters (its level 1, lead bytes 0xB0–0xD7: 张伟 is, 鲞 is not) and, with
    the Chinese punctuation and full-width forms (0xA1–0xA9), at least half of its
    non-ASCII characters.

    A Latin-1 / Windows-1252 file often decodes as GB18030 too, an accented letter and
    the byte after it making one character (``Müller`` → ``M黮ler``, ``Größe`` →
    ``Gr鲞e``): with an ASCII letter after it that is never a GB2312 character, and two
    accented letters in a row make a level-1 one only from the capitals and symbols
    0xB0–0xD7 followed by another such byte, which Western words hardly ever have.
    """
    sample = text[:CHINESE_SAMPLE]
    if "€" in sample:  # 0x80 in GBK (_gbk_euro) and in Windows-1252 alike: a sign of neither
        sample = sample.replace("€", " ")
        if sample.isascii():  # nothing else to tell by: the Western guess (the same text)
            return False
    others = _ASCII.sub("", sample)
    if not others:
        return True
    common = punctuation = 0
    for char in others:
        lead = _gb2312_rows(char)
        if 0xB0 <= lead <= 0xD7:
            common += 1
        elif 0xA1 <= lead <= 0xA9:
            punctuation += 1
    if common >= 2 and 2 * (common + punctuation) >= len(others):
        return True
    # a few rarer characters (王喆, 林): Chinese when every one is CJK and none touches
    # an ASCII letter, as the pair of accented letters an ASCII letter follows does
    return all(_CJK.fullmatch(c) for c in others) and _BESIDE_LETTER.search(sample) is None


#: Byte order marks (UTF-32's first: it starts with UTF-16's) and the encoding they name.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf_32"), (codecs.BOM_UTF32_BE, "utf_32"),
    (codecs.BOM_UTF16_LE, "utf_16"), (codecs.BOM_UTF16_BE, "utf_16"),
)  # fmt: skip


def central_european(western: str, central: str) -> bool:
    """Whether cp1250 reads a file better than cp1252 (same length: one byte a character).

    Where the two differ, Polish, Czech or Hungarian text read as cp1252 shows symbols
    inside words (``Za¿ó³æ`` for ``Zażółć``) where cp1250 has letters; Western text
    read as cp1250 shows letters too (``crčme`` for ``crème``), so only symbols count:
    cp1250 wins when cp1252 has more symbols between two letters than cp1250 has
    symbols where cp1252 has a letter.
    """
    east = west = 0
    last = len(western) - 1
    for i, (w, c) in enumerate(zip(western, central, strict=True)):
        if w == c or w < "\x80":
            continue
        if c.isalpha() and not w.isalpha():
            if 0 < i < last and western[i - 1].isalpha() and western[i + 1].isalpha():
                east += 1
        elif w.isalpha() and not c.isalpha():
            west += 1
    return east > west


def _refuse_mixed_utf8(data: bytes) -> None:
    """CsvError when a file that is not UTF-8 as a whole is UTF-8 in part: it starts with
    UTF-8's byte order mark, or a line of Chinese is UTF-8 while another line is not
    (rows pasted from two files). Read as GB18030, its UTF-8 lines came in as garbage
    (张三 as 寮犱笁), silently, and its BOM made the first header 锘縩ame."""
    text = data.decode("utf-8", "replace")  # (a line at a time took 0.3 s at 100,000 rows)
    bad = text.count("\n", 0, text.find("\ufffd")) + 1
    lines = text.split("\n")
    # a line of two Chinese characters or more that is UTF-8 (a GBK line hardly ever is)
    good = next(
        (
            n
            for n in [
                n for n, line in enumerate(lines, 1) if not line.isascii() and "\ufffd" not in line
            ]
            if len(_CJK.findall(lines[n - 1])) >= 2
        ),
        None,
    )
    if data.startswith(codecs.BOM_UTF8):
        raise CsvError(
            _("The file starts as UTF-8 but line {bad} is not: save it again as UTF-8 CSV").format(
                bad=bad
            )
        )
    if good:
        raise CsvError(
            _(
                "Line {bad} is not UTF-8 but line {good} is: the file mixes two encodings"
                " (save it again as UTF-8 CSV)"
            ).format(bad=bad, good=good)
        )


#: Bytes of a file looked at to tell Big5 from GBK (cut after a line end).
BIG5_SAMPLE = 64 * 1024
#: A two-byte character of GBK or Big5 (and GB18030's four-byte ones, by halves).
_DOUBLE_BYTE = re.compile(rb"[\x81-\xfe][\x30-\x39\x40-\x7e\x80-\xfe]")
#: © and ® in Windows-1252: written before a name (``©Acme``), they say nothing of Big5.
_MARKS = (0xA9, 0xAE)


def reads_as_big5(data: bytes) -> bool:
    """Whether a file that is not UTF-8 is Traditional Chinese in Big5 (what Excel saves
    on a Traditional Chinese Windows) rather than GBK.

    Both are two bytes a character over much the same byte ranges, so a Big5 file
    decodes as GB18030 without an error, as garbage (``測試`` → ``代刚``). What tells
    them apart is where the characters of a text fall: nearly all of a Big5 text's are
    Big5's 5,401 common characters (lead bytes 0xA4–0xC6) or its punctuation
    (0xA1–0xA3), while read as GBK they are half kana, Greek, private-use or rare
    characters, not GB2312's common ones (0xB0–0xD7, second byte from 0xA1), which a
    GBK text is made of. Big5 when more of the sample's characters are common in Big5
    than in GB2312, three in four at least and two or more, one of them with a second
    byte from 0xA1 or a lead byte below 0xB0. (Read as Windows-1252, a lead byte from
    0xB0 before an ASCII byte is an accented capital before a letter: ``Ärger`` stays
    Western; one below is a symbol before a letter, ``¥x``, which Western text hardly
    has, but for ``©`` and ``®``.) A sample, cut after a line end (never a byte of a
    Big5 or GBK character), and bytes compared, not characters: a big GBK file costs
    a few milliseconds.
    """
    sample = data[:BIG5_SAMPLE]
    if len(data) > BIG5_SAMPLE:
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    pairs = _DOUBLE_BYTE.findall(sample)
    gb = big5 = high = 0
    for pair in pairs:
        lead, trail = pair[0], pair[1]
        if 0xA1 <= lead <= 0xA3:
            gb += trail >= 0xA1
            big5 += 1
        elif 0xA4 <= lead <= 0xC5 or (lead == 0xC6 and trail <= 0x7E):
            big5 += 1
            high += trail >= 0xA1 or (lead <= 0xAF and lead not in _MARKS)
            gb += lead >= 0xB0 and trail >= 0xA1
        elif 0xB0 <= lead <= 0xD7 and trail >= 0xA1:
            gb += 1
    return big5 >= 2 and high >= 1 and big5 > gb and 4 * big5 >= 3 * len(pairs)


def _gbk_euro(exc: UnicodeError) -> tuple[str, int]:
    """Decoding GB18030, a lone byte 0x80 is ``€``: Windows' GBK (code page 936, what
    Chinese Excel saves) has the euro sign there, GB18030 and Python's gbk / cp936 have
    no such byte. Only where a character starts: as the second byte of a two-byte
    character (``\\x81\\x80`` is 亐) the decoder takes it with its first and never asks;
    any other undecodable byte is still an error."""
    if isinstance(exc, UnicodeDecodeError) and exc.object[exc.start : exc.start + 1] == b"\x80":
        return "€", exc.start + 1
    raise exc


#: The errors= of a GB18030 decode that reads Windows' GBK (its € at 0x80) too.
GBK_EURO = "crm_tui.gbk_euro"
codecs.register_error(GBK_EURO, _gbk_euro)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding). The candidates, in order:

    1. UTF-8 (BOM or not), strictly; UTF-16 / UTF-32 with a byte order mark;
    2. Big5 (Microsoft's cp950) when it decodes and reads_as_big5 says the file is
       Big5, not GBK: a guess, the summary says so;
    3. GB18030 when it decodes and the text is clearly Chinese (looks_chinese), a lone
       byte 0x80 read as ``€``, as Windows' GBK has it (_gbk_euro);
    4. Windows-1252 whenever it decodes (cp1250 when central_european says it reads
       better): a short Western file (``Größe GmbH``) is not guessed as something exotic;
    5. GB18030 when it decodes (cp1252 leaves five bytes undefined, GBK uses them);
    6. cp1250.

    Nothing else: other code pages (cp1006 …) read accented Western letters as
    plausible garbage far more often than anyone brings such a file.
    """
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        _refuse_mixed_utf8(data)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    if reads_as_big5(data):
        try:
            return data.decode("cp950"), "cp950"
        except UnicodeDecodeError:
            pass  # not Big5 after all: read as the others are
    try:
        chinese: str | None = data.decode("gb18030", GBK_EURO)
    except UnicodeDecodeError:
        chinese = None
    if chinese is not None and looks_chinese(chinese):
        return chinese, "gb18030"
    try:
        western: str | None = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    try:
        central: str | None = data.decode("cp1250")
    except UnicodeDecodeError:
        central = None
    if western is not None:
        if central is not None and central_european(western, central):
            return central, "cp1250"
        return western, "cp1252"
    if chinese is not None:
        return chinese, "gb18030"
    if central is not None:
        return central, "cp1250"
    raise CsvError(_("Cannot tell the text encoding (save the file as UTF-8 CSV)"))


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: csv.Sniffer on the first lines, checked against the header line."""
    lines = text[:SNIFF_CHARS].splitlines()
    if len(lines) < 22 and len(text) > SNIFF_CHARS:
        lines = text.splitlines()  # long lines: the 20 (and the cut 21st) need more text
    first = lines[0] if lines else ""
    sample = "\n".join(lines[:20])
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    counts = {d: first.count(d) for d in DELIMITERS}
    if found and counts.get(found, 0) > 0:
        return found
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(path: Path | str, kind: str, data: bytes | None = None) -> CsvTable:
    """Decode and sniff ``path`` and map its header onto the columns of ``kind``.

    Raises CsvError when the file is empty, undecodable or lacks a required column.
    """
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CsvError(
                _("Cannot read {file}: {problem}").format(file=path, problem=os_problem(exc))
            ) from None
    if data.startswith(WORKBOOK_SIGNATURES):  # read as text, its "header" is binary noise
        raise CsvError(
            _(
                "{file} is an Excel workbook (.xlsx or .xls), not a CSV file: in Excel, save it"
                " with File › Save As › “CSV UTF-8 (Comma delimited)” and import the saved file"
            ).format(file=path.name)
        )
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)
    try:
        text, encoding = decode(data)
    except CsvError as exc:  # (which file: an import names several)
        raise CsvError(_("{file}: {problem}").format(file=path.name, problem=exc)) from None
    text = text.lstrip("\ufeff")
    if not text or text.isspace():
        raise CsvError(_("{file} is empty").format(file=path.name))
    delimiter = sniff_delimiter(text)
    # (only the first chunk is split: the header is among its first lines)
    reader = csv.reader(physical_lines(text), delimiter=delimiter)
    header: list[str] = []
    header_line = 0
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                header = cells
                header_line = reader.line_num
                break
    except csv.Error as exc:
        raise CsvError(
            _("{file}, line {line}: {problem}").format(
                file=path.name, line=reader.line_num, problem=exc
            )
        ) from None
    aliases = header_aliases(kind)
    columns: dict[int, str] = {}
    unknown: list[str] = []
    blank: list[int] = []
    for index, cell in enumerate(header):
        if not cell.strip():
            blank.append(index)
            continue
        name = aliases.get(_key(cell))
        if name is None or name in columns.values():
            if not is_reason(cell):
                if name is None:
                    unknown.append(shown(cell))
                else:  # a second column for a field: only the first one is read
                    first = header[next(i for i, n in columns.items() if n == name)]
                    unknown.append(
                        _("{column} (a second {first} column)").format(
                            column=shown(cell), first=shown(first)
                        )
                    )
            continue
        columns[index] = name
    found = set(columns.values())
    for name, other in STANDS_IN.get(kind, {}).items():
        if name in found and other not in found:
            columns = {i: other if n == name else n for i, n in columns.items()}
            found = set(columns.values())
    # "a|b": either column will do (a customer by name or by code)
    missing = [c for c in REQUIRED_COLUMNS[kind] if not found & set(c.split("|"))]
    if missing:
        raise CsvError(
            _("{file}: missing required column(s) {columns} (found: {found})").format(
                file=path.name,
                columns=", ".join(c.replace("|", " or ") for c in missing),
                found=", ".join(shown(h) for h in header if h.strip()) or "-",
            )
        )
    lines = None
    if encoding in ("utf-8-sig", "gb18030"):  # "\n" is never a byte of a longer character
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)  # (memchr, not str)
    return CsvTable(
        _lines=None if lines is None else max(lines - header_line, 0),
        path=path,
        encoding=encoding,
        delimiter=delimiter,
        sha256=hashlib.sha256(data).hexdigest(),
        header=header,
        columns=columns,
        unknown=unknown,
        text=text,
        header_line=header_line,
        blank=blank,
    )


def row_values(table: CsvTable, cells: list[str]) -> dict[str, str]:
    """The recognised columns of one record as {column name: text}."""
    return {name: cells[i] if i < len(cells) else "" for i, name in table.columns.items()}


def column_header(table: CsvTable) -> Mapping[str, str]:
    """Column name → the header text the file used (for messages in the user's words)."""
    return {name: shown(table.header[i]) for i, name in table.columns.items()}

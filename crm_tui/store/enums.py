"""The enumerated vocabularies of DOMAIN.md: stable English keys and both languages' labels.

Keys are what the database and CSV files hold; labels are what people read. This
module imports nothing heavy so the CLI fast paths and the importer can use it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: Labels the rep renamed in config.toml (Settings.apply_labels): (vocabulary name, key)
#: → (English, Chinese). Every screen, report and table then reads the rep's names.
RENAMED: dict[tuple[str, str], tuple[str, str]] = {}


@dataclass(frozen=True)
class Vocabulary:
    """One pick list: ordered keys with English and Chinese labels."""

    name: str
    items: tuple[tuple[str, str, str], ...]  # (key, English label, Chinese label)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _, _ in self.items)

    def label(self, key: str | None, lang: str = "en") -> str:
        if RENAMED and (renamed := RENAMED.get((self.name, key or ""))):
            return renamed[1] if lang == "zh" else renamed[0]
        for k, en, zh in self.items:
            if k == key:
                return zh if lang == "zh" else en
        return key or ""

    def parse(self, text: str | None) -> str | None:
        """Map a key, English label or Chinese label (any case) to the key; None if unknown."""
        if text is None:
            return None
        t = text.strip().lower().replace("-", "_")
        if not t:
            return None
        if not t.isascii():  # a Chinese input method's full-width Ａ is the level A
            t = unicodedata.normalize("NFKC", t).lower()
        for k, en, zh in self.items:
            names = {k.lower(), en.lower(), en.lower().replace(" ", "_"), zh.lower()}
            # "A 战略客户" / "A strategic": the words after the key alone name it too
            # (both labels lowercased, as ``t`` is: "A 战略客户" starts with "a " then).
            names |= {
                n.split(" ", 1)[1]
                for n in (en.lower(), zh.lower())
                if n.startswith(k.lower() + " ")
            }
            if t in names:
                return k
        for (vocabulary, k), labels in RENAMED.items():  # the rep's own names read too
            if vocabulary == self.name and t in {x.lower() for x in labels}:
                return k
        return None


STAGE = Vocabulary(
    "stage",
    (
        ("initial_contact", "Initial contact", "初步接触"),
        ("needs_confirmed", "Needs confirmed", "需求确认"),
        ("proposal", "Proposal", "方案提供"),
        ("negotiation", "Negotiation", "商务谈判"),
        ("won", "Won", "成交"),
        ("after_sales", "After-sales", "售后"),
        ("lost", "Lost", "输单"),
    ),
)
OPEN_STAGES: tuple[str, ...] = ("initial_contact", "needs_confirmed", "proposal", "negotiation")
#: Stages a deal can be moved through with `<` / `>` (lost is an outcome, not a step).
STAGE_LADDER: tuple[str, ...] = OPEN_STAGES + ("won", "after_sales")
DEFAULT_PROBABILITY = {
    "initial_contact": 10,
    "needs_confirmed": 25,
    "proposal": 50,
    "negotiation": 75,
    "won": 100,
    "after_sales": 100,
    "lost": 0,
}
DEFAULT_EXPECTED_DAYS = {
    "initial_contact": 14,
    "needs_confirmed": 14,
    "proposal": 21,
    "negotiation": 21,
}
DEFAULT_EXIT_CRITERIA = {
    "initial_contact": (
        ("Contact person identified", "已确定联系人"),
        ("Need or pain written down", "已记录需求或痛点"),
    ),
    "needs_confirmed": (
        ("Budget range known", "已了解预算范围"),
        ("Decision maker identified", "已确定决策人"),
        ("Purchase timeline known", "已了解采购时间"),
    ),
    "proposal": (
        ("Proposal or quote sent", "已发送方案或报价"),
        ("Customer's feedback on it recorded", "已记录客户对方案的反馈"),
    ),
    "negotiation": (
        ("Commercial terms agreed", "商务条款已达成一致"),
        ("Contract reviewed / approved", "合同已审核/批准"),
    ),
}

LEVEL = Vocabulary(
    "level",
    (
        ("A", "A strategic", "A 战略客户"),
        ("B", "B important", "B 重要客户"),
        ("C", "C ordinary", "C 普通客户"),
        ("D", "D potential", "D 潜在客户"),
    ),
)
STATUS = Vocabulary(
    "status",
    (("active", "Active", "活跃"), ("dormant", "Dormant", "休眠"), ("lost", "Lost", "流失")),
)
CUSTOMER_KIND = Vocabulary(
    "kind", (("company", "Company", "企业客户"), ("person", "Person", "个人客户"))
)
INDUSTRY = Vocabulary(
    "industry",
    (
        ("manufacturing", "Manufacturing", "制造业"),
        ("services", "Services", "服务业"),
        ("finance", "Finance", "金融业"),
        ("internet", "Internet", "互联网"),
        ("software", "Software & IT", "软件和信息技术服务业"),
        ("retail", "Retail", "零售业"),
        ("trade", "Trade", "贸易"),
        ("other", "Other", "其他"),
    ),
)
SIZE = Vocabulary(
    "size", (("large", "Large", "大型"), ("medium", "Medium", "中型"), ("small", "Small", "小型"))
)
SOURCE = Vocabulary(
    "source",
    (
        ("trade_show", "Trade show", "展会推荐"),
        ("referral", "Referral", "客户转介绍"),
        ("outbound", "Outbound", "主动开发"),
        ("website", "Website", "官网"),
        ("other", "Other", "其他"),
    ),
)
CHANNEL = Vocabulary(
    "channel",
    (
        ("phone", "Phone", "电话"),
        ("email", "Email", "邮件"),
        ("meeting", "Meeting", "会议"),
        ("visit", "Visit", "拜访"),
        ("online_meeting", "Online meeting", "线上会议"),
        ("wechat", "WeChat", "微信"),
    ),
)
ATTITUDE = Vocabulary(
    "attitude",
    (
        ("positive", "Positive", "积极"),
        ("neutral", "Neutral", "中性"),
        ("negative", "Negative", "消极"),
    ),
)
TASK_TYPE = Vocabulary(
    "task_type",
    (
        ("visit", "Visit", "客户拜访"),
        ("call", "Call", "电话跟进"),
        ("email", "Email", "邮件"),
        ("demo", "Demo", "产品演示"),
        ("tech_exchange", "Technical exchange", "技术交流"),
        ("other", "Other", "其他"),
    ),
)
TASK_STATUS = Vocabulary(
    "task_status",
    (
        ("planned", "Planned", "计划中"),
        ("in_progress", "In progress", "进行中"),
        ("done", "Done", "已完成"),
        ("cancelled", "Cancelled", "已取消"),
    ),
)
OPEN_TASK_STATUSES: tuple[str, ...] = ("planned", "in_progress")
CONTACT_ROLE = Vocabulary(
    "role",
    (
        ("decision_maker", "Decision maker", "决策者"),
        ("influencer", "Influencer", "影响者"),
        ("user", "User", "使用者"),
        ("technical_evaluator", "Technical evaluator", "技术评估者"),
    ),
)
GENDER = Vocabulary("gender", (("male", "Male", "男"), ("female", "Female", "女")))
PREFERRED_CHANNEL = Vocabulary(
    "preferred_channel",
    (
        ("phone", "Phone", "电话"),
        ("email", "Email", "邮件"),
        ("face_to_face", "Face-to-face", "面谈"),
        ("wechat", "WeChat", "微信"),
    ),
)
RELATIONSHIP = Vocabulary(
    "relationship",
    (
        ("stranger", "Stranger", "陌生"),
        ("acquainted", "Acquainted", "认识"),
        ("familiar", "Familiar", "熟悉"),
        ("trusted", "Trusted", "信任"),
        ("partner", "Partner", "伙伴"),
    ),
)
RFM_SEGMENT = Vocabulary(
    "segment",
    (
        ("champions", "Champions", "重要价值客户"),
        ("loyal", "Loyal", "重要保持客户"),
        ("at_risk", "At risk", "重要挽留客户"),
        ("hibernating", "Hibernating", "流失客户"),
        ("new", "New", "新客户"),
        ("others", "Others", "一般客户"),
    ),
)

ALL_VOCABULARIES: tuple[Vocabulary, ...] = (
    STAGE, LEVEL, STATUS, CUSTOMER_KIND, INDUSTRY, SIZE, SOURCE, CHANNEL, ATTITUDE,
    TASK_TYPE, TASK_STATUS, CONTACT_ROLE, GENDER, PREFERRED_CHANNEL, RELATIONSHIP, RFM_SEGMENT,
)  # fmt: skip

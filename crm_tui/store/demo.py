"""Reproducible sample data (`crm demo`, the TUI's "load sample data", and the benchmark generator).

Everything comes from one ``random.Random(seed)`` and the ``as_of`` date, so the
same seed and date give byte-identical databases. Rows are built as plain tuples
and written with multi-row INSERTs on the standard-library connection in one
transaction, customer by customer in chunks; big loads make the chunks in a second
process meanwhile (same code, same rows). The derived columns (a customer's order
total, last order and last interaction; a deal's stage entry and last interaction) are
computed as the rows are made, so no pass over the tables is needed afterwards; the
secondary and FTS indexes of big loads are built once at the end.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import os
import random
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

from crm_tui.i18n import _
from crm_tui.store.name_order import name_sort_key
from crm_tui.store.pipes import receive_message, send_message
from crm_tui.store.sqlite import (
    drop_secondary_indexes,
    fast_null_binding,
    immediate_transaction,
    rebuild_search_index,
    recreate_indexes,
    restore_journal,
    rollback_journal,
)
from crm_tui.store.stage_probabilities import remember_applied
from crm_tui.store.validation import normalise_name

ProgressFn = Callable[[int, int], None]

#: Tables emptied by ``replace=True``, children first; with them the record of files
#: imported (their records are gone: importing one again is not a repeat) and of merges
#: (nothing left to undo).
DATA_TABLES = (
    "payment", "sales_order", "interaction", "stage_change", "task", "customer_tag",
    "opportunity", "contact", "customer", "tag", "sales_target", "import_log", "merge_log",
)  # fmt: skip

TAGS = ("高预算", "决策链复杂", "竞品对比中", "高潜力", "风险客户")

_DAY_SECONDS = 86400
_HISTORY_DAYS = 1200  # oldest day any generated record may fall on


def check_as_of(day: dt.date, today: dt.date) -> dt.date:
    """``day`` if sample data can lead up to it, else a ValueError saying why: data dated
    after today is refused everywhere else (what happened has happened), and the history
    before it must not reach back before 1900 (the forms' and reports' first year)."""
    from crm_tui.dates import FIRST_DAY

    if day > today:
        raise ValueError(
            _("Sample data leads up to a day that has come: the latest is today ({today})").format(
                today=today.isoformat()
            )
        )
    earliest = FIRST_DAY + dt.timedelta(days=_HISTORY_DAYS)
    if day < earliest:
        raise ValueError(
            _("Sample data covers the {days} days before it: the earliest is {day}").format(
                days=_HISTORY_DAYS, day=earliest.isoformat()
            )
        )
    return day


_FUTURE_DAYS = 400  # furthest day ahead (due dates, expected closes)
_CHUNK = 1000  # customers per executemany batch
#: FTS5 ``hashsize`` while the search indexes are rebuilt (see _set_fts_hashsize): at 100k
#: customers the two rebuilds take ~40 % less time for ~45 MB more memory than with the
#: default (1 MiB); bigger measured no faster.
_FTS_BULK_HASHSIZE = 64 << 20
_FTS_DEFAULT_HASHSIZE = 1 << 20


def _cache_kib(customers: int) -> int:
    """Page cache for the load: ~8 KiB a customer, 64–256 MiB (more measured no faster)."""
    return max(65536, min(262144, customers * 8))


class DemoError(Exception):
    """Sample data cannot be generated here (the message says why and what to do)."""


# --- vocabulary for names and texts -------------------------------------------------

# (city, region, area code, pinyin, districts, English name)
_CN_CITIES = (
    ("上海", "上海", "021", "sh", ("浦东新区", "徐汇区", "闵行区", "静安区", "嘉定区"), "Shanghai"),
    ("北京", "北京", "010", "bj", ("海淀区", "朝阳区", "东城区", "丰台区", "大兴区"), "Beijing"),
    ("深圳", "广东", "0755", "sz", ("南山区", "福田区", "宝安区", "龙岗区"), "Shenzhen"),
    ("广州", "广东", "020", "gz", ("天河区", "黄埔区", "番禺区", "海珠区"), "Guangzhou"),
    ("杭州", "浙江", "0571", "hz", ("西湖区", "滨江区", "余杭区", "萧山区"), "Hangzhou"),
    ("宁波", "浙江", "0574", "nb", ("鄞州区", "北仑区", "江北区"), "Ningbo"),
    ("苏州", "江苏", "0512", "su", ("工业园区", "吴中区", "相城区", "姑苏区"), "Suzhou"),
    ("南京", "江苏", "025", "nj", ("江宁区", "鼓楼区", "建邺区", "玄武区"), "Nanjing"),
    ("成都", "四川", "028", "cd", ("高新区", "武侯区", "锦江区", "青羊区"), "Chengdu"),
    ("武汉", "湖北", "027", "wh", ("东湖高新区", "江汉区", "洪山区", "汉阳区"), "Wuhan"),
    ("青岛", "山东", "0532", "qd", ("崂山区", "市南区", "黄岛区"), "Qingdao"),
    ("厦门", "福建", "0592", "xm", ("思明区", "湖里区", "集美区"), "Xiamen"),
    ("天津", "天津", "022", "tj", ("滨海新区", "南开区", "和平区"), "Tianjin"),
    ("重庆", "重庆", "023", "cq", ("渝北区", "江北区", "九龙坡区"), "Chongqing"),
)
_CN_CITY_WEIGHTS = (14, 12, 10, 8, 9, 4, 7, 5, 6, 5, 4, 3, 3, 3)
_CN_ROADS = (
    "人民路", "中山路", "科技路", "创业大道", "长江路", "滨江大道", "建设路", "解放路",
    "学府路", "新华路", "高新大道", "软件园路",
)  # fmt: skip
_BRAND_1 = (
    ("明", "ming"), ("华", "hua"), ("瑞", "rui"), ("恒", "heng"), ("天", "tian"), ("博", "bo"),
    ("金", "jin"), ("中", "zhong"), ("宏", "hong"), ("鼎", "ding"), ("新", "xin"), ("安", "an"),
    ("智", "zhi"), ("嘉", "jia"), ("众", "zhong"), ("远", "yuan"), ("海", "hai"), ("晨", "chen"),
    ("星", "xing"), ("蓝", "lan"), ("卓", "zhuo"), ("永", "yong"), ("广", "guang"),
    ("长", "chang"), ("凯", "kai"), ("信", "xin"), ("德", "de"), ("润", "run"), ("锦", "jin"),
    ("东", "dong"),
)  # fmt: skip
_BRAND_2 = (
    ("远", "yuan"), ("信", "xin"), ("达", "da"), ("通", "tong"), ("成", "cheng"), ("雅", "ya"),
    ("桥", "qiao"), ("联", "lian"), ("图", "tu"), ("盛", "sheng"), ("锐", "rui"), ("泰", "tai"),
    ("禾", "he"), ("合", "he"), ("航", "hang"), ("纳", "na"), ("光", "guang"), ("辰", "chen"),
    ("越", "yue"), ("源", "yuan"), ("冠", "guan"), ("风", "feng"), ("品", "pin"), ("旋", "xuan"),
    ("诚", "cheng"), ("澜", "lan"), ("丰", "feng"), ("方", "fang"), ("程", "cheng"),
    ("创", "chuang"),
)  # fmt: skip
_INDUSTRIES = (
    "manufacturing", "services", "finance", "internet", "software", "retail", "trade", "other",
)  # fmt: skip
_INDUSTRY_WEIGHTS = (26, 12, 7, 12, 16, 10, 10, 7)
_CN_INDUSTRY_WORDS = {
    "manufacturing": ("精密机械", "电子", "汽车零部件", "新材料", "智能装备", "机电"),
    "services": ("企业管理咨询", "物流", "人力资源服务", "会展服务", "物业管理"),
    "finance": ("投资管理", "融资租赁", "保险经纪", "资产管理"),
    "internet": ("网络科技", "信息科技", "数据科技", "电子商务"),
    "software": ("软件", "信息技术", "云计算", "智能科技"),
    "retail": ("商贸", "连锁超市", "百货", "零售"),
    "trade": ("进出口贸易", "国际贸易", "供应链管理", "实业"),
    "other": ("文化传媒", "环保科技", "医疗器械", "教育科技"),
}
_CN_SUFFIXES = ("有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司")
_EN_WORDS = (
    "Acme", "Apex", "Blue River", "Northwind", "Summit", "Harbor", "Pioneer", "Silverline",
    "Redwood", "Evergreen", "Orion", "Atlas", "Vertex", "Horizon", "Brightway", "Crescent",
    "Falcon", "Granite", "Keystone", "Lighthouse", "Maple", "Nova", "Oakridge", "Pacific Rim",
    "Quantum", "Riverside", "Sterling", "Titan", "Unity", "Vanguard", "Westfield", "Zenith",
    "Golden Gate", "Highland", "Ironbridge", "Jade", "Kingsway", "Lotus", "Meridian", "Neptune",
)  # fmt: skip
_EN_INDUSTRY_WORDS = {
    "manufacturing": ("Robotics", "Precision", "Electronics", "Materials", "Machinery"),
    "services": ("Consulting", "Logistics", "Staffing", "Events"),
    "finance": ("Capital", "Financial", "Leasing", "Partners"),
    "internet": ("Networks", "Digital", "Online", "Labs"),
    "software": ("Software", "Systems", "Analytics", "Cloud"),
    "retail": ("Retail", "Stores", "Foods", "Home"),
    "trade": ("Trading", "Imports", "Supply", "Commerce"),
    "other": ("Media", "Medical", "Energy", "Education"),
}
_EN_MIDDLE = ("", "", "", " Asia", " International", " Holdings", " Group", " Global", " China")
_EN_SUFFIXES = ("Ltd.", "Inc.", "Co., Ltd.", "Pte. Ltd.", "LLC", "GmbH", "Corporation", "Limited")
# (city, region, slug, phone prefix) for English-named companies abroad
_EN_CITIES = (
    ("Singapore", "Singapore", "sg", "+65"), ("Hong Kong", "Hong Kong", "hk", "+852"),
    ("London", "United Kingdom", "uk", "+44 20"), ("San Francisco", "United States", "us", "+1 415"),
    ("Sydney", "Australia", "au", "+61 2"), ("Berlin", "Germany", "de", "+49 30"),
)  # fmt: skip
_CN_ROADS_EN = ("Zhangjiang Road", "Century Avenue", "Keji Road", "Renmin Road", "Binjiang Avenue")
_EN_STREETS = ("Harbour Road", "Market Street", "Queen's Road", "Park Avenue", "King Street")

_SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("罗", "luo"), ("高", "gao"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("萧", "xiao"), ("田", "tian"), ("董", "dong"), ("潘", "pan"),
    ("袁", "yuan"), ("蔡", "cai"), ("蒋", "jiang"), ("余", "yu"),
)  # fmt: skip
_GIVEN_MALE = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("刚", "gang"), ("平", "ping"),
    ("辉", "hui"), ("鹏", "peng"), ("浩", "hao"), ("宇", "yu"), ("斌", "bin"), ("波", "bo"),
)  # fmt: skip
_GIVEN_FEMALE = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"),
    ("娟", "juan"), ("霞", "xia"), ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("颖", "ying"),
    ("倩", "qian"), ("洁", "jie"), ("欣", "xin"), ("玲", "ling"), ("慧", "hui"), ("萍", "ping"),
)  # fmt: skip
_EN_FIRST_MALE = (
    "James", "David", "Michael", "Daniel", "Kevin", "Jason", "Eric", "Ryan", "Brian", "Tom",
    "Peter", "Andrew", "Mark", "Steven", "Alex", "Victor", "Leo", "Henry", "Sam", "Oliver",
)  # fmt: skip
_EN_FIRST_FEMALE = (
    "Emily", "Grace", "Sarah", "Jessica", "Linda", "Amy", "Helen", "Cindy", "Vivian", "Alice",
    "Sophia", "Emma", "Olivia", "Chloe", "Rachel", "Anna", "Irene", "Lucy", "Nina", "Kate",
)  # fmt: skip
_EN_LAST = (
    "Chen", "Wang", "Li", "Zhang", "Liu", "Huang", "Lin", "Wong", "Smith", "Johnson", "Brown",
    "Taylor", "Miller", "Davis", "Wilson", "Moore", "Clark", "Lewis", "Walker", "Hall", "Young",
    "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Carter", "Mitchell",
    "Tan", "Lee", "Ng", "Lim", "Müller", "Schmidt", "Evans", "Turner", "Parker", "Collins",
)  # fmt: skip

# (Chinese title, English title, Chinese department, English department, role)
_TITLES = (
    ("总经理", "General Manager", "总经办", "Management", "decision_maker"),
    ("副总裁", "Vice President", "总经办", "Management", "decision_maker"),
    ("财务总监", "CFO", "财务部", "Finance", "decision_maker"),
    ("采购经理", "Purchasing Manager", "采购部", "Procurement", "influencer"),
    ("运营总监", "Operations Director", "运营部", "Operations", "influencer"),
    ("市场经理", "Marketing Manager", "市场部", "Marketing", "influencer"),
    ("IT 总监", "IT Director", "信息技术部", "IT", "technical_evaluator"),
    ("技术负责人", "Tech Lead", "研发部", "R&D", "technical_evaluator"),
    ("工程师", "Engineer", "生产部", "Production", "user"),
    ("项目经理", "Project Manager", "项目部", "Projects", "user"),
    ("行政主管", "Office Manager", "行政部", "Administration", "user"),
)
_CONTACT_COUNTS = (1, 2, 3, 3, 3, 4, 5)
_N_TITLES = len(_TITLES)
_CN_MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "186", "187", "188", "189")
_N_MOBILE_PREFIXES = len(_CN_MOBILE_PREFIXES)

_PRODUCTS = (
    ("CRM 系统", "CRM suite"), ("ERP 实施", "ERP rollout"), ("数据分析平台", "Analytics platform"),
    ("工业传感器", "Industrial sensors"), ("云服务器", "Cloud servers"),
    ("安全审计服务", "Security audit"), ("年度维保", "Annual support contract"),
    ("培训服务", "Training programme"), ("机械臂 X200", "Robotic arm X200"),
    ("仓储管理系统", "Warehouse management system"), ("办公网络改造", "Office network upgrade"),
    ("智能门店方案", "Smart store solution"),
)  # fmt: skip
_N_PRODUCTS = len(_PRODUCTS)
_COMPETITORS = ("金蝶", "用友", "SAP", "Oracle", "本地集成商", "Local integrator", "华为云", "AWS")
_LOST_REASONS_CN = ("价格过高", "选择了竞品", "预算取消", "需求变更", "决策延期", "关系不到位")
_LOST_REASONS_EN = (
    "Price too high", "Chose a competitor", "Budget cut", "Project cancelled", "Decision postponed",
)  # fmt: skip
_STRENGTHS = ("本地化服务", "行业案例丰富", "交付周期短", "Strong references", "Better support SLA")
_WEAKNESSES = ("价格偏高", "品牌知名度低", "Higher price", "Fewer integrations")
_KSF = ("获得 CTO 支持", "试点项目成功", "Win the pilot", "Executive sponsor on board")
_RISKS = ("预算审批延迟", "竞品低价冲击", "Key contact leaving", "Procurement freeze")
_NEXT_ACTIONS_CN = ("安排产品演示", "发送正式报价", "约见决策人", "提交技术方案", "推进合同审批")
_NEXT_ACTIONS_EN = ("Schedule a demo", "Send the formal quote", "Meet the decision maker",
                    "Submit technical proposal", "Push contract approval")  # fmt: skip

# (subject, content, feedback, key facts) per language
_SUBJECTS_CN = (
    ("需求沟通", "了解客户现有流程和痛点", "对方案方向认可", "年内有采购计划"),
    ("方案演示", "演示核心功能并答疑", "希望增加报表功能", "IT 部门参与评估"),
    ("报价讨论", "讨论报价和付款方式", "认为价格偏高", "预算约在 50 万以内"),
    ("合同条款确认", "逐条确认合同条款", "法务提出修改意见", "预计下月签约"),
    ("技术交流", "与技术团队交流接口方案", "技术上无障碍", "需要对接现有 ERP"),
    ("售后回访", "回访使用情况", "整体满意", "有扩容需求"),
    ("节日问候", "节日问候并了解近况", "关系良好", "负责人有变动"),
    ("产品培训", "为用户做上线培训", "培训效果好", "需要第二期培训"),
)
_SUBJECTS_EN = (
    ("Discovery call", "Walked through current process", "Interested in the approach", "Budget approved for Q3"),
    ("Product demo", "Demoed the core workflow", "Asked for custom reports", "IT will evaluate"),
    ("Quote review", "Went through pricing options", "Price seen as high", "Needs CFO sign-off"),
    ("Contract review", "Reviewed contract terms", "Legal sent redlines", "Signing expected next month"),
    ("Technical workshop", "Integration deep-dive", "No technical blockers", "Must integrate with SAP"),
    ("Quarterly business review", "Reviewed usage and outcomes", "Happy overall", "Expansion possible"),
    ("Check-in", "Informal check-in", "Relationship is good", "New stakeholder joined"),
)  # fmt: skip
_LOCATIONS_CN = ("客户办公室", "我司会议室", "客户工厂", "展会现场")
_LOCATIONS_EN = ("Client office", "Our office", "Client site", "Trade show booth")
_ONLINE_LOCATIONS = ("腾讯会议", "Zoom", "Teams")
_OUR_PEOPLE = ("我", "我、售前工程师", "我、销售总监", "me", "me, solutions engineer")
_CHANNELS = ("phone", "phone", "email", "wechat", "wechat", "meeting", "visit", "online_meeting")
_ATTITUDES = ("positive", "positive", "neutral", "neutral", "neutral", "negative")

# task type → (Chinese title template, English title template), each split at "{c}"
_TASK_TITLES = tuple(
    (key, tuple(zh.split("{c}")), tuple(en.split("{c}")))
    for key, zh, en in (
        ("visit", "拜访{c}", "Visit {c}"),
        ("call", "电话跟进{c}", "Call {c}"),
        ("email", "发送报价邮件给{c}", "Email the quote to {c}"),
        ("demo", "为{c}做产品演示", "Product demo for {c}"),
        ("tech_exchange", "与{c}技术交流", "Technical exchange with {c}"),
        ("other", "准备{c}合同草稿", "Prepare contract draft for {c}"),
    )
)
_N_TASK_TITLES = len(_TASK_TITLES)
#: the most recent interaction is at least this many days ago, by customer status
_INTERACTION_LATEST = {"active": 1, "dormant": 60, "lost": 150}
_TASK_RESULTS = ("已完成，客户反馈良好", "已沟通，待客户回复", "Done, positive response", "Done")
_NEEDS_CN = ("提升销售管理效率", "降低库存成本", "数字化转型", "替换老旧系统", "扩充产能")
_NEEDS_EN = ("Streamline sales ops", "Cut inventory costs", "Replace legacy system", "Scale up")

_LEVELS = ("A", "B", "C", "D")
_LEVEL_WEIGHTS = (5, 15, 40, 40)
# per level: (mean opportunities, mean other orders, mean interactions in a year, median
# order yuan). A customer known for less than the year gets its share of the year's
# interactions (a steady pace, as a rep keeps it): a whole year's squeezed into a new
# customer's first days made each recent week hold up to four times a usual week. The
# yearly means are set so that about 10N interactions remain (CLI.md).
_LEVEL_PROFILE = {
    "A": (5.0, 10.0, 31.0, 120_000.0),
    "B": (3.0, 5.5, 17.4, 40_000.0),
    "C": (2.0, 2.2, 11.8, 12_000.0),
    "D": (1.4, 0.6, 9.3, 4_000.0),
}
_SOURCES = ("trade_show", "referral", "outbound", "website", "other")
_SOURCE_WEIGHTS = (20, 25, 30, 18, 7)
_SIZES = ("large", "medium", "small")
_SIZE_WEIGHTS = (15, 35, 50)
_RELATIONSHIPS = ("stranger", "acquainted", "familiar", "trusted", "partner")
_REL_WEIGHTS = (10, 35, 30, 18, 7)
_PREF_CHANNELS = ("phone", "email", "face_to_face", "wechat")
_N_PREF_CHANNELS = len(_PREF_CHANNELS)

_LADDER = ("initial_contact", "needs_confirmed", "proposal", "negotiation", "won", "after_sales")
_PROB = {"initial_contact": 10, "needs_confirmed": 25, "proposal": 50, "negotiation": 75,
         "won": 100, "after_sales": 100, "lost": 0}  # fmt: skip
# outcome of a deal of an active customer: (index into ladder or -1 for lost, weight)
_STAGE_CHOICES = (0, 1, 2, 3, 4, 5, -1)
_STAGE_WEIGHTS = (20, 15, 12, 10, 20, 8, 15)
#: (from, to) stage changes of a deal that reached ladder step k, won/open or lost after it
_PATHS = tuple(
    tuple(zip((None, *_LADDER[:k]), _LADDER[: k + 1], strict=True)) for k in range(len(_LADDER))
)
_LOST_PATHS = tuple(p + ((p[-1][1], "lost"),) for p in _PATHS[:4])
_CLOSED_CHOICES = (4, 5, -1)
_CLOSED_WEIGHTS = (45, 15, 40)


#: occurred_at of an interaction row, changed_at of a stage change, order_date of an order
_by_when = itemgetter(3)
_by_day = itemgetter(0)


def _zero_is_null(n: int) -> str:
    """Parameter ``?n`` with 0 standing for NULL.

    Python's sqlite3 binds None through its adapter registry (building a key tuple and
    calling the adapter: ~0.2 µs, several times the cost of binding an int), and the
    interaction rows are mostly empty columns: rows carry 0 there instead. 0 is never a
    real value of these columns (ids start at 1; a text value never equals an integer).
    """
    return f"CASE ?{n} WHEN 0 THEN NULL ELSE ?{n} END"


def _expand(items: tuple, weights: tuple[int, ...]) -> list:
    """A lookup table for weighted choice: each item repeated as often as its weight."""
    return [item for item, w in zip(items, weights, strict=True) for _n in range(w)]


# --- SQL --------------------------------------------------------------------------

_INSERT = {
    "customer": "INSERT INTO customer (id, code, name, name_norm, name_sort, kind, industry, size, "
    "registered_address, business_address, region, source, first_contact, level, status, needs, "
    "budget_cents, purchase_date, primary_contact_id, decision_maker_id, owner, "
    "total_amount_cents, last_order, last_interaction_at, created_at, updated_at, version) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)",
    "contact": "INSERT INTO contact (id, customer_id, name, title, department, role, gender, "
    "phone, mobile, email, wechat, birthday, preferred_channel, relationship, notes, owner, "
    "created_at, updated_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,?,?,?,1)",
    "customer_tag": "INSERT INTO customer_tag (customer_id, tag_id) VALUES (?,?)",
    "opportunity": "INSERT INTO opportunity (id, customer_id, contact_id, name, product, "
    "amount_cents, expected_close, stage, probability, probability_overridden, competitor, "
    "strengths, weaknesses, key_success_factors, risks, risk_flag, next_action, next_action_due, "
    "actual_close, lost_reason, criteria_done, created_at, updated_at, stage_entered_at, "
    "last_interaction_at, version) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
    "?16,?17,?18,?19,?20,?21,?22,?23,?23,?24,1)",  # entered the stage when last changed
    "stage_change": "INSERT INTO stage_change (opportunity_id, from_stage, to_stage, changed_at) "
    "VALUES (?,?,?,?)",
    "task": "INSERT INTO task (id, title, type, customer_id, contact_id, opportunity_id, goal, "
    "notes, due, due_time, planned_start, planned_end, status, result, completed_at, created_at, "
    "updated_at, version) VALUES (?,?,?,?,?,?,?,NULL,?,?,?,?,?,?,?,?,?,1)",
    # created_at and updated_at repeat occurred_at (?4): the log is written as it happens;
    # 0 stands for NULL in the mostly empty columns (see _zero_is_null)
    "interaction": "INSERT INTO interaction (customer_id, contact_id, opportunity_id, "
    "occurred_at, their_people, channel, location, our_people, subject, content, feedback, "
    "attitude, key_facts, next_step, next_step_due, task_id, created_at, updated_at, "
    f"version) VALUES (?1,?2,{_zero_is_null(3)},?4,{_zero_is_null(5)},?6,"
    + ",".join(_zero_is_null(i) for i in (7, 8))
    + f",?9,{_zero_is_null(10)},{_zero_is_null(11)},?12,"
    + ",".join(_zero_is_null(i) for i in (13, 14, 15, 16))
    + ",?4,?4,1)",
    "sales_order": "INSERT INTO sales_order (id, customer_id, opportunity_id, order_date, "
    "amount_cents, product, order_no, created_at) VALUES (?,?,?,?,?,?,?,?)",
    "payment": "INSERT INTO payment (order_id, paid_on, amount_cents) VALUES (?,?,?)",
}


def _many_rows(sql: str, count: int) -> str:
    """``INSERT ... VALUES (row)`` → the same for ``count`` rows (parameters renumbered)."""
    head, row = sql.split(" VALUES ", 1)
    if "?1" not in row:  # plain ? placeholders: number them
        numbers = iter(range(1, row.count("?") + 1))
        row = re.sub(r"\?", lambda _m: f"?{next(numbers)}", row)
    width = max(int(k) for k in re.findall(r"\?(\d+)", row))
    rows = (
        re.sub(r"\?(\d+)", lambda m, shift=j * width: f"?{int(m.group(1)) + shift}", row)
        for j in range(count)
    )
    return head + " VALUES " + ",".join(rows)


#: Rows per INSERT statement: multi-row VALUES save the per-execution work of the sqlite3
#: module and SQLite (~14 % of the insert work at 25 rows; more rows measured slower).
_ROWS_PER_INSERT = 25
_INSERT_MANY = {table: _many_rows(sql, _ROWS_PER_INSERT) for table, sql in _INSERT.items()}

#: From this many customers on, a second process makes the rows (see _rows_from_child).
PARALLEL_THRESHOLD = 20_000
#: From this many customers on, the load drops secondary indexes and rebuilds them at the end.
BULK_INDEX_THRESHOLD = 5_000

_TABLE_ORDER = (
    "customer", "contact", "customer_tag", "opportunity", "stage_change", "task",
    "interaction", "sales_order", "payment",
)  # fmt: skip


# --- the generator ----------------------------------------------------------------


class _Calendar:
    """Dates as day numbers: day ``a`` is ``as_of - HISTORY + a``; today is ``HISTORY``."""

    def __init__(self, as_of: dt.date) -> None:
        base = as_of - dt.timedelta(days=_HISTORY_DAYS)
        self.today = _HISTORY_DAYS
        self.days = [
            (base + dt.timedelta(days=a)).isoformat() for a in range(_HISTORY_DAYS + _FUTURE_DAYS)
        ]
        self.compact = [d.replace("-", "") for d in self.days]
        self.months = [d[:7] for d in self.days]
        two = [f"{i:02d}" for i in range(60)]
        self.hms = [f"{h}:{m}:{s}" for h in two[:24] for m in two for s in two]

    def ts(self, t: int) -> str:
        """Seconds since the calendar's first day → ``YYYY-MM-DD HH:MM:SS``."""
        return self.days[t // _DAY_SECONDS] + " " + self.hms[t % _DAY_SECONDS]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the rows are made.

    The load allocates millions of tuples and frees them chunk by chunk (reference
    counting does that; they form no cycles), but every 700 allocations start a
    collection that walks the young ones and now and then everything alive: a few
    per cent of the whole load for nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _open(target: Any) -> tuple[sqlite3.Connection, bool]:
    if isinstance(target, sqlite3.Connection):
        return target, False
    if hasattr(target, "connect") and hasattr(target, "path"):
        return target.connect(), True
    from crm_tui.store.database import Database

    database = Database(Path(target))
    conn = database.connect()
    database.close()
    return conn, True


def generate(
    db_path_or_conn: Any,
    customers: int = 200,
    seed: int = 1,
    as_of: dt.date | None = None,
    progress: ProgressFn | None = None,
    *,
    replace: bool = False,
    owner: str = "me",
) -> dict[str, int]:
    """Fill a database with sample data; returns the number of rows written per kind.

    ``db_path_or_conn`` is a path, a :class:`~crm_tui.store.database.Database` or an open
    stdlib connection. A database that already has customers is refused with
    :class:`DemoError` unless ``replace`` is true, which first deletes all records
    (customers and everything attached to them, tags and sales targets).

    Everything happens in one transaction: an exception (for instance raised by
    ``progress(done, total)`` to cancel) leaves the database as it was. The triggers that
    keep external-content FTS indexes current are dropped for the load and recreated,
    with their stored SQL, before the indexes are rebuilt once, inside that transaction.
    ``owner`` fills the owner fields (the CLI passes the configured user name).
    """
    if customers < 1:
        raise DemoError(_("The number of customers must be at least 1"))
    if customers > 10_000_000:
        raise DemoError(_("At most 10,000,000 customers"))
    as_of = as_of or dt.date.today()
    conn, owned = _open(db_path_or_conn)
    saved_isolation = conn.isolation_level
    saved_factory = conn.row_factory
    conn.isolation_level = None
    conn.row_factory = None
    try:
        (cache,) = conn.execute("PRAGMA cache_size").fetchone()
        (foreign_keys,) = conn.execute("PRAGMA foreign_keys").fetchone()
        (temp_store,) = conn.execute("PRAGMA temp_store").fetchone()
        conn.execute(f"PRAGMA cache_size = -{_cache_kib(customers)}")
        # Index builds sort in memory up to the cache size either way, but with temp_store
        # MEMORY SQLite's sorter mallocs every record on its own instead of filling one
        # buffer: FILE builds the indexes ~20 % faster (temp files only beyond the cache).
        conn.execute("PRAGMA temp_store = FILE")
        # Every reference is generated to an existing row (tests run foreign_key_check);
        # skipping the per-row parent lookups saves millions of B-tree seeks.
        conn.execute("PRAGMA foreign_keys = OFF")
        journal = rollback_journal(conn) if customers >= BULK_INDEX_THRESHOLD else None
        try:
            with immediate_transaction(conn):
                with fast_null_binding(), _gc_paused():
                    counts = _fill(conn, customers, seed, as_of, progress, replace, owner)
                # the deals carry DOMAIN.md's probabilities, whatever config.toml says:
                # the next opening with a config brings them to it (stage_probabilities)
                remember_applied(conn, _PROB)
        finally:
            if journal is not None:
                restore_journal(conn, journal)
            conn.execute(f"PRAGMA cache_size = {int(cache)}")
            conn.execute(f"PRAGMA temp_store = {int(temp_store)}")
            conn.execute(f"PRAGMA foreign_keys = {1 if foreign_keys else 0}")
    finally:
        conn.isolation_level = saved_isolation
        conn.row_factory = saved_factory
        if owned:
            conn.close()
    return counts


def _fill(
    conn: sqlite3.Connection,
    n: int,
    seed: int,
    as_of: dt.date,
    progress: ProgressFn | None,
    replace: bool,
    owner: str,
) -> dict[str, int]:
    (existing,) = conn.execute("SELECT count(*) FROM customer").fetchone()
    if existing and not replace:
        raise DemoError(
            _(
                "the database already has {n} customers; sample data goes into an empty "
                "database (use --replace to delete everything in it first, or choose another "
                "file with --db)"
            ).format(n=existing)
        )
    suspended = _suspend_fts_triggers(conn)
    # Big loads index once at the end (the same DDL, inside this transaction).
    dropped = drop_secondary_indexes(conn, _TABLE_ORDER) if n >= BULK_INDEX_THRESHOLD else []
    if replace:
        for table in DATA_TABLES:
            conn.execute(f"DELETE FROM {table}")  # noqa: S608  (fixed table names)
        conn.execute("DELETE FROM customer_search")

    finish_weight = max(1, n // 10)
    total_work = n + 2 * finish_weight

    def next_id(table: str) -> int:
        return conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]  # noqa: S608

    ids = {t: next_id(t) for t in ("customer", "contact", "opportunity", "task", "sales_order")}
    for name in TAGS:
        conn.execute("INSERT OR IGNORE INTO tag (name) VALUES (?)", (name,))
    tag_ids = [
        conn.execute("SELECT id FROM tag WHERE name = ?", (name,)).fetchone()[0] for name in TAGS
    ]

    cal = _Calendar(as_of)
    counts = dict.fromkeys(_TABLE_ORDER, 0)
    month_orders: dict[str, int] = {}
    done = 0
    cursor = conn.cursor()
    flat = chain.from_iterable
    if n >= PARALLEL_THRESHOLD and os.name == "posix":  # pass_fds
        chunks = _rows_from_child(n, seed, as_of, ids, tag_ids, owner, month_orders)
    else:
        chunks = _rows(random.Random(seed), cal, n, ids, tag_ids, owner, month_orders)
    try:
        for rows in chunks:
            for table in _TABLE_ORDER:
                batch = rows[table]
                size = len(batch)
                whole = size - size % _ROWS_PER_INSERT
                sql = _INSERT_MANY[table]
                for i in range(0, whole, _ROWS_PER_INSERT):
                    cursor.execute(sql, tuple(flat(batch[i : i + _ROWS_PER_INSERT])))
                if whole < size:
                    cursor.executemany(_INSERT[table], batch[whole:])
                counts[table] += size
            done += len(rows["customer"])
            if progress is not None:
                progress(done, total_work)
    finally:
        chunks.close()  # stops a child process that is still making rows

    recreate_indexes(conn, dropped)
    fts_tables = ["customer_search", *(fts for fts, _ddls in suspended)]
    saved_hashsize = _set_fts_hashsize(conn, fts_tables, _FTS_BULK_HASHSIZE)
    _resume_fts_triggers(conn, suspended)
    if progress is not None:
        progress(n + finish_weight, total_work)
    rebuild_search_index(conn)
    _restore_fts_hashsize(conn, saved_hashsize)
    counts["sales_target"] = _targets(conn, cal, month_orders)
    if progress is not None:
        progress(total_work, total_work)
    return {
        "customers": counts["customer"],
        "contacts": counts["contact"],
        "opportunities": counts["opportunity"],
        "stage_changes": counts["stage_change"],
        "interactions": counts["interaction"],
        "tasks": counts["task"],
        "orders": counts["sales_order"],
        "payments": counts["payment"],
        "tags": counts["customer_tag"],
        "targets": counts["sales_target"],
    }


def _rows_from_child(
    n: int,
    seed: int,
    as_of: dt.date,
    ids: dict[str, int],
    tag_ids: list[int],
    owner: str,
    month_orders: dict[str, int],
) -> Iterator[dict[str, list]]:
    """The chunks of :func:`_rows`, made by a second Python process while this one inserts.

    Making the rows (pure Python) and inserting them (mostly SQLite, in this process:
    the connection belongs to it) each take about a quarter of a big load, so with a
    second core free they overlap; pickling them across costs ~5 % more CPU. The child
    runs the same code with the same seed: the rows are the same as when made here.
    It is a fresh interpreter (``python -c``), so nothing of this process (threads, the
    open database, the main module) is copied or re-run. If it cannot start or ends
    before the first chunk, the rows are made here instead. ``month_orders`` is filled
    when the child has finished.
    """
    import pickle
    import subprocess
    import sys

    child = None
    read_fd, write_fd = os.pipe()
    try:
        if sys.executable:
            child = subprocess.Popen(
                [sys.executable, "-c", _CHILD_CODE, str(write_fd)],
                stdin=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # its failures come back as messages, or as EOF
                pass_fds=(write_fd,),
            )
    except OSError:
        pass
    finally:
        os.close(write_fd)
    if child is None:
        os.close(read_fd)
        yield from _rows(
            random.Random(seed), _Calendar(as_of), n, ids, tag_ids, owner, month_orders
        )
        return
    received = finished = False
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            try:
                assert child.stdin is not None
                pickle.dump((sys.path, n, seed, as_of, ids, tag_ids, owner), child.stdin)
                child.stdin.close()
            except OSError:  # it is gone already: read what it said
                pass
            while (message := receive_message(pipe)) is not None:
                kind, payload = message
                if kind == "rows":
                    received = True
                    yield payload
                elif kind == "done":
                    month_orders.update(payload)
                    finished = True
                    break
                else:
                    raise RuntimeError(f"making the sample data failed:\n{payload}")
    finally:
        if not finished:
            child.kill()
        child.wait()
    if not finished:
        if received:
            raise RuntimeError("the process making the sample data stopped")
        yield from _rows(
            random.Random(seed), _Calendar(as_of), n, ids, tag_ids, owner, month_orders
        )


#: What the child of _rows_from_child runs: arguments pickled on stdin, then _child_rows.
_CHILD_CODE = (
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\n"  # the parent decides
    "import pickle, sys\n"
    "path, *args = pickle.load(sys.stdin.buffer)\n"
    "sys.path[:] = path\n"
    "from crm_tui.store.demo import _child_rows\n"
    "_child_rows(int(sys.argv[1]), *args)\n"
)


def _child_rows(
    fd: int,
    n: int,
    seed: int,
    as_of: dt.date,
    ids: dict[str, int],
    tag_ids: list[int],
    owner: str,
) -> None:
    """The child's side of :func:`_rows_from_child`: messages (``pipes``) into ``fd``."""
    gc.disable()  # as in _gc_paused
    month_orders: dict[str, int] = {}
    pipe = os.fdopen(fd, "wb")

    def send(message: tuple) -> None:
        send_message(pipe, message)

    try:
        cal = _Calendar(as_of)
        for rows in _rows(random.Random(seed), cal, n, ids, tag_ids, owner, month_orders):
            send(("rows", rows))
        send(("done", month_orders))
    except OSError:  # the parent stopped reading (cancelled or failed): nothing to say
        pass
    except BaseException:
        import traceback

        with suppress(OSError):
            send(("error", traceback.format_exc()))
    finally:
        with suppress(OSError):
            pipe.close()


def _suspend_fts_triggers(conn: sqlite3.Connection) -> list[tuple[str, list[str]]]:
    """Drop the triggers that keep external-content FTS5 indexes of the loaded tables current.

    Indexing row by row from a trigger costs ~10x more than one ``rebuild`` at the end.
    Returns (fts table, [trigger DDL]) to restore with :func:`_resume_fts_triggers`,
    inside the same transaction, so the schema a reader sees never changes.
    """
    suspended = []
    for fts, ddl in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%fts5%'"
    ).fetchall():
        m = re.search(r"content\s*=\s*'?\"?(\w+)", ddl or "", re.IGNORECASE)
        if not m or m.group(1) not in _TABLE_ORDER:
            continue
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            (m.group(1),),
        ).fetchall()
        mine = [(name, sql) for name, sql in triggers if fts in sql]
        for name, _ddl in mine:
            conn.execute(f'DROP TRIGGER "{name}"')
        suspended.append((fts, [sql for _name, sql in mine]))
    return suspended


def _set_fts_hashsize(
    conn: sqlite3.Connection, tables: list[str], size: int
) -> list[tuple[str, Any]]:
    """Set FTS5's ``hashsize`` of ``tables``; returns their stored values (None: the default).

    ``hashsize`` bounds the postings an FTS5 index buffers in memory before writing a
    segment (1 MiB by default). Rebuilding a big index with the default writes hundreds
    of small segments that automerge then merges again and again; with a large buffer
    it writes a few big ones. The setting is stored in the index's ``_config`` table, so
    :func:`_restore_fts_hashsize` puts the old value back in the same transaction.
    """
    saved = []
    for fts in tables:
        row = conn.execute(f"SELECT v FROM \"{fts}_config\" WHERE k = 'hashsize'").fetchone()
        saved.append((fts, row[0] if row else None))
        conn.execute(f'INSERT INTO "{fts}"("{fts}", rank) VALUES (\'hashsize\', ?)', (size,))
    return saved


def _restore_fts_hashsize(conn: sqlite3.Connection, saved: list[tuple[str, Any]]) -> None:
    for fts, value in saved:
        conn.execute(
            f'INSERT INTO "{fts}"("{fts}", rank) VALUES (\'hashsize\', ?)',
            (_FTS_DEFAULT_HASHSIZE if value is None else value,),
        )
        if value is None:  # back to "not set" (the setting above told this connection)
            conn.execute(f"DELETE FROM \"{fts}_config\" WHERE k = 'hashsize'")


def _resume_fts_triggers(conn: sqlite3.Connection, suspended: list[tuple[str, list[str]]]) -> None:
    for fts, ddls in suspended:
        for ddl in ddls:
            conn.execute(ddl)
        conn.execute(f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')')


def _targets(conn: sqlite3.Connection, cal: _Calendar, month_orders: dict[str, int]) -> int:
    """Monthly targets from a year ago to three months ahead, near the typical monthly sales."""
    this_month = cal.months[cal.today]
    past = sorted(m for m in month_orders if m < this_month)[-12:]
    if not past:
        return 0
    typical = sum(month_orders[m] for m in past) // len(past)
    step = 10_000_00  # round targets to 10,000
    target = max(step, (typical * 11 // 10) // step * step)
    year, month = int(this_month[:4]), int(this_month[5:])
    rows = []
    for offset in range(-11, 4):
        y, m = divmod(year * 12 + month - 1 + offset, 12)
        rows.append((f"{y:04d}-{m + 1:02d}", target))
    before = conn.total_changes
    conn.executemany("INSERT OR IGNORE INTO sales_target (month, amount_cents) VALUES (?, ?)", rows)
    return conn.total_changes - before


def _rows(
    rng: random.Random,
    cal: _Calendar,
    n: int,
    ids: dict[str, int],
    tag_ids: list[int],
    owner: str,
    month_orders: dict[str, int],
):
    """Yield per chunk of customers a dict table → list of row tuples."""
    rnd = rng.random
    floor = math.floor  # int() of a non-negative float, a good deal cheaper
    exp = math.exp
    normals = [rng.gauss(0.0, 1.0) for _n in range(4096)]

    def lognorm(mu: float, sigma: float) -> float:
        """Log-normal draw from a fixed table of normal deviates (much cheaper than a fresh one)."""
        return exp(mu + sigma * normals[floor(rnd() * 4096)])

    days, compact, hms = cal.days, cal.compact, cal.hms
    today = cal.today
    D = _DAY_SECONDS

    def pick(seq):
        return seq[floor(rnd() * len(seq))]

    days_sp = [d + " " for d in days]

    def ts(t: int) -> str:
        return days_sp[t // D] + hms[t % D]

    def interaction_templates(zh: bool, count: int) -> list[tuple]:
        """(channel, location, our_people, subject, content, feedback, attitude, key_facts,
        next_step, next_step_due, task_id), 0 for NULL."""
        subjects = _SUBJECTS_CN if zh else _SUBJECTS_EN
        locations = _LOCATIONS_CN if zh else _LOCATIONS_EN
        out = []
        for _n in range(count):
            channel = pick(_CHANNELS)
            subj, content, feedback, facts = pick(subjects)
            rich = rnd() < 0.4
            if not rich and rnd() < 0.45:  # a quick call or message: the subject says it all
                content = None
            if channel in ("visit", "meeting"):
                location = pick(locations)
            elif channel == "online_meeting":
                location = pick(_ONLINE_LOCATIONS)
            else:
                location = None
            out.append(
                (channel, location or 0, pick(_OUR_PEOPLE) if location else 0, subj,
                 content or 0, feedback if rich else 0, pick(_ATTITUDES), facts if rich else 0,
                 0, 0, 0)  # next step, its due date, its task: set on a few rows
            )  # fmt: skip
        return out

    n_tpl = 1009

    def opportunity_details() -> tuple:
        """(competitor, strengths, weaknesses, key success factors, risks)."""
        detail = rnd() < 0.5
        return (
            pick(_COMPETITORS) if rnd() < 0.4 else None,
            pick(_STRENGTHS) if detail else None,
            pick(_WEAKNESSES) if detail else None,
            pick(_KSF) if detail else None,
            pick(_RISKS) if detail else None,
        )

    detail_pool = [opportunity_details() for _n in range(251)]
    n_detail = len(detail_pool)
    tpl_zh = interaction_templates(True, n_tpl)
    tpl_en = interaction_templates(False, n_tpl)

    # weighted choices as lookup tables: each item repeated by its weight
    city_tab = _expand(_CN_CITIES, _CN_CITY_WEIGHTS)
    industry_tab = _expand(_INDUSTRIES, _INDUSTRY_WEIGHTS)
    level_tab = _expand(_LEVELS, _LEVEL_WEIGHTS)
    source_tab = _expand(_SOURCES, _SOURCE_WEIGHTS)
    size_tab = _expand(_SIZES, _SIZE_WEIGHTS)
    rel_tab = _expand(_RELATIONSHIPS, _REL_WEIGHTS)
    stage_tab = _expand(_STAGE_CHOICES, _STAGE_WEIGHTS)
    closed_tab = _expand(_CLOSED_CHOICES, _CLOSED_WEIGHTS)

    used_names: set[str] = set()
    slug_count: dict[str, int] = {}
    # per calendar day: customers and orders numbered so far, order amounts
    code_seq = [0] * len(days)
    order_seq = [0] * len(days)
    day_orders = [0] * len(days)
    so_prefix = ["SO" + c for c in compact]
    four_digits = [f"{i:04d}" for i in range(10000)]
    two_digits = [f"{i:02d}" for i in range(100)]
    last_contact_t = (today - 1) * D + 17 * 3600  # contacts are added by yesterday evening

    # Creation days, oldest first, so ids grow with time: mostly spread over three years,
    # a few each week recently (new customers for the activity report).
    created_days = sorted(
        (today - 1 - floor(rnd() * 29) if rnd() < 0.06 else today - 30 - floor(rnd() * 1065))
        for _n in range(n)
    )

    contact_id = ids["contact"]
    opp_id = ids["opportunity"]
    task_id = ids["task"]
    order_id = ids["sales_order"]

    def unique_name(base: str, branch: str, zh: bool) -> str:
        """``base``, else a branch office of it (companies), else numbered."""
        if base not in used_names:
            used_names.add(base)
            return base
        name = f"{base}{branch}分公司" if zh else f"{base} ({branch})"
        k = 2
        while name in used_names:
            name = f"{base}{branch}第{k}分公司" if zh else f"{base} ({branch} {k})"
            k += 1
        used_names.add(name)
        return name

    def unique_person(zh: bool, female: bool) -> tuple[str, str]:
        for _n in range(20):
            pname, local = person_name(zh, female)
            if pname not in used_names:
                used_names.add(pname)
                return pname, local
        k = 2
        while f"{pname}（{k}）" in used_names:
            k += 1
        used_names.add(f"{pname}（{k}）")
        return f"{pname}（{k}）", f"{local}{k}"

    def person_name(zh: bool, female: bool) -> tuple[str, str]:
        """(display name, email local part)."""
        if zh:
            sur, sur_py = pick(_SURNAMES)
            given = _GIVEN_FEMALE if female else _GIVEN_MALE
            g1, p1 = pick(given)
            if rnd() < 0.6:
                g2, p2 = pick(given)
                return sur + g1 + g2, f"{sur_py}.{p1}{p2}"
            return sur + g1, f"{sur_py}.{p1}"
        first = pick(_EN_FIRST_FEMALE if female else _EN_FIRST_MALE)
        last = pick(_EN_LAST)
        return f"{first} {last}", f"{first}.{last}".lower().replace("ü", "u")

    # contact people: a pool per language (common names recur, as they do in life)
    people_zh = []
    people_en = []
    for _n in range(2048):
        for pool, zh in ((people_zh, True), (people_en, False)):
            female = rnd() < 0.45
            pool.append((*person_name(zh, female), female))

    n_people = len(people_zh)
    n_rel = len(rel_tab)
    n_industry, n_city, n_level = len(industry_tab), len(city_tab), len(level_tab)
    n_source = len(source_tab)
    c_prefix = ["C" + c for c in compact]
    # per level: (mean opportunities, mean other orders, mean interactions, log median yuan)
    level_profile = {k: (*v[:3], math.log(v[3])) for k, v in _LEVEL_PROFILE.items()}
    cust_id = ids["customer"] - 1
    for chunk_start in range(0, n, _CHUNK):
        rows: dict[str, list] = {t: [] for t in _TABLE_ORDER}
        r_customer = rows["customer"]
        r_contact = rows["contact"]
        r_tag = rows["customer_tag"]
        r_opp = rows["opportunity"]
        r_stage = rows["stage_change"]
        stage_append = r_stage.append
        r_task = rows["task"]
        r_inter = rows["interaction"]
        inter_append = r_inter.append
        r_order = rows["sales_order"]
        r_pay = rows["payment"]
        for ci in range(chunk_start, min(n, chunk_start + _CHUNK)):
            cust_id += 1
            c_day = created_days[ci]
            age = today - c_day  # days since creation, >= 1
            c_t = c_day * D + 8 * 3600 + floor(rnd() * 3600)  # created 08:00-09:00
            c_created = days_sp[c_day] + hms[c_t % D]

            # --- who the customer is
            r = rnd()
            p_female, p_local = False, ""
            industry = industry_tab[floor(rnd() * n_industry)]
            city, region, area, city_py, districts, city_en = city_tab[floor(rnd() * n_city)]
            if r < 0.9:
                kind = "company"
                zh = r < 0.6
                if zh:
                    (b1, p1), (b2, p2) = pick(_BRAND_1), pick(_BRAND_2)
                    short = b1 + b2
                    base = city + short + pick(_CN_INDUSTRY_WORDS[industry]) + pick(_CN_SUFFIXES)
                    name = unique_name(base, pick(_CN_CITIES)[0], True)
                    slug = f"{p1}{p2}-{city_py}"
                    tld = ".com.cn"
                else:
                    w = pick(_EN_WORDS)
                    short = w
                    base = f"{w} {pick(_EN_INDUSTRY_WORDS[industry])}{pick(_EN_MIDDLE)} {pick(_EN_SUFFIXES)}"
                    if rnd() < 0.5:
                        city_en, region, city_py, area = pick(_EN_CITIES)
                    name = unique_name(base, city_en, False)
                    slug = w.lower().replace(" ", "") + "-" + city_py
                    tld = ".com"
                used = slug_count.get(slug, 0)
                slug_count[slug] = used + 1
                if used:
                    slug = f"{slug}{used + 1}"
                size = pick(size_tab) if rnd() < 0.85 else None
            else:
                kind = "person"
                zh = r < 0.96
                p_female = rnd() < 0.5
                name, p_local = unique_person(zh, p_female)
                short = name
                slug = ""
                tld = ""
                size = None
                industry = "other" if rnd() < 0.5 else industry

            level = level_tab[floor(rnd() * n_level)]
            if age > 400 and rnd() < 0.12:
                status = "lost"
                win_lo = 365
            elif age > 240 and rnd() < 0.2:
                status = "dormant"
                win_lo = 180
            else:
                status = "active"
                win_lo = 1
            next_actions = _NEXT_ACTIONS_CN if zh else _NEXT_ACTIONS_EN
            n_opps_mean, n_orders_mean, n_inter_mean, mu = level_profile[level]

            seq = code_seq[c_day] + 1
            code_seq[c_day] = seq
            code = c_prefix[c_day] + (four_digits[seq][1:] if seq < 1000 else str(seq))

            # --- contacts
            k = 1 if kind == "person" else pick(_CONTACT_COUNTS)
            contact_ids = []
            contact_names = []
            decision_maker = None
            local_used: set[str] = set()
            for j in range(k):
                female = p_female
                c_zh = zh if rnd() < 0.85 else not zh
                if kind == "person":
                    cname, local = name, f"{p_local}{cust_id}"
                    title = (None, None, None, None, "decision_maker")
                else:
                    pool = people_zh if c_zh else people_en
                    cname, local, female = pool[floor(rnd() * n_people)]
                    if local in local_used:  # two namesakes at one company are rare
                        cname, local, female = pool[floor(rnd() * n_people)]
                    title = _TITLES[floor(rnd() * _N_TITLES)] if j else _TITLES[floor(rnd() * 3)]
                if local in local_used:
                    local = f"{local}{j + 1}"
                local_used.add(local)
                role = title[4]
                if role == "decision_maker" and decision_maker is None:
                    decision_maker = contact_id
                if kind == "person":
                    email = f"{local}@mail.example.com" if rnd() < 0.7 else None
                else:
                    email = f"{local}@{slug}{tld}" if rnd() < 0.85 else None
                if rnd() < 0.9:
                    # unique, and rising with the id so the phone-digit indexes grow at a few ends
                    digits = (contact_id * 7919 + 13_000_000) % 100_000_000
                    mobile = (
                        _CN_MOBILE_PREFIXES[floor(rnd() * _N_MOBILE_PREFIXES)]
                        + four_digits[digits // 10000]
                        + four_digits[digits % 10000]
                    )
                else:
                    mobile = None
                phone = (
                    f"{area}-{(contact_id * 7919 + 12345) % 90_000_000 + 10_000_000}"
                    if kind == "company" and rnd() < 0.6
                    else None
                )
                birthday = (
                    f"{1962 + floor(rnd() * 37)}-{two_digits[1 + floor(rnd() * 12)]}"
                    f"-{two_digits[1 + floor(rnd() * 28)]}"
                    if rnd() < 0.35
                    else None
                )
                if j == 0:
                    ct = c_t + floor(rnd() * 120) * 60
                else:
                    ct = c_t + floor(rnd() * (age if age < 300 else 300)) * D
                if ct > last_contact_t:
                    ct = last_contact_t
                ct_s = days_sp[ct // D] + hms[ct % D]
                r_contact.append(
                    (
                        contact_id, cust_id, cname,
                        title[0] if c_zh else title[1], title[2] if c_zh else title[3],
                        role, "female" if female else "male", phone, mobile, email,
                        ("wxid_" + local.replace(".", "_")) if mobile and rnd() < 0.5 else None,
                        birthday, _PREF_CHANNELS[floor(rnd() * _N_PREF_CHANNELS)] if rnd() < 0.7 else None,
                        rel_tab[floor(rnd() * n_rel)], owner, ct_s, ct_s,
                    )
                )  # fmt: skip
                contact_ids.append(contact_id)
                contact_names.append(cname)
                contact_id += 1

            # --- tags
            if rnd() < 0.35:
                first = 0 if level in ("A", "B") and rnd() < 0.6 else floor(rnd() * 5)
                if status != "active" and rnd() < 0.7:
                    first = 4
                r_tag.append((cust_id, tag_ids[first]))
                if rnd() < 0.3:
                    second = (first + 1 + floor(rnd() * 4)) % 5
                    r_tag.append((cust_id, tag_ids[second]))

            # --- opportunities with their stage history
            m = n_opps_mean * 2 * rnd()
            n_opps = floor(m + 0.5) if rnd() < 0.9 else floor(m)
            opps = []  # (id, start day, end day, open?, contact id, product, amount, order day)
            pending_opps = []  # rows waiting for their last interaction
            hi = age if age < 700 else 700
            lo_closed = win_lo if win_lo < hi else hi
            outcome_tab = stage_tab if status == "active" else closed_tab
            n_outcomes = len(outcome_tab)
            n_contacts = len(contact_ids)
            for _n in range(n_opps):
                outcome = outcome_tab[floor(rnd() * n_outcomes)]
                lost = outcome < 0
                reached = floor(rnd() * 4) if lost else outcome  # furthest ladder step
                is_open = not lost and reached < 4
                # day the last change happened (days ago), then walk back in gaps
                if is_open:
                    last_ago = 1 + floor(rnd() ** 2 * 75)
                else:
                    last_ago = lo_closed + floor(rnd() * (hi - lo_closed + 1))
                steps = reached + 1 + (1 if lost else 0)
                gaps = [3 + floor(rnd() * 30) for _n in range(steps - 1)]
                if reached == 5:  # after-sales follows the win by weeks
                    gaps[-1] = 7 + floor(rnd() * 50)
                start_ago = last_ago + sum(gaps)
                if start_ago > age:  # squeeze into the customer's lifetime
                    scale = (age - 1) / max(1, start_ago - 1)
                    gaps = [floor(g * scale) for g in gaps]
                    last_ago = last_ago if last_ago < age else age
                    start_ago = last_ago + sum(gaps)
                    start_ago = start_ago if start_ago < age else age
                t = (today - start_ago) * D + 9 * 3600 + floor(rnd() * 8 * 3600)
                if t < c_t + 600:
                    t = c_t + 600
                times = [t]
                for g in gaps:
                    t2 = t + g * D + floor(rnd() * 3600) - 1800
                    t = t2 if t2 > t + 3600 else t + 3600
                    times.append(t)
                pairs = _LOST_PATHS[reached] if lost else _PATHS[reached]
                stage = pairs[-1][1]
                for (frm, to), tt in zip(pairs, times, strict=True):
                    stage_append((opp_id, frm, to, days_sp[tt // D] + hms[tt % D]))
                t = times[0]
                created_s = days_sp[t // D] + hms[t % D]
                end_t = times[-1]
                end_day = end_t // D
                product_zh, product_en = _PRODUCTS[floor(rnd() * _N_PRODUCTS)]
                product = product_zh if zh else product_en
                amount = floor(lognorm(mu, 0.8) * (1.2 if rnd() < 0.5 else 0.9)) // 100 * 10000
                if amount < 100_000:
                    amount = 100_000
                contact = contact_ids[floor(rnd() * n_contacts)]
                prob = _PROB[stage]
                overridden = 0
                if is_open and rnd() < 0.15:
                    prob = max(5, min(95, prob + pick((-15, -10, 10, 15))))
                    overridden = 1
                if is_open:
                    # some have slipped past their close date, but none was to close
                    # within a week of being opened
                    close_day = today - 20 + floor(rnd() * 140)
                    earliest = times[0] // D + 7
                    exp_close = days[close_day if close_day > earliest else earliest]
                    next_action = next_actions[floor(rnd() * len(next_actions))]
                    nad = days[today - 5 + floor(rnd() * 25)] if rnd() < 0.8 else None
                    actual = None
                    ticks = ("", "0", "0,1")[floor(rnd() * 3)]
                    risk_flag = 1 if rnd() < 0.15 else 0
                else:
                    exp_close = end_day - 10 + floor(rnd() * 20)
                    exp_close = days[exp_close if exp_close > 0 else 0]
                    next_action = nad = None
                    won_t = times[4] if reached >= 4 and not lost else end_t
                    actual = days[won_t // D]
                    ticks = ""
                    risk_flag = 0
                detail = detail_pool[floor(rnd() * n_detail)]
                if risk_flag and detail[4] is None:
                    detail = detail[:4] + (pick(_RISKS),)
                pending_opps.append(
                    (
                        opp_id, cust_id, contact,
                        f"{short} {product}" if kind == "company" else f"{product} - {short}",
                        product, amount, exp_close, stage, prob, overridden,
                    ) + detail + (
                        risk_flag, next_action, nad, actual,
                        pick(_LOST_REASONS_CN if zh else _LOST_REASONS_EN) if lost else None,
                        ticks, created_s, days_sp[end_day] + hms[end_t % D],
                    )
                )  # fmt: skip
                if reached >= 4 and not lost and rnd() < 0.9:
                    # the won deal's order
                    o_day = min(today - 1, times[4] // D + floor(rnd() * 8))
                    opps.append(
                        (
                            opp_id,
                            today - times[0] // D,
                            today - end_day,
                            False,
                            contact,
                            product,
                            amount,
                            o_day,
                        )
                    )
                else:
                    opps.append((opp_id, today - times[0] // D, today - end_day if not is_open else 1, is_open, contact, product, amount, -1))  # fmt: skip
                opp_id += 1

            # --- orders (won deals' and repeat business), with payments
            order_list = []  # (day, amount, opp id, product)
            for o in opps:
                if o[7] >= 0:
                    order_list.append((o[7], o[6], o[0], o[5]))
            m = n_orders_mean * 2 * rnd()
            n_orders = floor(m + 0.5)
            o_hi = age if age < 730 else 730
            o_lo = win_lo if win_lo < o_hi else o_hi
            o_span = o_hi - o_lo + 1
            active = status == "active"
            for _n in range(n_orders):
                # more recent orders are likelier for active customers
                u = rnd()
                if active:
                    u = u**1.5
                o_day = today - (o_lo + floor(u * o_span))
                amt = floor(lognorm(mu, 1.0))
                amt = amt // 100 * 10000 if amt > 10_000 else amt * 100 + (50 if rnd() < 0.1 else 0)
                if amt < 5_000:
                    amt = 5_000
                p_zh, p_en = _PRODUCTS[floor(rnd() * _N_PRODUCTS)]
                order_list.append((o_day, amt, None, p_zh if zh else p_en))
            order_list.sort(key=_by_day)
            c_total, c_last_order = 0, -1
            for o_day, amt, o_opp, prod in order_list:
                if o_day >= today:
                    o_day = today - 1
                s = order_seq[o_day] + 1
                order_seq[o_day] = s
                c_total += amt
                c_last_order = o_day
                r_order.append(
                    (order_id, cust_id, o_opp, days[o_day], amt, prod,
                     so_prefix[o_day] + (four_digits[s] if s < 10000 else str(s)),
                     days_sp[o_day] + hms[10 * 3600 + floor(rnd() * 7 * 3600)])
                )  # fmt: skip
                day_orders[o_day] += amt
                age_o = today - o_day
                r = rnd()
                if (age_o > 45 and r < 0.75) or (age_o <= 45 and r < 0.3):
                    pay_day = o_day + 10 + floor(rnd() * 35)
                    if pay_day >= today:
                        pay_day = today - 1
                    if rnd() < 0.3 and amt >= 1000:
                        part = amt * 3 // 10
                        r_pay.append(
                            (order_id, days[o_day + 3 if o_day + 3 < today else today - 1], part)
                        )
                        r_pay.append((order_id, days[pay_day], amt - part))
                    else:
                        r_pay.append((order_id, days[pay_day], amt))
                elif age_o > 45 and r < 0.9:
                    r_pay.append(
                        (order_id, days[o_day + 20 if o_day + 20 < today else today - 1], amt // 2)
                    )
                order_id += 1

            # --- tasks
            open_deals = [o for o in opps if o[3]]
            m = 2 * rnd()
            n_tasks = floor(m + 0.5)
            open_tasks = []  # (id, title, due day)
            for _n in range(n_tasks):
                ttype, t_zh, t_en = _TASK_TITLES[floor(rnd() * _N_TASK_TITLES)]
                named = None  # the contact a visit, call or e-mail names in its title
                if ttype in ("visit", "call", "email"):
                    named = floor(rnd() * len(contact_names))  # (as pick() draws it)
                who = contact_names[named] if named is not None else short
                before, after = t_zh if zh else t_en
                title = before + who + after
                r = rnd()
                if status != "active":
                    r = 0.0 if rnd() < 0.8 else r
                deal = pick(open_deals)[0] if open_deals and rnd() < 0.5 else None
                due_time = None
                planned_start = planned_end = None
                result = completed = None
                if r < 0.45:
                    st = "done"
                    due = today - 1 - floor(rnd() * min(300, age))
                    fin = max(
                        c_t + 3600,
                        (due - floor(rnd() * 3)) * D + 9 * 3600 + floor(rnd() * 9 * 3600),
                    )
                    completed = ts(min(fin, (today - 1) * D + 18 * 3600))
                    result = pick(_TASK_RESULTS)
                    deal = None
                elif r < 0.5:
                    st = "cancelled"
                    due = today - 1 - floor(rnd() * min(200, age))
                    deal = None
                else:
                    st = "in_progress" if rnd() < 0.2 else "planned"
                    if r < 0.62:
                        due = max(c_day, today - 1 - floor(rnd() ** 2 * 40))  # overdue
                    elif r < 0.68:
                        due = today
                    elif r < 0.85:
                        due = today + 1 + floor(rnd() * 7)
                    else:
                        due = today + 8 + floor(rnd() * 50)
                if rnd() < 0.4:
                    due_time = hms[(9 + floor(rnd() * 9)) * 3600 + (1800 if rnd() < 0.5 else 0)][:5]
                if ttype == "visit" and rnd() < 0.7:
                    start = due * D + (9 + floor(rnd() * 7)) * 3600
                    planned_start, planned_end = ts(start), ts(start + 2 * 3600)
                made = max(c_t + 600, min(due, today - 1) * D - floor(rnd() * 10) * D + 9 * 3600)
                made = min(made, (today - 1) * D + 18 * 3600)
                made_s = ts(made)
                if st == "cancelled":  # when, as the app records it: in the completed list
                    # it showed no date and sorted last. On its due day, in working hours
                    # (from the id: no draw of rnd(), the rows after it stay as they were),
                    # after it was made, before today.
                    when = due * D + 9 * 3600 + (task_id * 7919) % (9 * 60) * 60
                    completed = ts(min(max(when, made + 3600), (today - 1) * D + 18 * 3600))
                task_contact = pick(contact_ids) if rnd() < 0.6 else None
                if named is not None:  # "Email the quote to David Lin" is David Lin's
                    task_contact = contact_ids[named]
                r_task.append(
                    (
                        task_id, title, ttype, cust_id, task_contact, deal,
                        pick(_NEXT_ACTIONS_CN if zh else _NEXT_ACTIONS_EN) if rnd() < 0.3 else None,
                        days[due], due_time, planned_start, planned_end, st, result, completed,
                        made_s, completed or made_s,
                    )
                )  # fmt: skip
                if st in ("planned", "in_progress"):
                    open_tasks.append((task_id, title, days[due]))
                task_id += 1

            # --- interactions over the past year, oldest first
            i_hi = age if age < 364 else 364
            m = n_inter_mean * 2 * rnd() * i_hi / 364
            n_inter = floor(m + 0.5)
            i_lo = _INTERACTION_LATEST[status]
            if i_lo > i_hi:
                i_lo = i_hi
            # plan: creation second * 32 + (index of the linked deal + 1), sorted = oldest first
            plan = []
            plan_append = plan.append
            n_deals = len(opps)
            i_base = (today - i_lo) * D + 32400  # 09:00 on the latest allowed day
            i_span = i_hi - i_lo + 1
            earliest = c_t + 60
            for _n in range(n_inter):
                if n_deals and rnd() < 0.45:
                    k = floor(rnd() * n_deals)
                    o = opps[k]
                    lo_d = i_lo if i_lo > o[2] else o[2]
                    hi_d = i_hi if i_hi < o[1] else o[1]
                    if lo_d <= hi_d:
                        t = (today - lo_d - floor(rnd() * (hi_d - lo_d + 1))) * D + 32400
                        t += floor(rnd() * 36000)
                        plan_append((t if t > c_t else earliest) * 32 + k + 1)
                        continue
                t = i_base - floor(rnd() * i_span) * D + floor(rnd() * 36000)
                plan_append((t if t > c_t else earliest) * 32)
            plan.sort()
            templates = tpl_zh if zh else tpl_en
            last_seen: dict[int, str] = {}
            when = None
            nc = len(contact_ids)
            c0 = contact_ids[0]  # the customer's contacts have consecutive ids
            for key in plan:
                t = key >> 5
                slot = key & 31
                when = days_sp[t // D] + hms[t % D]
                tpl = templates[floor(rnd() * n_tpl)]
                if slot:
                    o = opps[slot - 1]
                    contact = o[4]
                    deal_id = o[0]
                    last_seen[deal_id] = when  # the plan is in time order: the last one wins
                else:
                    contact = c0 + floor(rnd() * nc)
                    deal_id = 0  # NULL
                inter_append(
                    (cust_id, contact, deal_id, when,
                     contact_names[contact - c0] if tpl[1] else 0) + tpl
                )  # fmt: skip
            if plan and open_tasks:
                link, nxt, nxt_due = open_tasks[0]
                r_inter[-1] = r_inter[-1][:13] + (nxt, nxt_due, link)
            for row in pending_opps:
                r_opp.append((*row, last_seen.get(row[0])))

            # --- the customer row itself
            rich = rnd()
            if rich < 0.9:
                first_contact = c_day - floor(rnd() * 60)
                first_contact = days[first_contact if first_contact > 0 else 0]
            else:
                first_contact = None
            if kind == "company" and zh:
                address = f"{city}市{pick(districts)}{pick(_CN_ROADS)}{1 + floor(rnd() * 999)}号"
            elif kind == "company":
                if city_py in ("sg", "hk", "uk", "us", "au", "de"):
                    address = f"{1 + floor(rnd() * 300)} {pick(_EN_STREETS)}, {city_en}"
                else:
                    address = f"{1 + floor(rnd() * 999)} {pick(_CN_ROADS_EN)}, {city_en}"
            else:
                address = None
            r_customer.append(
                (
                    cust_id, code, name, normalise_name(name), name_sort_key(name), kind,
                    industry, size,
                    address if rich < 0.6 else None, address if rich < 0.8 else None,
                    region, source_tab[floor(rnd() * n_source)], first_contact, level, status,
                    pick(_NEEDS_CN if zh else _NEEDS_EN) if rich < 0.7 else None,
                    floor(lognorm(mu, 0.5) * 3) // 1000 * 100000 if rich < 0.65 else None,
                    days[today + 10 + floor(rnd() * 170)] if rich < 0.5 and status == "active" else None,
                    contact_ids[0], decision_maker, owner, c_total,
                    days[c_last_order] if c_last_order >= 0 else None, when, c_created,
                    ts(max(c_t, (today - 1 - (floor(rnd() * (age - 1 if age < 91 else 90)) if age > 1 else 0)) * D + 9 * 3600)),
                )
            )  # fmt: skip
        # Time order within the chunk: the by-date indexes then grow in sweeps, not at random.
        r_inter.sort(key=_by_when)
        r_stage.sort(key=_by_when)
        r_order.sort(key=_by_when)  # order_date
        months = cal.months
        for day, amount in enumerate(day_orders):
            if amount:
                month_orders[months[day]] = month_orders.get(months[day], 0) + amount
                day_orders[day] = 0
        yield rows

"""Synthetic but plausible Futian data for the demo load: pure generation, no database.

Everything is drawn from one ``random.Random(seed)`` per stream, so the same seed gives the
same enterprises, people and employments. Identity numbers are valid by construction: resident
IDs carry a real birth-place code (from python-stdnum's own table) and the GB 11643 check
digit; USCCs carry a GB 11714 organisation code with its check digit and the GB 32100 check
character. The mix of industries, streets and firm sizes follows the shape of Futian: finance,
leasing and business services, IT and wholesale/retail dominate; most firms are micro or small.
"""

from __future__ import annotations

import array
import bisect
import datetime as dt
import itertools
import os
import random
import uuid
from dataclasses import dataclass, field
from functools import cache

from stdnum.cn import ric, uscc

# ---- the fixed demo objects the accounts and tests rely on ----------------------------------

HR_ENTERPRISE = ("深圳福田示范科技有限公司", "futian", "65")
HR2_ENTERPRISE = ("深圳华强北电子贸易有限公司", "huaqiangbei", "51")
HR_ENTERPRISE_EMPLOYEES = 40
HR2_ENTERPRISE_EMPLOYEES = 25
WORKER_NAME = "张三"
WORKER_PHONE = "13800000001"
WORKER_ID_BASE = "44030419900307123"  # + check digit
# Phones the generator never hands out (the demo worker's, and a block kept free for tests).
RESERVED_PHONE_PREFIX = "1380000"

# ---- the 26 mediation organisations of the seed document ------------------------------------

DISTRICT_ORGANISATION = "福田区人力资源综合事务中心（劳动信访调解部）"
PLATFORM_ORGANISATIONS = [
    "福田区即时配送平台企业劳动争议调解委员会",
    "福田区网约出行平台企业劳动争议调解委员会",
]
SOCIAL_ORGANISATIONS = [
    "福田区人力资源协会劳动争议调解委员会",
    "福田区律师协会劳动争议调解委员会",
    "福田区总商会劳动争议调解委员会",
    "福田区企业联合会劳动争议调解委员会",
    "福田区金融业协会劳动争议调解委员会",
    "福田区软件和信息服务业协会劳动争议调解委员会",
    "福田区建筑业协会劳动争议调解委员会",
    "福田区物业管理行业协会劳动争议调解委员会",
    "福田区餐饮行业协会劳动争议调解委员会",
    "福田区商业联合会劳动争议调解委员会",
    "福田区社会工作者协会劳动争议调解委员会",
    "华强北商圈商会劳动争议调解委员会",
    "福田区外商投资企业协会劳动争议调解委员会",
]


def organisations(streets: list[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
    """(name, kind, street code) for the 26 organisations; ``streets`` is [(code, name_zh)]."""
    rows: list[tuple[str, str, str | None]] = [(DISTRICT_ORGANISATION, "district", None)]
    rows += [(f"{name}劳动争议调解中心", "street", code) for code, name in streets]
    rows += [(name, "platform", None) for name in PLATFORM_ORGANISATIONS]
    rows += [(name, "social", None) for name in SOCIAL_ORGANISATIONS]
    return rows


# ---- distributions ---------------------------------------------------------------------------

# Share of enterprises by GB/T 4754 section, shaped on Futian's register: finance (J), leasing
# and business services (L), IT (I) and wholesale/retail (F) make up about 70 %.
SECTION_WEIGHTS = {
    "L": 21.0,
    "F": 18.0,
    "J": 16.0,
    "I": 15.0,
    "M": 8.0,
    "K": 5.0,
    "E": 4.0,
    "O": 3.0,
    "H": 3.0,
    "C": 2.5,
    "R": 1.5,
    "G": 1.5,
    "P": 0.6,
    "Q": 0.4,
    "N": 0.3,
    "D": 0.1,
    "S": 0.1,
}
# Within a section, divisions by weight (others in the section share what is left equally).
DIVISION_WEIGHTS = {
    "J": {"66": 18, "67": 27, "68": 10, "69": 45},
    "L": {"71": 12, "72": 88},
    "I": {"63": 5, "64": 30, "65": 65},
    "F": {"51": 65, "52": 35},
    "M": {"73": 25, "74": 55, "75": 20},
    "E": {"47": 25, "48": 15, "49": 15, "50": 45},
    "H": {"61": 20, "62": 80},
    "C": {"39": 40, "38": 15, "27": 10, "24": 10, "23": 10, "18": 15},
    "G": {"54": 20, "58": 50, "59": 20, "60": 10},
    "O": {"80": 50, "81": 30, "82": 20},
}
# Relative mean headcount per section: banks, insurers and IT firms employ more per firm than
# the many small investment, consulting and trading companies.
SECTION_HEADCOUNT = {
    "J": 1.6,
    "I": 1.4,
    "K": 1.5,
    "E": 1.8,
    "H": 1.3,
    "C": 1.4,
    "G": 1.3,
    "Q": 2.0,
    "P": 1.5,
    "D": 3.0,
    "L": 0.7,
    "F": 0.7,
    "M": 0.9,
}
# Size bands (micro below a, small below b, medium below c, large from c) — the national
# enterprise size rules, simplified to headcount.
SIZE_BANDS = {
    "51": (5, 20, 200),
    "52": (10, 50, 300),
    "C": (20, 300, 1000),
    "G": (20, 300, 1000),
    "H": (10, 100, 300),
    "default": (10, 100, 300),
}

STREET_WEIGHTS = {
    "futian": 20,
    "lianhua": 11,
    "shatou": 10,
    "huaqiangbei": 11,
    "xiangmihu": 9,
    "meilin": 8,
    "yuanling": 7,
    "nanyuan": 6,
    "huafu": 9,
    "fubao": 9,
}
ROADS = {
    "yuanling": ["红岭中路", "八卦四路", "百花二路", "园岭东路", "上步中路"],
    "nanyuan": ["滨河大道", "南园路", "华强南路", "巴登街", "埔尾路"],
    "futian": ["福华三路", "金田路", "益田路", "福华一路", "民田路", "中心五路"],
    "shatou": ["深南大道", "泰然九路", "车公庙工业区", "新洲路", "天安数码城"],
    "xiangmihu": ["侨香路", "香梅路", "农林路", "红荔西路", "农园路"],
    "meilin": ["梅林路", "梅华路", "北环大道", "中康路", "梅康路"],
    "lianhua": ["红荔路", "景田路", "紫荆路", "莲花路", "新闻路"],
    "huafu": ["彩田路", "华富路", "笋岗西路", "新洲二路", "黄木岗"],
    "fubao": ["桃花路", "红花路", "槟榔道", "广兰道", "福强路"],
    "huaqiangbei": ["华强北路", "振华路", "燕南路", "深南中路", "华发北路"],
}
BUILDINGS = ["大厦", "中心", "广场", "科技园", "商务中心", "金融中心", "创业园", "国际大厦"]

# Trade-name characters (字号) and, per section, what a firm of that section calls itself.
BRAND_CHARS = (
    "华鑫瑞泰宏盛恒达信安嘉德博远卓越汇丰兴隆佳诚正合众和新天中海鹏福润鸿金银星辰云智科联创"
    "优峰源升元亿万通利昌晟晖明启航腾飞凯旭锦程永顺宝龙前海南山深港粤湾港湘楚越华美康宁乐"
    "思睿知行致远同心海纳百川"
)
SECTION_SUFFIX = {
    "J": [
        "投资管理",
        "资产管理",
        "基金管理",
        "股权投资基金管理",
        "融资租赁",
        "商业保理",
        "私募基金管理",
        "财富管理",
        "保险代理",
        "金融信息服务",
    ],
    "L": [
        "商务咨询",
        "企业管理咨询",
        "品牌管理",
        "供应链管理",
        "人力资源",
        "会展服务",
        "广告",
        "知识产权代理",
        "物业管理",
        "文化传播",
    ],
    "I": ["科技", "信息技术", "软件", "网络科技", "数据科技", "智能科技", "云计算", "数字技术"],
    "F": ["贸易", "电子贸易", "商贸", "实业", "进出口", "电子商务", "百货", "医药连锁"],
    "M": ["技术服务", "检测技术", "工程设计", "科技研发", "建筑设计", "环境科技"],
    "K": ["房地产开发", "置业", "房地产经纪", "物业发展"],
    "E": ["建设工程", "建筑装饰工程", "机电安装工程", "市政工程"],
    "H": ["餐饮管理", "酒店管理", "餐饮服务", "茶餐厅"],
    "C": ["电子", "精密制造", "服饰", "医疗器械", "印刷", "智能设备"],
    "G": ["物流", "供应链", "国际货运代理", "运输"],
    "O": ["家政服务", "维修服务", "美容美发", "洗涤服务"],
    "R": ["文化传媒", "影视", "体育文化", "娱乐"],
    "P": ["教育咨询", "职业技能培训", "教育科技"],
    "Q": ["医疗管理", "口腔门诊", "健康管理"],
    "N": ["环保科技", "园林绿化", "市政设施管理"],
    "D": ["能源", "电力服务"],
    "S": ["社会服务"],
}
POSITIONS = {
    "J": ["客户经理", "风控专员", "投资经理", "柜员", "合规专员", "理财顾问", "分析师"],
    "I": ["软件工程师", "测试工程师", "产品经理", "运维工程师", "前端工程师", "数据分析师"],
    "F": ["销售代表", "采购专员", "店员", "仓管员", "收银员", "店长"],
    "L": ["咨询顾问", "行政专员", "项目经理", "客服专员", "招聘专员", "保安员", "保洁员"],
    "E": ["施工员", "安全员", "钢筋工", "电工", "木工", "项目经理"],
    "H": ["厨师", "服务员", "前台接待", "店长", "配菜员"],
}
POSITIONS_DEFAULT = ["职员", "行政专员", "财务专员", "技术员", "业务员", "主管", "经理", "司机"]

# Surnames weighted by their national frequency (per mille, rounded), and given-name characters.
SURNAMES = [
    ("王", 72),
    ("李", 72),
    ("张", 68),
    ("刘", 54),
    ("陈", 54),
    ("杨", 31),
    ("黄", 27),
    ("赵", 23),
    ("吴", 21),
    ("周", 21),
    ("徐", 17),
    ("孙", 16),
    ("马", 15),
    ("朱", 14),
    ("胡", 13),
    ("郭", 12),
    ("何", 12),
    ("林", 12),
    ("罗", 11),
    ("高", 11),
    ("郑", 10),
    ("梁", 10),
    ("谢", 9),
    ("宋", 8),
    ("唐", 8),
    ("许", 8),
    ("邓", 8),
    ("韩", 7),
    ("冯", 7),
    ("曹", 7),
    ("彭", 7),
    ("曾", 7),
    ("肖", 6),
    ("田", 6),
    ("董", 6),
    ("潘", 5),
    ("袁", 5),
    ("蔡", 5),
    ("蒋", 5),
    ("余", 5),
    ("于", 5),
    ("杜", 5),
    ("叶", 5),
    ("程", 5),
    ("魏", 4),
    ("苏", 4),
    ("吕", 4),
    ("丁", 4),
    ("任", 4),
    ("卢", 4),
    ("姚", 4),
    ("沈", 4),
    ("钟", 4),
    ("姜", 4),
    ("崔", 4),
    ("谭", 4),
    ("陆", 3),
    ("范", 3),
    ("汪", 3),
    ("廖", 3),
    ("石", 3),
    ("金", 3),
    ("韦", 3),
    ("贾", 3),
    ("夏", 3),
    ("付", 3),
    ("方", 3),
    ("邹", 3),
    ("熊", 3),
    ("白", 3),
    ("孟", 3),
    ("秦", 3),
    ("邱", 3),
    ("侯", 3),
    ("江", 3),
    ("尹", 3),
    ("薛", 2),
    ("闫", 2),
    ("段", 2),
    ("雷", 2),
    ("龙", 2),
    ("黎", 2),
    ("史", 2),
    ("陶", 2),
    ("贺", 2),
    ("毛", 2),
    ("郝", 2),
    ("顾", 2),
    ("龚", 2),
    ("邵", 2),
    ("万", 2),
    ("覃", 2),
    ("武", 2),
    ("钱", 2),
    ("戴", 2),
    ("严", 2),
    ("莫", 2),
    ("孔", 2),
    ("向", 2),
    ("常", 2),
    ("欧阳", 1),
    ("司马", 1),
    ("上官", 1),
]
GIVEN_MALE = "伟强磊军勇杰涛明超斌波辉刚健平鹏华飞鑫浩宇晨俊凯航宏志建国文博毅峰龙祥亮东林海"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪琳颖倩慧莉萍红梅洁琴欣怡佳悦晴璐瑶岚妍蕾薇茜丹彤"
GIVEN_ANY = "子思雨一嘉安文晓小天梓宁可心家逸乐雅诗欣"

# Where Shenzhen's workers were born: province code prefix → weight (migrants from the
# neighbouring provinces predominate, then Guangdong's own east and west).
PROVINCE_WEIGHTS = {
    "44": 34,
    "43": 15,
    "45": 10,
    "36": 8,
    "42": 8,
    "51": 6,
    "41": 6,
    "35": 3,
    "50": 3,
    "61": 2,
    "34": 2,
    "37": 2,
    "52": 1,
}

MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
]

TODAY = dt.date(2026, 1, 1)  # generation is pinned to a date so a seed means the same data


def cum_weights(weights):
    return list(itertools.accumulate(weights))


@cache
def area_codes() -> dict[str, list[str]]:
    """County-level birth-place codes per province, each valid for births 1965–2005."""
    import stdnum

    path = os.path.join(os.path.dirname(stdnum.__file__), "cn", "loc.dat")
    codes: dict[str, list[str]] = {p: [] for p in PROVINCE_WEIGHTS}
    province = ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            if not line[0].isspace():
                province = line[:2]
                continue
            code = province + line.split()[0]
            if province not in codes or code.endswith("00") or "市辖区" in line or "郊区" in line:
                continue
            # Valid in every year of the birth range, checked the way validators check it.
            if all(
                ric.is_valid(_with_check(f"{code}{y}0101001")) for y in (1965, 1980, 1995, 2005)
            ):
                codes[province].append(code)
    return {p: c for p, c in codes.items() if c}


def _with_check(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def worker_id_number() -> str:
    return _with_check(WORKER_ID_BASE)


# ---- identity numbers ------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check(code8: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    total = sum(int(c, 36) * w for c, w in zip(code8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else ("0" if check == 11 else str(check))


def make_uscc(rng: random.Random) -> str:
    """A Futian enterprise's code: 9 (market regulator) 1 (enterprise) 440304/440300, GB 11714
    organisation code (new-style MA5…, or an old numeric one), GB 32100 check character."""
    region = "440304" if rng.random() < 0.7 else "440300"
    if rng.random() < 0.75:
        body = "MA5" + "".join(rng.choices(USCC_ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY", k=5))
    else:
        body = "".join(rng.choices("0123456789", k=8))
    first17 = "91" + region + body + org_code_check(body)
    return first17 + uscc.calc_check_digit(first17)


# ---- enterprises -----------------------------------------------------------------------------


@dataclass
class EnterpriseSpec:
    name: str
    uscc: str
    legal_representative: str
    address: str
    street: str  # code
    industry: str  # division code
    weight: float  # relative headcount draw
    status: str = "active"
    employee_count: int = 0
    size: str = "micro"
    public_id: uuid.UUID = field(default_factory=uuid.uuid4)


def size_for(industry: str, section: str, headcount: int) -> str:
    a, b, c = SIZE_BANDS.get(industry) or SIZE_BANDS.get(section) or SIZE_BANDS["default"]
    if headcount < a:
        return "micro"
    if headcount < b:
        return "small"
    if headcount < c:
        return "medium"
    return "large"


class Generator:
    """Draws enterprises and people; every draw comes from ``seed`` through named streams."""

    def __init__(self, seed: int, divisions: dict[str, str]):
        self.seed = seed
        self.divisions = divisions  # division code → section
        sections = [s for s in SECTION_WEIGHTS]
        self._sections = sections
        self._section_cum = cum_weights([SECTION_WEIGHTS[s] for s in sections])
        self._division_choice: dict[str, tuple[list[str], list[float]]] = {}
        for section in sections:
            codes = sorted(c for c, s in divisions.items() if s == section)
            given = DIVISION_WEIGHTS.get(section, {})
            rest = [c for c in codes if c not in given]
            left = max(100 - sum(given.values()), 0)
            weights = [given.get(c, left / max(len(rest), 1) if rest else 0) for c in codes]
            if not any(weights):
                weights = [1.0] * len(codes)
            self._division_choice[section] = (codes, cum_weights(weights))
        self._streets = list(STREET_WEIGHTS)
        self._street_cum = cum_weights(STREET_WEIGHTS.values())
        self._surnames = [s for s, _ in SURNAMES]
        self._surname_cum = cum_weights(w for _, w in SURNAMES)
        self._provinces = list(PROVINCE_WEIGHTS)
        self._province_cum = cum_weights(PROVINCE_WEIGHTS.values())
        self._areas = area_codes()
        self._usccs: set[str] = set()
        self._names: set[str] = set()

    def rng(self, stream: str, part: int = 0) -> random.Random:
        return random.Random(f"{self.seed}:{stream}:{part}")

    @staticmethod
    def uuid(rng: random.Random) -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    def person_name(self, rng: random.Random, male: bool) -> str:
        surname = rng.choices(self._surnames, cum_weights=self._surname_cum)[0]
        pool = GIVEN_MALE if male else GIVEN_FEMALE
        if rng.random() < 0.3:
            return surname + rng.choice(pool)
        first = rng.choice(GIVEN_ANY) if rng.random() < 0.3 else rng.choice(pool)
        return surname + first + rng.choice(pool)

    # Enterprises ------------------------------------------------------------------------------

    def enterprises(self, count: int) -> list[EnterpriseSpec]:
        """``count`` enterprises; the first two are the fixed HR demo enterprises."""
        rng = self.rng("enterprises")
        fixed = []
        for name, street, industry in (HR_ENTERPRISE, HR2_ENTERPRISE):
            fixed.append(
                self._enterprise(rng, name=name, street=street, industry=industry, weight=0.0)
            )
        out = fixed[: min(count, 2)]
        while len(out) < count:
            section = rng.choices(self._sections, cum_weights=self._section_cum)[0]
            codes, cum = self._division_choice[section]
            industry = rng.choices(codes, cum_weights=cum)[0]
            street = rng.choices(self._streets, cum_weights=self._street_cum)[0]
            # Pareto draws give the heavy tail: most firms have a handful of staff, a few thousands.
            weight = min(rng.paretovariate(1.15), 4000.0) * SECTION_HEADCOUNT.get(section, 1.0)
            spec = self._enterprise(rng, street=street, industry=industry, weight=weight)
            if rng.random() < 0.03:
                spec.status, spec.weight = "closed", 0.0
            out.append(spec)
        return out

    def _enterprise(
        self,
        rng: random.Random,
        *,
        street: str,
        industry: str,
        weight: float,
        name: str | None = None,
    ) -> EnterpriseSpec:
        section = self.divisions[industry]
        while name is None or name in self._names:
            brand = "".join(rng.sample(BRAND_CHARS, 2 if rng.random() < 0.8 else 3))
            suffix = rng.choice(SECTION_SUFFIX.get(section, ["实业"]))
            form = "股份有限公司" if rng.random() < 0.04 else "有限公司"
            city = "深圳市" if rng.random() < 0.85 else "深圳"
            name = f"{city}{brand}{suffix}{form}"
        self._names.add(name)
        code = make_uscc(rng)
        while code in self._usccs:
            code = make_uscc(rng)
        self._usccs.add(code)
        road = rng.choice(ROADS[street])
        address = (
            f"深圳市福田区{road}{rng.randint(1, 3099)}号{rng.choice(BRAND_CHARS)}"
            f"{rng.choice(BUILDINGS)}{rng.randint(1, 45)}层{rng.randint(1, 30):02d}室"
        )
        return EnterpriseSpec(
            name=name,
            uscc=code,
            legal_representative=self.person_name(rng, rng.random() < 0.7),
            address=address,
            street=street,
            industry=industry,
            weight=weight,
            public_id=self.uuid(rng),
        )


# ---- people ----------------------------------------------------------------------------------


@dataclass
class PersonPlan:
    """A person in clear, before encryption; ``registry_name`` None means not in the registry."""

    pk: int
    public_id: uuid.UUID
    name: str
    id_number: str
    phone: str
    birth_date: dt.date
    gender: str
    registry_name: str | None


@dataclass
class EmploymentPlan:
    public_id: uuid.UUID
    person_pk: int
    enterprise_pk: int
    position: str
    start_date: dt.date
    end_date: dt.date | None


class PeoplePlanner:
    """Plans people and employments chunk by chunk.

    Who works where now is drawn first, for everybody (``_assign``), so that enterprises can be
    written with their headcount and size before any person is. Active jobs go to an enterprise
    with probability proportional to its weight, so headcounts inherit the heavy tail.

    ``chunk`` depends only on the seed and its start, so chunks can be drawn in worker
    processes; ID numbers and phones are unique within a chunk, and ``claim`` (run in chunk
    order, in one process) makes them unique across chunks, redrawing the rare collision.
    """

    def __init__(self, gen: Generator, enterprises: list[EnterpriseSpec], people: int):
        self.gen = gen
        self.enterprises = enterprises
        self.people = people
        self.first_person_pk = self.first_enterprise_pk = 1
        self._reserved_id = int(worker_id_number()[:17])
        self._ids: set[int] = {self._reserved_id}
        self._phones: set[int] = {int(WORKER_PHONE)}
        self._areas = [(p, gen._areas[p]) for p in gen._provinces if p in gen._areas]
        self._area_cum = cum_weights(PROVINCE_WEIGHTS[p] for p, _ in self._areas)
        # Earlier (ended) jobs can be anywhere, closed firms included.
        self._any_cum = cum_weights(max(e.weight, 0.5) for e in enterprises)
        self.assignment = self._assign()
        headcount = [0] * len(enterprises)
        for index in self.assignment:
            if index >= 0:
                headcount[index] += 1
        for spec, count in zip(enterprises, headcount, strict=True):
            spec.employee_count = count
            spec.size = size_for(spec.industry, gen.divisions[spec.industry], count)

    def _assign(self) -> array.array:
        """Index of each person's current enterprise, -1 for someone between jobs."""
        rng = self.gen.rng("assignment")
        fixed = [0] * HR_ENTERPRISE_EMPLOYEES + [1] * HR2_ENTERPRISE_EMPLOYEES
        out = array.array("i", fixed[: self.people])
        active_cum = cum_weights(e.weight for e in self.enterprises)
        top, last = active_cum[-1], len(self.enterprises) - 1
        for _ in range(self.people - len(out)):
            if top > 0 and rng.random() < 0.94:
                out.append(min(bisect.bisect_right(active_cum, rng.random() * top), last))
            else:
                out.append(-1)
        return out

    def set_keys(self, first_enterprise_pk: int, first_person_pk: int) -> None:
        """The primary keys the database will give enterprise 0 and person 0."""
        self.first_enterprise_pk = first_enterprise_pk
        self.first_person_pk = first_person_pk

    def _id_number(self, rng: random.Random, birth: dt.date, male: bool, taken: set[int]) -> str:
        while True:
            _, codes = rng.choices(self._areas, cum_weights=self._area_cum)[0]
            area = rng.choice(codes)
            seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
            first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
            key = int(first17)
            if key not in taken:
                taken.add(key)
                return first17 + ric.calc_check_digit(first17 + "0")

    @staticmethod
    def _phone(rng: random.Random, taken: set[int]) -> str:
        while True:
            number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if number.startswith(RESERVED_PHONE_PREFIX):
                continue
            key = int(number)
            if key not in taken:
                taken.add(key)
                return number

    @staticmethod
    def _birth(rng: random.Random) -> dt.date:
        # Working-age people born 1965–2005, most of them in the 1980s and 1990s.
        year = min(max(int(rng.triangular(1965, 2005.99, 1993)), 1965), 2005)
        return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))

    def chunk(self, start: int, size: int) -> tuple[list[PersonPlan], list[EmploymentPlan]]:
        """People ``start`` to ``start + size`` (person 0 is 张三, the demo worker), with their jobs."""
        rng = self.gen.rng("people", start)
        people: list[PersonPlan] = []
        jobs: list[EmploymentPlan] = []
        ids: set[int] = {self._reserved_id}
        phones: set[int] = {int(WORKER_PHONE)}
        n = len(self.enterprises)
        for i in range(start, min(start + size, self.people)):
            pk = self.first_person_pk + i
            current = self.assignment[i]
            if i == 0 and current == 0:
                people.append(
                    PersonPlan(
                        pk,
                        self.gen.uuid(rng),
                        WORKER_NAME,
                        worker_id_number(),
                        WORKER_PHONE,
                        dt.date(1990, 3, 7),
                        "M",
                        WORKER_NAME,
                    )
                )
                jobs.append(
                    EmploymentPlan(
                        self.gen.uuid(rng),
                        pk,
                        self.first_enterprise_pk,
                        "软件工程师",
                        dt.date(2021, 7, 1),
                        None,
                    )
                )
                continue
            male = rng.random() < 0.54
            birth = self._birth(rng)
            name = self.gen.person_name(rng, male)
            id_number = self._id_number(rng, birth, male, ids)
            phone = self._phone(rng, phones)
            r = rng.random()
            # Most people are in the registry; a few registry names differ (typo, changed name).
            if r < 0.90:
                registry_name: str | None = name
            elif r < 0.903:
                registry_name = name[:-1] + rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)
                if registry_name == name:
                    registry_name = name + "某"
            else:
                registry_name = None
            people.append(
                PersonPlan(
                    pk,
                    self.gen.uuid(rng),
                    name,
                    id_number,
                    phone,
                    birth,
                    "M" if male else "F",
                    registry_name,
                )
            )
            earliest = self._adult_on(birth)
            start_date = self._date_between(rng, max(earliest, dt.date(2008, 1, 1)), TODAY)
            if current < 0 or rng.random() < 0.15:
                past = min(
                    bisect.bisect_right(self._any_cum, rng.random() * self._any_cum[-1]), n - 1
                )
                past_start = self._date_between(rng, max(earliest, dt.date(2005, 1, 1)), start_date)
                past_end = self._date_between(rng, past_start, start_date)
                jobs.append(self._job(rng, pk, past, past_start, past_end))
            if current >= 0:
                jobs.append(self._job(rng, pk, current, start_date, None))
        return people, jobs

    def claim(self, people: list[PersonPlan]) -> list[int]:
        """Reserve the chunk's ID numbers and phones; redraw those an earlier chunk took.

        Call for every chunk, in chunk order. Returns the positions of people that changed.
        """
        rng = self.gen.rng("redraw", people[0].pk if people else 0)
        changed = []
        for i, p in enumerate(people):
            key = int(p.id_number[:17])
            phone = int(p.phone)
            dirty = False
            if key in self._ids and not (p.pk == self.first_person_pk and key == self._reserved_id):
                p.id_number = self._id_number(rng, p.birth_date, p.gender == "M", self._ids)
                dirty = True
            else:
                self._ids.add(key)
            if phone in self._phones and p.phone != WORKER_PHONE:
                p.phone = self._phone(rng, self._phones)
                dirty = True
            else:
                self._phones.add(phone)
            if dirty:
                changed.append(i)
        return changed

    def _job(
        self, rng, person_pk: int, index: int, start: dt.date, end: dt.date | None
    ) -> EmploymentPlan:
        section = self.gen.divisions[self.enterprises[index].industry]
        position = rng.choice(POSITIONS.get(section, POSITIONS_DEFAULT))
        return EmploymentPlan(
            self.gen.uuid(rng), person_pk, self.first_enterprise_pk + index, position, start, end
        )

    @staticmethod
    def _adult_on(birth: dt.date) -> dt.date:
        try:
            return birth.replace(year=birth.year + 18)
        except ValueError:  # born on 29 February
            return dt.date(birth.year + 18, 3, 1)

    @staticmethod
    def _date_between(rng: random.Random, a: dt.date, b: dt.date) -> dt.date:
        if b <= a:
            return a
        return a + dt.timedelta(days=rng.randrange((b - a).days + 1))

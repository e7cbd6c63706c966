"""Words and numbers for people: the report's strings in Chinese and English, and number formats.

Money is shown in the instance's ``money_unit`` (亿元 for ``100m_yuan``, 万元 for ``10k_yuan``) with
thousands separators; per-head figures in yuan per person; shares as percentages. Nothing here
reads a file or a result: every function maps plain values to text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

LANGUAGES = ("en", "zh")

UNIT_NAMES = {"en": {"100m_yuan": "100 million yuan (亿元)", "10k_yuan": "10,000 yuan (万元)", "yuan": "yuan"},
              "zh": {"100m_yuan": "亿元", "10k_yuan": "万元", "yuan": "元"}}
UNIT_SHORT = {"en": {"100m_yuan": "亿元", "10k_yuan": "万元", "yuan": "yuan"},
              "zh": {"100m_yuan": "亿元", "10k_yuan": "万元", "yuan": "元"}}

TEXT: dict[str, tuple[str, str]] = {
    # page furniture
    "kicker": ("fiscal_opt · central transfers", "fiscal_opt · 中央转移支付"),
    "title": ("Allocation report", "资金分配报告"),
    "subtitle": ("{instance} under policy {policy}", "{instance}，政策方案：{policy}"),
    "summary": ("Executive summary", "摘要"),
    "key_figures": ("Key figures", "主要指标"),
    "charts": ("Charts", "图表"),
    "tables": ("Tables", "数据表"),
    "glossary": ("Glossary", "术语"),
    "generated_by": ("Written by fiscal_opt from summary.json, regions.csv, allocations.csv and metrics.csv; "
                     "no figure here was typed by hand.",
                     "本报告由 fiscal_opt 根据 summary.json、regions.csv、allocations.csv 和 metrics.csv 生成，"
                     "所有数字均非手工录入。"),
    "status": ("status", "求解状态"),
    "objective": ("objective", "目标"),
    "years": ("years", "年度"),
    "regions": ("regions", "地区数"),
    # key figures
    "kpi_budget": ("Special fund, all years", "专项资金（各年合计）"),
    "kpi_incentive": ("Incentive paid, all years", "激励资金（各年合计）"),
    "kpi_gini": ("Gini of resources per head", "人均财力基尼系数"),
    "kpi_shortfall": ("Weighted shortfall closed", "加权缺口弥合比例"),
    "kpi_valued": ("Valued shortfall closed", "价值加权缺口弥合比例"),
    "kpi_min_coverage": ("Lowest coverage of a service", "最低服务保障率"),
    "before_arrow": ("before {before} → {after}", "转移前 {before} → {after}"),
    "formula_vs": ("formula {value}", "因素法 {value}"),
    # summary sentences
    "s_budget": ("In {years} the centre shares {fund} {unit} of special funds and {incentive} {unit} of incentive "
                 "payments among {n} regions under the policy \"{policy}\" ({objective}).",
                 "{years}年，中央在{n}个地区之间分配专项资金{fund}{unit}、激励资金{incentive}{unit}，"
                 "政策方案为“{policy}”（{objective}）。"),
    "s_unallocated": ("{amount} {unit} of the special fund is left unallocated: every fundable gap is closed.",
                      "专项资金中有{amount}{unit}未分配：所有可弥补的缺口均已弥补。"),
    "s_unallocated_places": ("{amount} {unit} of the special fund is left unallocated: every gap that money can close "
                             "is closed, and places limit the rest.",
                             "专项资金中有{amount}{unit}未分配：资金可弥补的缺口均已弥补，其余受学位、床位容量限制。"),
    "s_buys": ("It closes {closed} of the priority-weighted fundable gap in basic services (the factor formula: "
               "{formula}); the lowest coverage of any service in any region is {after}, against {before} before "
               "transfers and {min_formula} under the formula.",
               "优先级加权的基本公共服务可弥补缺口弥合了{closed}（因素法为{formula}）；各地区各项服务中最低保障率为"
               "{after}，转移支付前为{before}，因素法为{min_formula}。"),
    "s_buys_valued": ("It closes {closed} of the fundable gap in basic services as the policy values it (priority "
                      "weights, and coverage valued band by band, the lowest bands first; the factor formula: "
                      "{formula}); the lowest coverage of any service in any region is {after}, against {before} "
                      "before transfers and {min_formula} under the formula.",
                      "按政策的估值（优先级权重，保障率分段计值、低段优先）计算，基本公共服务可弥补缺口弥合了{closed}"
                      "（因素法为{formula}）；各地区各项服务中最低保障率为{after}，转移支付前为{before}，"
                      "因素法为{min_formula}。"),
    "s_gainers": ("Against the factor formula the largest gains go to {gainers}; the largest cuts fall on {losers}.",
                  "与因素法相比，增加最多的是{gainers}；减少最多的是{losers}。"),
    "s_nochange": ("The allocation is the factor formula's to within 0.5 % in every region.",
                   "各地区分配结果与因素法相差均不超过0.5%。"),
    "s_groups": ("By group: {groups}.", "按区域：{groups}。"),
    "s_equity": ("The Gini coefficient of resources per head in {year} is {before} before transfers, {formula} "
                 "under the formula and {optimum} at the optimum.",
                 "{year}年人均财力基尼系数：转移支付前{before}，因素法{formula}，优化方案{optimum}。"),
    "s_binding": ("Rules that bind: {rules}.", "起约束作用的规则：{rules}。"),
    "s_nobinding": ("No policy rule binds: the budget alone limits the allocation.",
                    "没有政策规则起约束作用：分配只受预算限制。"),
    "s_soft_none": ("No soft rule had to bend.", "所有软约束均得到满足。"),
    "s_soft": ("Soft rules that bent: {rules}.", "被突破的软约束：{rules}。"),
    "s_baseline_breaks": ("The factor formula itself would break: {rules}.", "因素法本身会违反：{rules}。"),
    "s_price": ("One more {unit} of special fund in {year} would change the {objective} by {value} "
                "(valid for a budget between {low} and {high} {unit}).",
                "{year}年专项资金每增加1{unit}，{objective}变化{value}（在预算{low}至{high}{unit}之间有效）。"),
    "s_price_zero": ("An extra {unit} of special fund would not change the objective: the budget does not bind.",
                     "增加专项资金不会改变目标值：预算约束不起作用。"),
    "place": ("{count} place(s), {amount} {unit} in all", "{count}处，合计{amount}{unit}"),
    "region_years": ("{count} region-years", "{count}个地区年度"),
    "and": (", ", "、"),
    # objectives
    "weighted_shortfall": ("minimise the priority-weighted shortfall", "最小化优先级加权缺口"),
    "max_min_coverage": ("raise the lowest coverage first", "优先提高最低保障率"),
    "leximin_coverage": ("raise the lowest coverages in turn", "依次提高最低保障率"),
    "min_budget": ("the smallest special fund that meets the rules", "满足规则所需的最少专项资金"),
    "o_weighted_shortfall": ("weighted shortfall", "加权缺口"),
    "o_max_min_coverage": ("lowest coverage", "最低保障率"),
    "o_leximin_coverage": ("lowest coverage", "最低保障率"),
    "o_min_budget": ("budget", "预算"),
    # states
    "before": ("before transfers", "转移支付前"),
    "baseline": ("factor formula", "因素法"),
    "optimum": ("optimum", "优化方案"),
    "equality": ("equality", "完全平等"),
    # charts
    "c_per_head": ("Transfer per head by region, {year}: optimum against the factor formula",
                   "{year}年各地区人均转移支付：优化方案与因素法"),
    "c_per_head_x": ("yuan per person", "元/人"),
    "c_lorenz": ("Lorenz curves of resources per head, {year}", "{year}年人均财力洛伦兹曲线"),
    "c_lorenz_x": ("share of population (poorest first)", "人口累计占比（由低到高）"),
    "c_lorenz_y": ("share of resources", "财力累计占比"),
    "c_heat": ("Coverage of standard cost after transfers, {year}", "{year}年转移支付后标准支出保障率"),
    "c_heat_groups": ("Coverage of standard cost after transfers by group, {year}",
                      "{year}年各区域转移支付后标准支出保障率"),
    "c_need": ("Transfer per head against fiscal difficulty and migrant share, {year}",
               "{year}年人均转移支付与财政困难程度、流动人口占比"),
    "c_difficulty": ("fiscal difficulty (0 = none, 1 = greatest)", "财政困难程度（0 = 无，1 = 最大）"),
    "c_migrant_share": ("migrants as a share of residents", "流动人口占常住人口比例"),
    "c_price": ("The budget's shadow price by year", "各年度预算影子价格"),
    "c_price_y": ("change in {objective} per extra {unit}", "每增加1{unit}{objective}的变化"),
    "c_groups": ("Transfers by group, all years", "各区域转移支付（各年合计）"),
    "c_actual": ("actual transfer", "实际转移支付"),
    "c_map": ("Transfer per head by province, {year}", "{year}年各省人均转移支付"),
    "c_places_built": ("Places started, {years}", "{years}年新建学位、床位"),
    "c_places_idle": ("Idle places, {year}", "{year}年闲置学位、床位"),
    "c_places_x": ("thousand places", "千个"),
    "c_frontier": ("Efficiency against equity", "效率与公平的权衡"),
    "c_frontier_shortfall": ("weighted shortfall (lower is better)", "加权缺口（越低越好）"),
    "c_frontier_gini": ("Gini of resources per head (lower is more equal)", "人均财力基尼系数（越低越平等）"),
    "c_frontier_min": ("lowest coverage of a service (higher is better)", "最低服务保障率（越高越好）"),
    "c_sweep_price": ("The budget's shadow price along the sweep", "扫描过程中的预算影子价格"),
    "c_sweep_shares": ("Each group's share of transfers along the sweep", "扫描过程中各区域转移支付占比"),
    "c_share_y": ("share of all transfers", "占全部转移支付比例"),
    "c_frontier_caption": ("Each point is one solve; lower and to the left is better on the left panel, lower "
                           "and to the right on the right. Shortfall summed over years, Gini averaged, coverage the "
                           "lowest of any year.",
                           "每个点为一次求解；左图越靠左下越好，右图越靠右下越好。加权缺口为各年之和，基尼系数为各年平均，"
                           "保障率为各年最低值。"),
    "c_sweep_price_caption": ("What one more {unit} of special fund would change in the objective at each point; "
                              "where it reaches zero, more money no longer helps.",
                              "各扫描点上专项资金每增加1{unit}对目标值的影响；降为零时，增加资金不再有益。"),
    "c_sweep_shares_caption": ("Share of all transfers going to each group, averaged over years.",
                               "各区域获得的转移支付占全部转移支付的比例（各年平均）。"),
    "all_years": ("all years: shortfall summed, Gini averaged, coverage the lowest",
                  "各年合计：缺口求和，基尼系数取平均，保障率取最低值"),
    "generated_by_table": ("Written by fiscal_opt from the table that --out writes as CSV; no figure here was typed "
                           "by hand.", "本报告由 fiscal_opt 根据 --out 输出的表格生成，所有数字均非手工录入。"),
    "p_budget": ("the budget", "预算"),
    "p_budget_rel": ("the budget (share of the instance's own)", "预算（相对原预算的比例）"),
    "p_per_capita_floor": ("the per-capita floor", "人均财力下限"),
    "p_min_coverage": ("the minimum coverage", "最低保障率"),
    "p_gini_max": ("the Gini ceiling", "基尼系数上限"),
    "p_max_disparity_ratio": ("the max/min ratio", "最高最低比上限"),
    "p_mean_deviation_max": ("the mean deviation ceiling", "平均偏差上限"),
    "p_hold_harmless.max_cut": ("the largest cut (hold-harmless)", "最大降幅（保底）"),
    "p_hold_harmless.max_rise": ("the largest rise", "最大增幅"),
    "c_infeasible": ("infeasible", "不可行"),
    # tables
    "t_years": ("Budget by year", "分年度预算"),
    "t_regions": ("Transfers by region, all years", "各地区转移支付（各年合计）"),
    "t_regions_first": ("The first {shown} of {total} regions; every region is in regions.csv and allocations.xlsx.",
                        "仅列出前{shown}个地区（共{total}个）；全部地区见 regions.csv 和 allocations.xlsx。"),
    "t_metrics": ("Equity of resources per head, {year}", "{year}年人均财力均等化指标"),
    "t_gini_years": ("Gini coefficient by year", "分年度基尼系数"),
    "t_soft": ("Soft rules that bent", "被突破的软约束"),
    "t_places": ("Places and people by region", "各地区学位床位与人口流动"),
    "t_places_services": ("Places by service", "分服务学位床位"),
    "col_service": ("service", "服务"),
    "col_places_start": ("places at the start", "期初数量"),
    "col_places_built": ("places started", "新建"),
    "col_places_converted": ("converted away", "转作他用"),
    "col_places_converted_in": ("converted in", "由他用转来"),
    "col_idle": ("idle, last year", "末年闲置"),
    "col_served": ("served, last year", "末年服务人数"),
    "col_demand": ("demand, last year", "末年需求"),
    "col_people": ("people gained", "人口净流入"),
    "col_capital_grant": ("capital grant", "中央基建补助"),
    "col_money_people": ("money with people", "随人转移的资金"),
    "unit_places": ("places and people in persons", "学位、床位与人口单位：人"),
    "s_places": ("New places: {built} started over the horizon ({services}); {idle} places stand idle in {year}, "
                 "most in {idle_regions}; capital grants {grant} {unit}.",
                 "新建学位、床位共{built}个（{services}）；{year}年闲置{idle}个，主要在{idle_regions}；中央基建补助"
                 "{grant}{unit}。"),
    "s_people": ("The flows of people move {moved} persons; the largest gains are in {gainers} and the largest "
                 "losses in {losers}. The money that moved with them, each region's transfer per resident times "
                 "the people it gained or lost, summed over regions and years, is {money} {unit}: negative when "
                 "the regions people leave receive more per resident than those they move to.",
                 "人口流动共{moved}人；净流入最多的是{gainers}，净流出最多的是{losers}。随人转移的资金（各地区人均"
                 "转移支付乘以其净增减人数，按地区和年度加总）为{money}{unit}；为负值表示人口流出地区的人均转移支付"
                 "高于流入地区。"),
    "t_compare": ("Policies side by side", "政策方案对比"),
    "t_sweep": ("Sweep points", "扫描结果"),
    "col_year": ("year", "年度"),
    "col_budget": ("special fund budget", "专项资金预算"),
    "col_used": ("used", "已分配"),
    "col_pool": ("incentive pool", "激励资金池"),
    "col_paid": ("incentive paid", "已发放激励"),
    "col_price": ("shadow price", "影子价格"),
    "col_valid": ("valid for a budget of", "有效预算区间"),
    "col_region": ("region", "地区代码"),
    "col_name": ("name", "名称"),
    "col_group": ("group", "区域"),
    "col_special": ("special fund", "专项资金"),
    "col_incentive": ("incentive", "激励资金"),
    "col_transfer": ("transfer", "转移支付"),
    "col_formula": ("formula", "因素法"),
    "col_difference": ("vs formula", "与因素法之差"),
    "col_difference_pct": ("vs formula %", "差异%"),
    "col_actual": ("actual {year}", "{year}年实际"),
    "col_per_head": ("per head", "人均"),
    "col_binding": ("binding rules", "约束规则"),
    "col_metric": ("metric", "指标"),
    "col_rule": ("rule", "规则"),
    "col_where": ("where", "位置"),
    "col_amount": ("amount", "数额"),
    "col_policy": ("policy", "政策方案"),
    "col_value": ("value", "取值"),
    "col_shortfall": ("weighted shortfall", "加权缺口"),
    "col_min_cov": ("lowest coverage", "最低保障率"),
    "col_gini": ("Gini", "基尼系数"),
    "col_status": ("status", "状态"),
    "col_rules_involved": ("rules involved", "涉及规则"),
    "unit_per_head": ("yuan per person per year", "元/人·年"),
    "unit_price": ("objective per {unit}", "目标值/{unit}"),
    "unit_free": ("Unit-free: 0 is perfect equality (highest / lowest: 1 is).",
                  "无量纲：0 表示完全平等（最高/最低之比为1表示完全平等）。"),
    "units_line": ("Units: {units}.", "单位：{units}。"),
    "m_gini": ("Gini", "基尼系数"),
    "m_theil_t": ("Theil T", "泰尔指数T"),
    "m_theil_t_between": ("Theil T between groups", "泰尔指数T（区域间）"),
    "m_theil_t_within": ("Theil T within groups", "泰尔指数T（区域内）"),
    "m_theil_l": ("Theil L", "泰尔指数L"),
    "m_cv": ("coefficient of variation", "变异系数"),
    "m_max_min_ratio": ("highest / lowest", "最高/最低之比"),
    # glossary
    "g_coverage": ("Coverage", "保障率"),
    "g_coverage_text": ("A region's spending on a service (local funding plus special fund) divided by the standard "
                        "cost of serving its residents, migrants included. 100 % means the standard is met.",
                        "某地区某项服务的支出（地方财力加专项资金）除以按常住人口（含流动人口）计算的标准支出。"
                        "100% 表示达到标准。"),
    "g_shortfall": ("Weighted shortfall", "加权缺口"),
    "g_shortfall_text": ("The part of each fundable gap left unpaid, times the region's priority weight (higher "
                         "for fiscally weaker regions and those with more migrants), summed over regions, "
                         "services and years, in {unit}.",
                         "各可弥补缺口中未获资金的部分乘以地区优先级权重（财政越困难、流动人口越多权重越高），"
                         "按地区、服务和年度加总，单位{unit}。"),
    "g_price": ("Shadow price of the budget", "预算影子价格"),
    "g_price_text": ("How much the objective would change if the year's special fund grew by one {unit}, all "
                     "else equal; it holds over the budget range shown. For an objective that is minimised "
                     "(weighted shortfall, budget) a negative price means more money helps; for one that is "
                     "maximised (lowest coverage) a positive price does. Zero means the budget does not bind.",
                     "当年专项资金增加1{unit}而其他条件不变时目标值的变化，在所示预算区间内有效。"
                     "对于最小化目标（加权缺口、预算），负值表示增加资金有益；对于最大化目标（最低保障率），"
                     "正值表示增加资金有益。零表示预算约束不起作用。"),
    "g_formula": ("Factor formula (因素法)", "因素法"),
    "g_formula_text": ("The allocation a ministry would make today: the special fund shared in proportion to "
                       "priority-weighted gaps, and the incentive by reform score times migrants.",
                       "现行做法下的分配：专项资金按优先级加权缺口比例分配，激励资金按改革得分乘以流动人口分配。"),
    "g_gini": ("Gini coefficient", "基尼系数"),
    "g_gini_text": ("Inequality of resources per head after transfers, population-weighted: 0 is perfect "
                    "equality, 1 is all resources in one region.",
                    "按人口加权的转移支付后人均财力不平等程度：0 表示完全平等，1 表示全部财力集中于一个地区。"),
    "g_soft": ("Soft rule", "软约束"),
    "g_soft_text": ("A rule that may bend at a penalty; each bend is reported by name, place and amount.",
                    "允许在付出惩罚代价时被突破的规则；每次突破都按名称、位置和数额报告。"),
    # compare / sweep
    "cs_title": ("Policy comparison", "政策方案比较"),
    "sw_title": ("Sweep of {parameter}", "{parameter}扫描"),
    "cs_summary": ("{n} policies on {instance}; the factor formula is shown as a row of its own, judged against "
                   "the first policy's rules. Figures for all years: shortfall summed, Gini averaged, coverage "
                   "the lowest.",
                   "在{instance}上比较{n}个政策方案；因素法单列一行，按第一个方案的规则评判。"
                   "各年合计：加权缺口求和，基尼系数取平均，保障率取最低值。"),
    "sw_summary": ("{n} points of {parameter} from {first} to {last} on {instance} under \"{policy}\"; {infeasible} "
                   "infeasible. Figures for all years: shortfall summed, Gini averaged, coverage the lowest.",
                   "在{instance}上按“{policy}”对{parameter}取{n}个值（{first}至{last}），其中{infeasible}个不可行。"
                   "各年合计：加权缺口求和，基尼系数取平均，保障率取最低值。"),
    "sw_best": ("The lowest shortfall, {shortfall}, comes at {value}; the most equal point (Gini {gini}) at {at}.",
                "加权缺口最低（{shortfall}）出现在{value}；最平等（基尼系数{gini}）出现在{at}。"),
    "cs_best": ("\"{best}\" leaves the lowest weighted shortfall ({shortfall}); \"{equal}\" is the most equal "
                "(Gini {gini}).",
                "“{best}”的加权缺口最低（{shortfall}）；“{equal}”最平等（基尼系数{gini}）。"),
}
"""Every string of the reports: key → (English, Chinese). Placeholders are filled with ``str.format``."""


@dataclass(frozen=True)
class Labels:
    """The report's strings and number formats in one language (``en`` or ``zh``)."""

    lang: str = "en"
    money_unit: str = "100m_yuan"

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"language {self.lang!r}: choose one of {', '.join(LANGUAGES)}")

    def __call__(self, key: str, **values: object) -> str:
        """The string ``key`` in this language with ``values`` filled in."""
        text = TEXT[key][LANGUAGES.index(self.lang)]
        return text.format(**values) if values else text

    @property
    def unit(self) -> str:
        """The money unit as a heading shows it: 亿元, 万元, yuan."""
        return UNIT_SHORT[self.lang].get(self.money_unit, self.money_unit)

    @property
    def unit_long(self) -> str:
        """The money unit spelt out for a units line."""
        return UNIT_NAMES[self.lang].get(self.money_unit, self.money_unit)

    def objective(self, name: str) -> str:
        """What an objective measures, in a few words (``weighted shortfall``), or its name as written."""
        return self("o_" + name) if "o_" + name in TEXT else name

    def describe_objective(self, name: str) -> str:
        """What an objective does (``minimise the priority-weighted shortfall``), or its name as written."""
        return self(name) if name in TEXT else name

    def parameter(self, name: str) -> str:
        """A swept parameter as a heading names it (``budget (share of own)`` → ``the budget (share of …)``)."""
        key = "p_budget_rel" if name == "budget (share of own)" else "p_" + name
        return self(key) if key in TEXT else name

    def join(self, items: list[str]) -> str:
        """``a, b, c`` (English) or ``a、b、c`` (Chinese)."""
        return self("and").join(items)

    def years(self, years: list[int]) -> str:
        """``2020–2025``, ``2020`` or ``2020, 2022``."""
        if len(years) == 1:
            return str(years[0])
        if list(years) == list(range(years[0], years[-1] + 1)):
            return f"{years[0]}–{years[-1]}"
        return self.join([str(y) for y in years])


def money(value: float | None, decimals: int | None = None) -> str:
    """An amount of money (any unit) with thousands separators: ``31,500``, ``174.1``, ``−2.73``.

    Without ``decimals``: none from 1,000 up, one from 10, two below."""
    if value is None or not math.isfinite(value):
        return "–"
    if decimals is None:
        decimals = 0 if abs(value) >= 1000 else 1 if abs(value) >= 10 else 2
    return _minus(f"{value:,.{decimals}f}")


def signed(value: float | None, decimals: int | None = None) -> str:
    """``money`` with a sign in front: ``+38.9``, ``−20.7``."""
    if value is None or not math.isfinite(value):
        return "–"
    text = money(value, decimals)
    return text if text.startswith("−") or set(text) <= set("0.,") else "+" + text


def share(value: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.702`` → ``70.2%``."""
    if value is None or not math.isfinite(value):
        return "–"
    return _minus(f"{100 * value:,.{decimals}f}%")


def ratio(value: float | None, digits: int = 3) -> str:
    """A unit-free number such as a Gini coefficient or a shadow price: ``0.153``, ``−1.45``."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return _minus(f"{value:,.0f}")
    return _minus(f"{value:#.{digits}g}").rstrip(".")


def column_decimals(values: list[float]) -> int:
    """Decimals for a table column of money: none when its largest entry is 1,000 or more, one from
    10, two below; one format for the whole column so the figures line up."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    top = max(finite, default=0.0)
    return 0 if top >= 1000 else 1 if top >= 10 else 2


def _minus(text: str) -> str:
    """A true minus sign (U+2212) rather than a hyphen, as typesetting wants."""
    return text.replace("-", "−")


SERVICE_NAMES = {"education": ("education", "教育"), "health": ("health", "医疗卫生"),
                 "elderly": ("elderly care", "养老"), "housing": ("housing", "住房保障")}
GROUP_NAMES = {"East": ("East", "东部"), "Central": ("Central", "中部"), "West": ("West", "西部"),
               "Northeast": ("Northeast", "东北"), "all": ("all", "全部")}
RULE_NAMES = {"min_coverage": ("minimum coverage", "最低保障率"), "per_capita_floor": ("per-capita floor", "人均财力下限"),
              "disparity": ("disparity ratio", "差距倍数"), "max_disparity_ratio": ("disparity ratio", "差距倍数"),
              "gini_max": ("Gini cap", "基尼系数上限"), "mean_deviation_max": ("mean-deviation cap", "平均偏差上限"),
              "hold_harmless": ("hold-harmless", "保底"), "max_rise": ("maximum rise", "增幅上限"),
              "fund_ceiling": ("fund ceiling", "资金上限"),
              "incentive_band": ("incentive band", "激励区间"), "budget": ("budget", "预算"),
              "incentive_pool": ("incentive pool", "激励资金池"), "capacity": ("places", "学位床位容量"),
              "demand": ("demand served in full", "需求全部满足"), "recurrent": ("recurrent cost", "经常性支出"),
              "capital": ("capital cost", "基建支出"), "capital_share": ("capital share cap", "基建中央分担上限"),
              "capital_fund": ("capital fund", "中央基建资金"), "conversion": ("conversion limit", "转用上限")}
STATUS_NAMES = {"optimal": ("optimal", "最优"), "infeasible": ("infeasible", "不可行"),
                "time_limit": ("time limit reached", "达到时间上限")}
"""Names of the instance's services, groups and rules as people say them; others are shown as written."""


def one_line(text: object) -> str:
    """User text for a chart: white space (line breaks, tabs) folded to single spaces, so that no
    control character reaches a font."""
    return " ".join(str(text).split())


def named(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    """``key`` in ``lang`` from one of the tables above, or ``key`` itself (on one line) when it is not there."""
    return table[key][LANGUAGES.index(lang)] if key in table else one_line(key)


def region_names(labels: pd.DataFrame, lang: str) -> pd.Series:
    """Region id → the name to show: ``name_zh`` in Chinese when the instance has it, else ``name``.
    ``labels`` is :attr:`Result.region_labels <fiscal_opt.results.result.Result.region_labels>`."""
    column = "name_zh" if lang == "zh" and "name_zh" in labels.columns else "name"
    return pd.Series([one_line(name) for name in labels[column].astype(str)], index=labels["region"].to_numpy())

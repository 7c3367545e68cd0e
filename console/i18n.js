// English and Simplified Chinese. Every label of the console is here, and
// numbers, money and dates are formatted for the chosen language (Intl).
// Money is integer minor units until the moment it is shown.

const words = {
  "app.title": ["Alliance console", "联盟控制台"],
  "nav.overview": ["Overview", "概览"],
  "nav.members": ["Members", "会员"],
  "nav.partners": ["Partners", "合作伙伴"],
  "nav.rules": ["Rules", "规则"],
  "nav.settlement": ["Settlement", "结算"],
  "nav.analytics": ["Analytics", "分析"],
  "nav.audit": ["Audit log", "审计日志"],
  "nav.people": ["People", "人员"],
  "lang": ["Language", "语言"],
  "sign.in": ["Sign in", "登录"],
  "sign.out": ["Sign out", "退出"],
  "sign.key": ["Admin key", "管理密钥"],
  "sign.hint": ["Sign in with an admin key. The key is exchanged for a short session; it is not kept in the browser.",
                "使用管理密钥登录。密钥会换成一个短时会话,浏览器不会保存密钥。"],
  "sign.failed": ["That key does not sign in.", "该密钥无法登录。"],
  "sign.expired": ["Your session has ended. Sign in again.", "会话已结束,请重新登录。"],
  "role.owner": ["owner", "所有者"], "role.finance": ["finance", "财务"],
  "role.program": ["program", "项目运营"], "role.viewer": ["viewer", "只读"],
  "working": ["Working… {s} s", "处理中… {s} 秒"],
  "cancel": ["Cancel", "取消"],
  "cancelled": ["Cancelled.", "已取消。"],
  "error": ["Error", "错误"],
  "forbidden.role": ["Your role ({role}) may not do this.", "您的角色({role})无权执行此操作。"],
  "loading": ["Loading…", "加载中…"],
  "more": ["More", "更多"],
  "none": ["None.", "无。"],
  "search": ["Search", "搜索"],
  "save": ["Save", "保存"],
  "yes": ["yes", "是"], "no": ["no", "否"],
  "ov.members": ["Members", "会员数"],
  "ov.outstanding": ["Points outstanding", "未兑换积分"],
  "ov.breakage": ["Breakage rate", "积分失效率"],
  "ov.issued": ["Issued", "发放"], "ov.redeemed": ["Redeemed", "兑换"],
  "ov.expired": ["Expired", "过期"], "ov.reversed": ["Reversed", "冲回"],
  "ov.liability": ["Liability at each partner's price", "按各合作伙伴兑换价计的负债"],
  "ov.monthly": ["Points per month", "每月积分"],
  "ov.top": ["Top partners", "主要合作伙伴"],
  "col.partner": ["Partner", "合作伙伴"], "col.price": ["Price per 1000 points", "每千积分价格"],
  "col.value": ["Value", "价值"], "col.member": ["Member", "会员"], "col.status": ["Status", "状态"],
  "col.tier": ["Tier", "等级"], "col.available": ["Available", "可用"], "col.held": ["Held", "冻结"],
  "col.earned": ["Lifetime earned", "累计获得"], "col.last": ["Last activity", "最近活动"],
  "col.kind": ["Kind", "类型"], "col.points": ["Points", "积分"], "col.when": ["When", "时间"],
  "col.ref": ["Reference", "单号"], "col.breakdown": ["Breakdown", "明细"],
  "col.name": ["Name", "名称"], "col.plugin": ["Plugin", "插件"], "col.id": ["Id", "编号"],
  "col.role": ["Role", "角色"], "col.created": ["Created", "创建"], "col.revoked": ["Revoked", "已吊销"],
  "col.actor": ["Who", "操作者"], "col.action": ["Action", "操作"], "col.target": ["Target", "对象"],
  "col.from": ["Effective from", "生效时间"], "col.currency": ["Currency", "币种"],
  "col.issue_price": ["Fee per 1000 issued", "每千积分发放费"], "col.redeem_price": ["Paid per 1000 redeemed", "每千积分兑换付款"],
  "col.active": ["Active", "有效"], "col.actions": ["Actions", "操作"], "col.expires": ["Expires", "到期"],
  "col.fee": ["Fee", "费用"], "col.reimb": ["Reimbursement", "补偿"], "col.net": ["Net", "净额"],
  "col.number": ["Number", "编号"], "col.period": ["Period", "期间"],
  "col.segment": ["Segment", "细分"], "col.count": ["Members", "会员数"],
  "col.clv": ["CLV", "客户终身价值"], "col.p_alive": ["P(alive)", "存活概率"],
  "col.reasons": ["Reasons", "原因"], "col.at_risk": ["Value at risk", "风险价值"],
  "col.stage": ["Stage", "阶段"],
  "m.search": ["Member id starts with", "会员编号前缀"],
  "m.profile": ["Profile", "资料"], "m.balance": ["Balance", "余额"],
  "m.partners": ["At each partner", "各合作伙伴"], "m.history": ["History", "历史"],
  "m.tier_floor": ["Tier floor", "保底等级"], "m.set_floor": ["Set floor", "设置保底"],
  "m.block": ["Block", "冻结会员"], "m.unblock": ["Unblock", "解冻会员"],
  "m.stage": ["Lifecycle stage", "生命周期阶段"], "m.next_expiries": ["Next expiries", "即将过期"],
  "m.tier_history": ["Tier history", "等级历史"], "m.back": ["All members", "全部会员"],
  "p.config": ["Plugin config", "插件配置"], "p.contracts": ["Contracts", "合同"],
  "p.keys": ["Keys", "密钥"], "p.rotate": ["New key", "新建密钥"], "p.revoke": ["Revoke", "吊销"],
  "p.new_contract": ["New contract from this date", "自该日起的新合同"],
  "p.suspend": ["Suspend", "暂停"], "p.resume": ["Resume", "恢复"],
  "p.secret": ["New key {id}; its secret, shown once: {secret}", "新密钥 {id};密钥原文仅显示一次:{secret}"],
  "r.live": ["Live rules: version {v}", "生效规则:第 {v} 版"],
  "r.editor": ["Draft", "草稿"], "r.check": ["Check", "校验"], "r.valid": ["The draft is valid.", "草稿有效。"],
  "r.publish": ["Publish", "发布"], "r.published": ["Published version {v}.", "已发布第 {v} 版。"],
  "r.dry": ["Dry run", "试算"], "r.sample_partner": ["Partner", "合作伙伴"],
  "r.sample_member": ["Member", "会员"], "r.sample_data": ["Transaction data (JSON)", "交易数据(JSON)"],
  "r.run": ["Run", "试算"], "r.result": ["{p} points", "{p} 积分"],
  "r.diff": ["Diff between versions", "版本差异"], "r.compare": ["Compare", "比较"],
  "r.error_at": ["Error at {path}: {msg}", "错误位置 {path}:{msg}"],
  "r.bad_json": ["Not JSON: {msg}", "不是有效的 JSON:{msg}"],
  "s.draft": ["Draft a period", "起草结算期"], "s.start": ["Start", "开始"], "s.end": ["End", "结束"],
  "s.make": ["Draft", "起草"], "s.close": ["Close and sign", "关闭并签名"],
  "s.lines": ["Lines", "明细行"], "s.provenance": ["Provenance (issuer → redeemer, points)", "积分来源(发放方 → 兑换方,积分)"],
  "s.csv": ["Download CSV", "下载 CSV"], "s.sig": ["Download signature", "下载签名"],
  "s.list": ["Statements", "结算单"], "s.closed": ["Closed statement {n}", "已关闭结算单 {n}"],
  "s.draft_of": ["Draft statement {id}", "结算草稿 {id}"], "s.balanced": ["Reconciled", "已对账"],
  "s.open": ["Open", "打开"],
  "a.rfm": ["RFM", "RFM"], "a.pareto": ["Lorenz curve", "洛伦兹曲线"], "a.clv": ["CLV", "客户终身价值"],
  "a.churn": ["Churn", "流失"], "a.lifecycle": ["Lifecycle", "生命周期"], "a.affinity": ["Affinity", "关联"],
  "a.gini": ["Gini coefficient: {g}", "基尼系数:{g}"],
  "a.rfm_grid": ["Members by recency (rows) and frequency (columns) score", "按最近度(行)与频率(列)评分的会员数"],
  "a.deciles": ["CLV at each tenth of the members", "各十分位会员的 CLV"],
  "a.top": ["Most valuable members", "最有价值会员"],
  "a.at_risk": ["{n} members at risk, {v} at risk", "{n} 位会员有流失风险,风险价值 {v}"],
  "a.affinity_map": ["Members shared by two partners", "两合作伙伴共同会员数"],
  "a.spend": ["Spend", "消费"], "a.population": ["Share of members", "会员占比"], "a.share": ["Share of spend", "消费占比"],
  "k.new": ["New key for a colleague", "为同事新建密钥"], "k.make": ["Create", "创建"],
  "k.shown": ["Key for {name}, shown once: {key}", "{name} 的密钥(仅显示一次):{key}"],
  "au.verify": ["Verify the chain", "校验哈希链"], "au.ok": ["The chain holds: {n} entries.", "哈希链完整:{n} 条。"],
  "au.broken": ["The chain is broken at {seq}.", "哈希链在 {seq} 处断裂。"],
  "stage.new": ["new", "新客"], "stage.growing": ["growing", "成长"], "stage.mature": ["mature", "成熟"],
  "stage.declining": ["declining", "衰退"], "stage.lapsed": ["lapsed", "流失"],
};

let lang = localStorage.getItem("allianced.lang") || (navigator.language.startsWith("zh") ? "zh" : "en");

export function getLang() { return lang; }
export function setLang(l) { lang = l === "zh" ? "zh" : "en"; localStorage.setItem("allianced.lang", lang); }
function locale() { return lang === "zh" ? "zh-CN" : "en-GB"; }

// The label key in the language, with {name} filled from vars.
export function t(key, vars) {
  const w = words[key];
  let s = w ? w[lang === "zh" ? 1 : 0] : key;
  for (const [k, v] of Object.entries(vars || {})) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export function num(n) { return new Intl.NumberFormat(locale()).format(n); }

// minor units of currency, shown in major units without floating point on the way.
export function money(minor, currency) {
  if (minor === null || minor === undefined) return "—";
  const digits = new Intl.NumberFormat("en", {style: "currency", currency}).resolvedOptions().maximumFractionDigits;
  const big = BigInt(minor), base = 10n ** BigInt(digits), neg = big < 0n;
  const abs = neg ? -big : big;
  const text = `${neg ? "-" : ""}${abs / base}${digits ? "." + String(abs % base).padStart(digits, "0") : ""}`;
  return new Intl.NumberFormat(locale(), {style: "currency", currency, minimumFractionDigits: digits})
    .format(text); // a decimal string: exact
}

export function date(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return isNaN(d) ? iso : new Intl.DateTimeFormat(locale(), {dateStyle: "medium", timeStyle: "short"}).format(d);
}

export function day(iso) {
  if (!iso) return "—";
  const d = new Date(iso.length === 10 ? iso + "T00:00:00Z" : iso);
  return isNaN(d) ? iso : new Intl.DateTimeFormat(locale(), {dateStyle: "medium", timeZone: "UTC"}).format(d);
}

export function percent(fraction, digits = 1) {
  return new Intl.NumberFormat(locale(), {style: "percent", maximumFractionDigits: digits}).format(fraction);
}

// Basis points (integers) as a percentage.
export function bp(n) { return percent(n / 10000, 2); }

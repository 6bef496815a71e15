"""A government CMS page around a synthetic report: the weight and markup of the real pages.

Real report pages (``tests/fixtures/real/*.html``, 100-370 KB) are mostly not the report: a header with the
government's portal links and menus, a breadcrumb, inline and linked scripts (analytics, share buttons,
the site's framework), style blocks, a sidebar of related articles, a footer with 版权所有 · ICP备 ·
网站标识码, and the report itself pasted from Word (``MsoNormal`` paragraphs, ``mso-`` styles, spans on
every run). ``cms_page`` wraps the report's article in such a shell, deterministic from a seed, sized
100-250 KB like the real pages. ``make bench`` renders its HTML reports this way.
"""

from __future__ import annotations

import random

_PORTALS = ["国务院", "省政府", "省人大", "省政协", "市政府", "市纪委", "市法院", "市检察院"]
_MENUS = ["首页", "要闻动态", "政务公开", "政府信息公开", "政府信息公开指南", "政府信息公开制度", "法定主动公开内容",
          "政府信息公开年报", "政务服务", "互动交流", "走进本区", "专题专栏", "政策文件", "政策解读", "人事信息",
          "财政资金", "重点领域", "建议提案办理", "统计信息", "规划计划", "应急管理", "招标采购", "领导信息"]
_RELATED = ["关于印发{y}年政务公开工作要点的通知", "{y}年政府信息公开工作年度报告", "关于开展政府开放日活动的公告",
            "{y}年第三季度政策解读汇总", "关于公布行政权力清单的通知", "政府信息公开申请流程图", "依申请公开受理机构",
            "{y}年度部门预算公开说明", "关于调整政务服务事项的公告", "政府信息公开工作考核办法"]
_JS_WORDS = ["function", "var", "return", "this", "document", "window", "if", "else", "for", "length", "push",
             "getElementById", "addEventListener", "click", "className", "innerHTML", "style", "display",
             "none", "block", "true", "false", "null", "setTimeout", "ajax", "url", "data", "success", "json"]


def _script(rng: random.Random, size: int) -> str:
    """A minified-looking inline script of about ``size`` characters (analytics, share widgets, menus)."""
    parts, n = [], 0
    while n < size:
        a, b = rng.choice(_JS_WORDS), rng.choice(_JS_WORDS)
        piece = f"{a}_{rng.randrange(1000)}=function(e,t){{var n={rng.randrange(99999)};if(e.{b}){{return t+n}}}};"
        parts.append(piece)
        n += len(piece)
    return f'<script type="text/javascript">\n//<![CDATA[\n{"".join(parts)}\n//]]>\n</script>\n'


def _style(rng: random.Random, rules: int) -> str:
    lines = [f".c{rng.randrange(9999)} .m{i}{{margin:{rng.randrange(20)}px;color:#{rng.randrange(16**6):06x};"
             f"font-size:{rng.randrange(12, 24)}px}}" for i in range(rules)]
    return "<style type=\"text/css\">\n" + "\n".join(lines) + "\n</style>\n"


def _links(rng: random.Random, texts: list[str], year: int, n: int, css: str) -> str:
    items = []
    for _ in range(n):
        text = rng.choice(texts).format(y=year - rng.randrange(4))
        items.append(f'<li class="{css}_item"><a href="/xxgk/{rng.randrange(10**8)}.htm" target="_blank" '
                     f'title="{text}">{text}</a><span class="date">{year}-{rng.randrange(1, 13):02d}-'
                     f'{rng.randrange(1, 29):02d}</span></li>')
    return "\n".join(items)


def cms_page(article: str, title: str, site: str, year: int, charset: str, seed: int) -> str:
    """The page: head (meta, styles, scripts), header and menus, breadcrumb, ``article`` (the report's own
    markup, kept as given), sidebar, footer. About 100-250 KB."""
    rng = random.Random(seed)
    target = rng.randrange(100_000, 240_000)
    head = [f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="{charset}" />\n'
            f'<meta http-equiv="X-UA-Compatible" content="IE=edge" />\n<meta name="SiteName" content="{site}"/>\n'
            f'<meta name="ColumnName" content="政府信息公开年报"/>\n<meta name="ArticleTitle" content="{title}"/>\n'
            f'<meta name="PubDate" content="{year + 1}-01-{rng.randrange(10, 31)} 10:{rng.randrange(60):02d}"/>\n'
            f'<title>{title}_{site}</title>\n<link rel="stylesheet" href="/css/common.css" />\n',
            _style(rng, rng.randrange(60, 160))]
    for i in range(rng.randrange(3, 7)):
        head.append(f'<script src="/js/lib{i}.min.js" type="text/javascript"></script>\n')
    head.append("</head>\n")
    header = ['<body>\n<div class="warp info_public_bg">\n<!--头部开始-->\n<div class="header menu_hov"><div class="row">',
              '<div class="logo"><img src="/images/gh_logo.png" /><a href="/"><img src="/images/site_logo.png" /></a></div>',
              '<div class="header_link_01">']
    header += [f'<a href="https://www.gov.cn/" target="_blank" title="{p}" class="btn_base btn_small">{p}</a>'
               for p in _PORTALS]
    header.append('</div><div class="header_link_02"><a href="javascript:;">移动版</a><a href="javascript:;">无障碍</a>'
                  '<a href="javascript:;">登录</a></div></div></div>\n<div class="nav"><ul class="nav_list">')
    for menu in _MENUS:
        header.append(f'<li class="nav_item"><a href="/{rng.randrange(10**6)}/" title="{menu}">{menu}</a>'
                      '<div class="sub_nav"><ul>' + "".join(
                          f'<li><a href="/{rng.randrange(10**6)}/">{rng.choice(_MENUS)}</a></li>'
                          for _ in range(rng.randrange(3, 8))) + "</ul></div></li>")
    header.append("</ul></div>\n")
    crumb = ('<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
             '<a href="/zwgk/xxgk/">政府信息公开</a> &gt; <span>政府信息公开年报</span></div>\n')
    main = ['<div class="main clearflx"><div class="main_left"><div class="article_area">\n',
            f'<div class="article_title"><h1>{title}</h1><div class="article_att"><span>来源：{site}</span>'
            '<span>字号：<a href="javascript:;">大</a> <a href="javascript:;">中</a> <a href="javascript:;">小</a></span>'
            '<span class="share"><a href="javascript:;">微信</a><a href="javascript:;">微博</a></span></div></div>\n',
            article,
            '<div class="article_bottom"><a href="javascript:window.print();">【打印本页】</a>'
            '<a href="javascript:window.close();">【关闭窗口】</a></div>\n</div></div>\n']
    side = ['<div class="main_right"><div class="side_box"><h3>相关文章</h3><ul class="side_list">',
            _links(rng, _RELATED, year, rng.randrange(15, 35), "side"), "</ul></div>",
            '<div class="side_box"><h3>热点专题</h3><ul class="side_list">',
            _links(rng, _RELATED, year, rng.randrange(8, 20), "topic"), "</ul></div></div></div>\n"]
    foot = ['<div class="footer"><div class="footer_links">' + "".join(
                f'<a href="/{rng.randrange(10**6)}/">{m}</a>' for m in ("网站地图", "联系我们", "隐私声明", "网站纠错")) + "</div>",
            f'<p>主办单位：{site}　承办单位：{site}办公室</p>',
            f'<p>版权所有：{site}　网站标识码：{rng.randrange(10**9, 10**10)}　'
            f'闽ICP备{rng.randrange(10**7, 10**8)}号　公网安备 {rng.randrange(10**13, 10**14)}号</p></div>\n</div>\n']
    body = "".join(header) + crumb + "".join(main) + "".join(side) + "".join(foot)
    page = "".join(head) + body
    scripts = []
    left = target - len(page.encode("utf-8"))
    while left > 2000:  # analytics, share widgets, the site's framework: most of a real page's weight
        size = min(left - 1000, rng.randrange(6000, 30000))
        scripts.append(_script(rng, size))
        left -= size + 80
    return page + "".join(scripts) + "</body>\n</html>\n"

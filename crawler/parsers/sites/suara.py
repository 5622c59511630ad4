"""suara.com -- /<section>/YYYY/MM/DD/<HHMMSS>/<slug>."""
from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="suara",
    domains=("suara.com",),
    base_url="https://www.suara.com",
    article_path=r"^/(?P<section>[a-z0-9-]+)/(?P<year>\d{4})/(?P<month>\d{2})/\d{2}/(?P<id>\d{6})/[^/?#]+/?$",
    layouts=(
        Layout(version=1, marker="div.detail-content, article.detail-content, div.article-content",
               headline="h1", byline="a.author-trigger, .author a", dates="div.info-date span, span.mt-10",
               caption="figure figcaption", image="figure img",
               body="div.detail-content, article.detail-content, div.article-content",
               body_skip="p[class*=baca-juga], .ads", tags=".tag-detail a"),
    ),
    listing=Listing(item="div.item, li.item-outer", link="h4 a, a"),
    discovery=Discovery(index=("https://www.suara.com/indeks?page={page}",)),
    date_shapes=("Kamis, 02 November 2023 | 21:34 WIB",),
    dateline="Suara.com -",
)

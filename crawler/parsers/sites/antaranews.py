"""antaranews.com -- NW selectors; 2015-17 template with microdata."""
from datetime import date

from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="antaranews",
    domains=("antaranews.com",),
    base_url="https://www.antaranews.com",
    article_path=r"^/berita/(?P<id>\d+)/[^/?#]+/?$",
    layouts=(
        Layout(version=2, marker=".wrap__article-detail-content", headline=".wrap__article-detail-title, h1.post-title",
               editor=".wrap__article-detail-content .text-muted.mt-2.small",
               dates=".wrap__article-detail-info .list-inline-item.mr-2, span.article-date",
               caption=".wrap__article-detail-image figcaption, figure figcaption", image=".wrap__article-detail-image img, figure img",
               body=".wrap__article-detail-content", body_skip=".baca-juga, .text-muted, .adsbygoogle", tags=".blog-tags a"),
        Layout(version=1, marker="#content_news", valid_until=date(2017, 12, 31), headline="h1[itemprop=headline], h1",
               byline=".byline span[itemprop=author]", editor="span[itemprop=editor]",
               caption="#caption_news", image="#image_news img", body="#content_news", body_skip="p.mt10, p.date"),
    ),
    listing=Listing(item="article.simple-post, div.latest-news article", link="h3 a"),
    discovery=Discovery(index=("https://www.antaranews.com/terkini?page={page}",)),
    date_shapes=("Kamis, 5 November 2015 14:56 WIB", "Selasa, 23 Februari 2016 15:06 WIB | 998 Views"),
    dateline="Jakarta (ANTARA) -",
    credit="'(ANTARA FOTO/Name)' at the end of the caption",
)

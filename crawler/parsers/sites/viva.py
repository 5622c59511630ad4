"""viva.co.id -- indonesian-sites.md (NW selectors; 2016 template from the anpandu captures).

Current (v2): h1.main-content-title, div.main-content-date 'Selasa, 22 Juli 2025 - 17:20 WIB',
div.main-content-author, div.main-content-detail minus div.recommended-article ('Baca Juga') and
div.widget-other-article; long articles are paged (?page=N, ?page=all joins them); /indeks lists
div.article-list-row items.
2016 (v1): article.article-detail > div.title h1, div.date 'Selasa, 16 Februari 2016 | 13:01 WIB',
div.author 'Oleh : <b>Name</b>', div.photodesc 'caption.<b> (Credit)</b>', body
span[itemprop=articleBody] inside div#article-content (share aside and ad portlets beside it);
in-body photo captions '… Foto: Grammy' are printed as paragraphs; index ul.indexlist li a.
"""
from datetime import date

from crawler.parsers.profile import Discovery, Layout, Listing, Pagination, Profile

PROFILE = Profile(
    name="viva",
    domains=("viva.co.id",),
    base_url="https://www.viva.co.id",
    # /berita/nasional/1485778-<slug>, /otomotif/mobil/1234562-<slug>, /berita/1234561-<slug>;
    # 2016: life.viva.co.id/showbiz/read/736460-<slug>, politik.news.viva.co.id/news/read/736458-<slug>
    article_path=r"^/(?:berita/(?=[a-z]))?(?P<section>[a-z0-9-]+)/(?:read/|[a-z0-9-]+/)?(?P<id>\d{5,})-[^/?#]+/?$",
    layouts=(
        Layout(version=2, marker="h1.main-content-title, div.main-content-detail", headline="h1.main-content-title",
               byline="div.main-content-author li", dates="div.main-content-date",
               image="div.main-content-image img", body="div.main-content-detail",
               body_skip="div.recommended-article, div.widget-other-article, .pagination-detail, .ads"),
        Layout(version=1, marker="article.article-detail", valid_until=date(2017, 12, 31),
               headline="article.article-detail div.title h1", byline="article.article-detail div.author",
               dates="article.article-detail div.date", caption="article.article-detail div.photodesc",
               caption_credit="article.article-detail div.photodesc b",
               image="article.article-detail div.thumbcontainer img",
               body="div#article-content span[itemprop=articleBody], div#article-content",
               body_skip="aside, div.portlet, blockquote"),
    ),
    listing=Listing(item="div.article-list-row, ul.indexlist li", link="a.article-list-title, li > a",
                    date="div.article-list-date span, div.upperdeck"),
    discovery=Discovery(index=("https://www.viva.co.id/indeks?page={page}",)),
    pagination=Pagination(mode="all", all_query="page=all"),
    date_shapes=("Selasa, 22 Juli 2025 - 17:20 WIB", "Selasa, 16 Februari 2016 | 13:01 WIB"),
    dateline="VIVA.co.id -",
    credit="2016: div.photodesc 'caption.<b> (Grammy)</b>'; in-body '… Foto: Grammy'",
)

"""kompas.com -- facts 4-6; 2015-16 'kcm' template."""
from datetime import date

from crawler.parsers.profile import Discovery, Layout, Listing, Pagination, Profile

PROFILE = Profile(
    name="kompas",
    domains=("kompas.com",),
    base_url="https://www.kompas.com",
    article_path=r"^/read/(?:xml/)?(?P<year>\d{4})/(?P<month>\d{2})/\d{2}/(?P<id>\d{8,9})/[^/?#]+/?$",
    layouts=(
        Layout(
            version=2,
            marker="h1.read__title",
            headline="h1.read__title",
            byline=".credit-title-name h6, #penulis a",
            editor="meta[name=content_editor]",
            dates="div.read__time",
            caption=".photo__caption",
            caption_credit="span.photo__author",
            image=".photo__wrap img, .photo img",
            body="div.read__content",
            body_skip="[class^=inject-baca-juga], .inject-baca-juga, .kompasidRec, .ads-on-body, .read__paging",
            tags=".tag__article__wrap a, ul.tag__article__wrap a",
        ),
        Layout(
            version=1,
            # 2015-16 'kcm' template (anpandu captures); otomotif used div.baca-content
            marker="div.kcm-read-top, div.kcm-read-content-top, div.kcm-date, div.baca-content",
            valid_until=date(2016, 12, 31),
            headline="div.kcm-read-top h2, div.kcm-read-content-top h2, div.baca-content h1",
            dates="div.kcm-read-top div.msmall, div.kcm-read-content-top div.msmall, div.kcm-date",
            body="div.kcm-read-text, div.kcm-read-content-text, div.content-text",
        ),
    ),
    listing=Listing(item="div.articleItem", link="a.article-link", headline="h2.articleTitle", date="div.articlePost-date"),
    discovery=Discovery(index=("https://indeks.kompas.com/?page={page}",),
                        dated_index="https://indeks.kompas.com/?site=all&date={date}&page={page}"),
    pagination=Pagination(mode="all", all_query="page=all"),
    date_shapes=("Kompas.com - 02/11/2023, 21:34 WIB", "Rabu, 12 Oktober 2016 | 10:23 WIB"),
    dateline="JAKARTA, KOMPAS.com -",
    credit="span.photo__author inside .photo__caption",
)

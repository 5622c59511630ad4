"""okezone.com -- /read/YYYY/MM/DD/<cat>/<id>/<slug>."""
from datetime import date

from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="okezone",
    domains=("okezone.com",),
    base_url="https://news.okezone.com",
    article_path=r"^/read/(?P<year>\d{4})/(?P<month>\d{2})/\d{2}/(?P<section>\d+)/(?P<id>\d+)/[^/?#]+/?$",
    layouts=(
        Layout(version=2, marker=".c-detail.read", headline=".title-article h1, h1",
               byline=".journalist a[title]", dates=".journalist span", caption="div.caption-img-ab p, .caption-img",
               image="#imgCheck, .detail-img img", body=".c-detail.read",
               body_skip="[class^=inject-], [class^=banner], .detads"),
        # 2015-17 captures: div.titles h1 / div.title-detail h1; author div.nmreporter or
        # "<b>Name</b> | Jum'at, 17 Februari 2017 - 13:30 wib"; body div#contentx or div.ctn-desc
        Layout(version=1, marker="div#contentx, div.ctn-desc, div.title-detail, div.detail-page",
               valid_until=date(2017, 12, 31),
               headline="div.titles h1, div.title-detail h1, .title-article h1",
               byline="div.nmreporter div, div.title-detail > span > b", dates="div.namerep b, div.title-detail > span, .journalist span",
               caption="div.caption-img-ab p, .caption-img", image="#imgCheck, .detail-img img, div.ctn-images img",
               body="div#contentx, div.ctn-desc",
               body_skip="[class^=inject-], [class^=banner], .detads, #AdAsia"),
    ),
    listing=Listing(item="li.col-md-12, div.list-berita li", link="h4 a, a"),
    discovery=Discovery(index=("https://index.okezone.com/?page={page}",)),
    date_shapes=("Kamis, 5 November 2015 - 15:56 wib", "| Jum'at, 17 Februari 2017 - 13:30 wib"),
    dateline="JAKARTA -",
    credit="'(Foto: Usnews)' at the end of the caption",
)

"""okezone.com -- /read/YYYY/MM/DD/<cat>/<id>/<slug>."""
from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="okezone",
    domains=("okezone.com",),
    base_url="https://news.okezone.com",
    article_path=r"^/read/(?P<year>\d{4})/(?P<month>\d{2})/\d{2}/(?P<section>\d+)/(?P<id>\d+)/[^/?#]+/?$",
    layouts=(
        Layout(version=1, marker=".c-detail.read, div#contentx", headline=".title-article h1, h1",
               byline=".journalist a[title]", dates=".journalist span, div.namerep b", caption="div.caption-img-ab p, .caption-img",
               image="#imgCheck, .detail-img img", body=".c-detail.read, div#contentx",
               body_skip="[class^=inject-], [class^=banner], .detads"),
    ),
    listing=Listing(item="li.col-md-12, div.list-berita li", link="h4 a, a"),
    discovery=Discovery(index=("https://index.okezone.com/?page={page}",)),
    date_shapes=("Kamis, 5 November 2015 - 15:56 wib", "| Jum'at, 17 Februari 2017 - 13:30 wib"),
    dateline="JAKARTA -",
    credit="'(Foto: Usnews)' at the end of the caption",
)

"""republika.co.id -- /berita/<id>/<slug>; 2016-17 'Rep:/Red:' byline."""
from datetime import date

from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="republika",
    domains=("republika.co.id",),
    base_url="https://www.republika.co.id",
    article_path=r"^/berita/(?:[a-z0-9-]+/[a-z0-9-]+/\d{2}/\d{2}/\d{2}/)?(?P<id>[a-z0-9]{6,})(?:-[^/?#]+)?/?[^/?#]*$",
    layouts=(
        Layout(version=2, marker="div.article-content", headline="h1", byline="div.date-publish span, .writer",
               dates="div.date-publish, .date-publish span", caption="div.caption, figcaption", image="div.main-img img, figure img",
               body="div.article-content", body_skip=".baca-juga, .picked-article, .ads"),
        Layout(version=1, marker="div.wrap-head, div.content-detail", valid_until=date(2017, 12, 31),
               headline="div.wrap-head h1, div.wrap-head h2", byline="div.red", dates="div.date-detail, div.wrap-head div.date",
               caption="div.caption", body="div.content-detail"),
    ),
    listing=Listing(item="div.conten1, li.list-group-item", link="h2 a, h3 a, a"),
    discovery=Discovery(index=("https://www.republika.co.id/indeks?page={page}",)),
    date_shapes=("Senin, 15 Februari 2016, 16:15 WIB", "Jumat , 17 February 2017, 13:16 WIB"),
    dateline="REPUBLIKA.CO.ID, JAKARTA --",
)

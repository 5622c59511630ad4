"""republika.co.id -- /berita/<id>/<slug>; 2016-17 'Rep:/Red:' byline."""
from datetime import date

from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="republika",
    domains=("republika.co.id",),
    base_url="https://www.republika.co.id",
    # /berita/<id>/<slug>; 2016-17 /berita/<rubrik>/<sub>/YY/MM/DD/<code>-<slug>
    article_path=r"^/berita/(?:[a-z0-9-]+/[a-z0-9-]+/(?P<year>\d{2})/(?P<month>\d{2})/\d{2}/)?(?P<id>[a-z0-9]{6,})(?:-[^/?#]+)?/?[^/?#]*$",
    layouts=(
        Layout(version=2, marker="div.article-content", headline="h1", byline=".writer", editor=".writer",
               dates="div.date-publish, .date-publish span", caption="div.caption, figcaption", image="div.main-img img, figure img",
               body="div.article-content", body_skip=".baca-juga, .picked-article, .ads"),
        # 2016-17 (RJ + captures): news div.wrap-head + div.content-detail; sister brands
        # (ihram) div.wrap-title + div.teaser; photo stories div.index-photo
        Layout(version=1, marker="div.wrap-head, div.content-detail, div.wrap-title, div.index-photo",
               valid_until=date(2017, 12, 31),
               headline="div.wrap-head h1, div.wrap-head h2, div.wrap-title div.h5, div.jdl-pic",
               byline="div.red", dates="div.date-detail, div.wrap-head div.date, div.date-pic",
               caption="div.caption, div.set-cp", image="div.img-detail img, div.big-image img",
               body="div.content-detail, div.teaser, div.teaser-pic"),
    ),
    listing=Listing(item="div.conten1, li.list-group-item", link="h2 a, h3 a, a"),
    discovery=Discovery(index=("https://www.republika.co.id/indeks?page={page}",)),
    date_shapes=("Senin, 15 Februari 2016, 16:15 WIB", "Jumat , 17 February 2017, 13:16 WIB"),
    dateline="REPUBLIKA.CO.ID, JAKARTA --",
)

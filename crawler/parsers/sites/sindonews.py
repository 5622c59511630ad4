"""sindonews.com -- /read/<id>/<cat>/<slug>-<unix ts>; RSS /feed."""
from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="sindonews",
    domains=("sindonews.com",),
    base_url="https://www.sindonews.com",
    article_path=r"^/read/(?P<id>\d+)/(?P<section>\d+)/[^/?#]+-\d{9,11}/?$",
    layouts=(
        Layout(version=1, marker=".detail-desc", headline="h1", byline=".detail-nama-redaksi a, .warp-nama-redaksi a",
               dates=".detail-date-artikel", caption=".detail-img figcaption, .caption-img", image=".detail-img img",
               body=".detail-desc", body_skip="[class^=baca-juga], [class^=lihat-juga], [class^=related], .ads, .sindo-ads",
               tags=".detail-tag a"),
    ),
    listing=Listing(item="div.indeks-rows", link="div.indeks-title a, a", date="div.indeks-date"),
    discovery=Discovery(index=("https://index.sindonews.com/index/{offset}",), page_size=20, rss=("https://www.sindonews.com/feed",)),
    date_shapes=("Kamis, 13 Oktober 2016 - 11:18 WIB", "Jum'at, 14 Oktober 2016 - 09:00 WIB"),
)

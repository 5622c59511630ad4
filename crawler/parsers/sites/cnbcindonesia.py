"""cnbcindonesia.com -- /<section>/<YYYYMMDDHHMMSS>-<n>-<id>/<slug>; Tailwind classes (brittle)."""
from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="cnbcindonesia",
    domains=("cnbcindonesia.com",),
    base_url="https://www.cnbcindonesia.com",
    article_path=r"^/(?P<section>[a-z0-9-]+)/(?P<year>\d{4})(?P<month>\d{2})\d{8}-\d+-(?P<id>\d+)/[^/?#]+/?$",
    layouts=(
        Layout(version=1, marker="div.detail-text", headline="h1", byline="div.mb-1.text-base.font-semibold",
               dates="div.text-cm.text-gray", caption="figure figcaption", image="figure img",
               body="div.detail-text", body_skip="[class^=sisip_], .link_sisip, .sisip_embed_sosmed"),
    ),
    listing=Listing(item="article", link="a"),
    discovery=Discovery(dated_index="https://www.cnbcindonesia.com/news/indeks/3?date={date}&tipe=artikel&page={page}",
                        date_format="%d/%m/%Y", rss=("https://www.cnbcindonesia.com/rss",)),
    date_shapes=("25 July 2024 07:02",),
    dateline="Jakarta, CNBC Indonesia -",
)

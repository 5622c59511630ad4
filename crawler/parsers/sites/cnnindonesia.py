"""cnnindonesia.com -- URL id encodes the publish time; RSS per channel."""
from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="cnnindonesia",
    domains=("cnnindonesia.com",),
    base_url="https://www.cnnindonesia.com",
    article_path=r"^/(?P<section>[a-z0-9-]+)/(?P<year>\d{4})(?P<month>\d{2})\d{8}-\d+-(?P<id>\d+)/[^/?#]+/?$",
    layouts=(
        Layout(version=2, marker="div.detail-text, div.detail_text", headline="h1",
               byline="span.text-cnn_red, div.author strong", dates="div.text-cnn_grey, div.date",
               caption="figure figcaption", image="figure img", body="div.detail-text, div.detail_text",
               body_skip="table.pic_artikel_sisip_table, table.linksisip, .paradetail, .parallax_detail", tags="a.tag, .detail-tags a"),
    ),
    listing=Listing(item="article", link="a"),
    discovery=Discovery(index=("https://www.cnnindonesia.com/indeks?page={page}",),
                        rss=tuple(f"https://www.cnnindonesia.com/{c}/rss" for c in
                                  ("nasional", "internasional", "ekonomi", "teknologi", "olahraga", "hiburan", "gaya-hidup"))),
    date_shapes=("Senin, 10/10/2016 05:12", "Senin, 24 Jun 2020 19:05 WIB"),
    dateline="Jakarta, CNN Indonesia --",
)

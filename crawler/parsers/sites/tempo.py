"""tempo.co -- per-site notes; visible '12 September 2025 | 15.22 WIB'."""
from datetime import date

from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="tempo",
    domains=("tempo.co",),
    base_url="https://www.tempo.co",
    article_path=r"^/(?:read|amp)/(?:news/(?P<year>\d{4})/(?P<month>\d{2})/\d{2}/)?(?P<id>\d{3,})/[^/?#]+/?$",
    layouts=(
        Layout(version=2, marker="div.detail-content", headline="div.detail-title h1, article h1, h1", byline="meta[name=author]",
               dates="p.date, span.date, div.date", caption="figure figcaption", image="figure img",
               body="div.detail-content", body_skip=".ads, .bacajuga, .baca-juga", tags=".tags a"),
        # 2015-16: div.artikel > h1 + div.block-tanggal, caption div.deskripsi
        Layout(version=1, marker="div.artikel, div.block-tanggal, div.tubuh-berita", valid_until=date(2017, 12, 31),
               headline="div.artikel h1, div.judul-konten, h1",
               dates="div.block-tanggal, h5.tanggal, span.date-news-detail, div.kolom-2-kolom div.tanggal",
               caption="div.block-display div.deskripsi, div.foto-desc", image="div.single-img img, div.foto-konten img",
               # en.tempo.co 2015: div.judul-konten + div.tubuh-berita
               body="div.artikel, div.tubuh-berita", body_skip="ul.block-kanal-map, div.block-tanggal, div.block-display, h1"),
    ),
    listing=Listing(item="ul.list-terkini li, div.card-box", link="h3 a, h2 a", date="span.date"),
    discovery=Discovery(index=("https://www.tempo.co/indeks?page={page}",)),
    date_shapes=("12 September 2025 | 15.22 WIB", "Kamis, 05 November 2015 | 11:13 WIB"),
    dateline="TEMPO.CO, Jakarta -",
)

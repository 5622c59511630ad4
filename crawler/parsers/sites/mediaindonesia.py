"""mediaindonesia.com -- 'caption(credit)' glued; 'd/m/yyyy HH:MM' without WIB."""
from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="mediaindonesia",
    domains=("mediaindonesia.com",),
    base_url="https://mediaindonesia.com",
    article_path=r"^/(?P<section>[a-z0-9-]+)/(?P<id>\d+)/[^/?#]+/?$",
    layouts=(
        Layout(version=1, marker="div.article", headline="h1", byline="div.info div.author-2",
               editor="div.editor a.author", dates="span.datetime", caption="figure.main-img figcaption",
               image="figure.main-img img", body="div.article",
               body_skip="p.related-news, .flying-carpet, .ext-channel, .info-author, ._ap_apex_ad, .dfp-ad", tags="div.tag a"),
    ),
    listing=Listing(item="ul.list-3 li", link="div.text a"),
    discovery=Discovery(index=("https://mediaindonesia.com/terkini?page={page}",)),
    date_shapes=("20/1/2026 18:30", "22/10/2025 06:59"),
    credit="figcaption 'caption(credit)' with no space",
)

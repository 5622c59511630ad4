"""jpnn.com -- /news/<slug>; 'Redaktur & Reporter : Boy'; initials '(boy/jpnn)'."""
from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="jpnn",
    domains=("jpnn.com",),
    base_url="https://www.jpnn.com",
    # the slug is the id; many slugs end in the numeric id of the older CMS
    article_path=r"^/(?P<section>news)/(?P<id>[a-z0-9-]+)/?$",
    layouts=(
        Layout(version=1, marker="div[itemprop=articleBody]", headline="h1.judul, h1",
               editor="p.waktu", dates="span.date-publish", caption="div.caption", image="div.photo img, figure img",
               body="div[itemprop=articleBody]", body_skip="div.baca-juga, p.waktu, .ads", tags="div.tag a"),
    ),
    listing=Listing(item="ul.content-list li, div.content-list li", link="h1 a, h2 a, a"),
    discovery=Discovery(index=("https://www.jpnn.com/indeks?page={page}",)),
    date_shapes=("Minggu, 18 Juli 2021 – 18:52 WIB",),
    dateline="jpnn.com, JAKARTA -",
    credit="div.caption '… (ANTARA/Facebook/Name)'",
)

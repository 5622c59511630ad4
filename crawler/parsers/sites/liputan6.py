"""liputan6.com -- 'oleh X diperbarui …' / 'Diterbitkan …' labelled dates; 2016 template."""
from crawler.parsers.profile import Discovery, Layout, Listing, Profile

PROFILE = Profile(
    name="liputan6",
    domains=("liputan6.com",),
    base_url="https://www.liputan6.com",
    article_path=r"^/(?P<section>[a-z0-9-]+)/read/(?P<id>\d+)/[^/?#]+/?$",
    layouts=(
        Layout(version=2, marker="div.article-content-body", headline="h1.read-page--header--title, h1[itemprop=headline], h1",
               byline=".read-page--header--author__name", dates=".read-page--header--author__datetime-wrapper, time[itemprop=datePublished]",
               caption="figcaption.read-page--photo-gallery--item__caption", image="picture.read-page--photo-gallery--item__picture img",
               body="div.article-content-body", body_skip=".baca-juga-collections, .article-content-body__item-media",
               tags=".tags--snippet__name"),
        Layout(version=1, marker="div.read-page--content, time.read-page--header__datetime", headline="h1[itemprop=headline], h1",
               byline="span.read-page--header--author__name", caption="figcaption.read-page--photo-gallery--item__caption",
               body="div.text-detail, div[itemprop=articleBody]"),
    ),
    listing=Listing(item="article.articles--iridescent-list--item, article", link="h4 a, a.ui--a"),
    discovery=Discovery(index=("https://www.liputan6.com/news/indeks?page={page}",)),
    date_shapes=("diperbarui 20 Agu 2021, 15:35 WIB", "Diterbitkan 20 Agu 2021, 00:01 WIB", "on 16 Feb 2016 at 09:10 WIB"),
    dateline="Liputan6.com, Jakarta -",
)

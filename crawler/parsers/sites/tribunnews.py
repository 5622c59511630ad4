"""tribunnews.com -- /<section>/YYYY/MM/DD/<slug>, in-article ?page=N."""
from crawler.parsers.profile import Discovery, Layout, Listing, Pagination, Profile

PROFILE = Profile(
    name="tribunnews",
    domains=("tribunnews.com",),
    base_url="https://www.tribunnews.com",
    # no numeric id in the URL: the date+slug path is the article's id
    article_path=r"^/(?P<section>[a-z0-9-]+)/(?P<id>(?P<year>\d{4})/(?P<month>\d{2})/\d{2}/[a-z0-9-]+)/?$",
    layouts=(
        Layout(version=1, marker="h1#arttitle", headline="h1#arttitle", byline="div#penulis a, div#penulis",
               editor="div#editor a, div#editor", dates="time.grey", caption="div.arial.f12.pt5.grey2",
               caption_credit="div.f11.white", image="div.imgfull_div img, div#artimg img",
               body="div.side-article.txt-article", body_skip="p.baca, div.paging, .ads-placeholder, div.sumber",
               tags="div.tagcloud3 a, h5.tagcloud3 a"),
    ),
    listing=Listing(item="li.ptb15, div.lsi li", link="h3 a, a", date="time"),
    discovery=Discovery(index=("https://www.tribunnews.com/index-news?page={page}",),
                        dated_index="https://www.tribunnews.com/index-news/news?date={date}&page={page}",
                        sitemaps=("https://www.tribunnews.com/sitemap-news.xml",)),
    pagination=Pagination(mode="follow", page_links="div.paging a"),
    date_shapes=("Senin, 4 Mei 2020 04:25 WIB",),
    dateline="TRIBUNNEWS.COM -",
    credit="credit overlay div.f11.white, caption div.arial.f12.pt5.grey2",
)

"""detik.com -- indonesian-sites.md facts 1-3, 7, 9, 11 and the 2015-16 template."""
from datetime import date

from crawler.parsers.profile import Discovery, Layout, Listing, Pagination, Profile

PROFILE = Profile(
    name="detik",
    domains=("detik.com",),
    base_url="https://news.detik.com",
    # /<section>/d-<id>/<slug>; old /read/YYYY/MM/DD/HHMMSS/<id>/<kanal>/<slug>
    article_path=r"^/(?:(?P<section>[a-z0-9-]+)/d-|read(?:foto)?/(?P<year>\d{4})/(?P<month>\d{2})/\d{2}/\d{6}/)(?P<id>\d{5,})/.*$",
    layouts=(
        Layout(
            version=2,
            marker="h1.detail__title",
            headline="h1.detail__title",
            byline="div.detail__author",
            dates="div.detail__date",
            caption="figure.detail__media-image figcaption, figcaption.detail__media-caption",
            image="figure.detail__media-image img",
            body="div.detail__body-text",
            body_skip="div.parallaxindetail, table.linksisip, div.lihatjg, .staticdetail_container, .staticdetail_ads, .detail__long-nav, .detail__anchor-numb",
            tags="div.detail__body-tag a",
        ),
        Layout(
            version=1,
            # 2015-17: div.detail_area > h1.jdl (RJ, MC); 2015-16 captures: div.content_detail
            # > h1 + div.author + div.date + div.text_detail (photo pages: div.text_gal)
            marker="div.jdl h1, div.detail_area h1.jdl, div.content_detail h1",
            valid_until=date(2017, 12, 31),
            headline="div.jdl h1, h1.jdl, div.content_detail h1",
            byline="div.jdl div.author strong, div.content_detail div.author strong, div.author strong",
            dates="div.jdl div.date, div.content_detail div.date, div.date",
            caption="div.pic_artikel span",
            image="div.pic_artikel img, img.bigpic",
            body="div.detail_text, div.itp_bodycontent, div.text_detail, div.text_gal",
            body_skip="table.linksisip, .lihatjg, .leftarticle, .label_fokus",
        ),
    ),
    listing=Listing(item="article.list-content__item", link="h3.media__title a", date=".media__date span[title]",
                    next="a.pagination__item[rel=next]"),
    discovery=Discovery(
        index=("https://news.detik.com/indeks?page={page}",),
        dated_index="https://news.detik.com/indeks?page={page}&date={date}",
        date_format="%m/%d/%Y",
        sitemaps=("https://news.detik.com/berita/sitemap_news.xml", "https://finance.detik.com/sitemap_news.xml"),
    ),
    pagination=Pagination(mode="follow", page_links="div.detail__long-nav a, a.detail__anchor-numb"),
    date_shapes=("Kamis, 02 Nov 2023 20:59 WIB", "Kamis, 05/11/2015 10:08 WIB", "Sabtu 08 Oct 2016"),
    dateline="<strong>Jakarta</strong> - (outside the first <p>)",
    credit="caption '… (Foto: Getty Images/…)' inside the figcaption",
)

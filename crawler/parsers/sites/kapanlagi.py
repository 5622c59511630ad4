"""kapanlagi.com -- indonesian-sites.md 'Old templates' + the anpandu 2015-16 captures; listing via RSS.

2015-16 (v1): www pages 'entertainment-*' (h1.entertainment-newsdetail-title-new, date
span.newsdetail-schedule-new 'Kamis, 05 November 2015 11:52' with no zone: WIB), musik.kapanlagi.com
its own 'v7-music-*' template; headline photo credited in div.copyright 'Brandon Salim/©KapanLagi.com®/
M. Akrom Sukarya'; in-body photos in div.entertainment-newsdetail-image-caption (caption + credit in
the img alt and again as text); 'Jangan Lewatkan!' links (a[target=_blank] after an h2) and a video
iframe inside the body; editor initials '(kpl/pur/tch)' close it; no byline; the pages declare
<html lang="en"> although they are Indonesian.
Current (v2): body div.body-paragraph (public scrapers); everything else from JSON-LD / OpenGraph.
"""
from datetime import date

from crawler.parsers.profile import Discovery, Layout, Profile

PROFILE = Profile(
    name="kapanlagi",
    domains=("kapanlagi.com",),
    base_url="https://www.kapanlagi.com",
    # /showbiz/film/indonesia/<slug>-82f43b.html, musik.: /berita/<slug>-c1994d.html, /korea/<slug>-52ba0c.html:
    # the id is the 6-hex suffix (tag pages /ragam/tag-populer/x_y.html and galleries have none)
    article_path=r"^/(?P<section>[a-z0-9-]+)/(?:[a-z0-9-]+/)*[a-z0-9-]+-(?P<id>[0-9a-f]{6})\.html$",
    layouts=(
        # in-body photos keep the 2015 caption div; the lead photo's caption markup is not known
        Layout(version=2, marker="div.body-paragraph", body="div.body-paragraph",
               body_skip="div.entertainment-newsdetail-image-caption, .baca-juga, .ads"),
        Layout(
            version=1,
            marker="div.entertainment-detail-news, div.v7-music-detail-news, span.newsdetail-schedule-new",
            valid_until=date(2017, 12, 31),
            headline="h1.entertainment-newsdetail-title-new, h1.v7-music-newsdetail-title, div#newsdetail-right-new h1",
            dates="span.newsdetail-schedule-new, span.v7-music-newsdetail-schedule",
            caption="div.entertainment-newsdetail-headlineimg div.copyright, div#v7-music-newsdetail-imageinfo",
            image="div.entertainment-newsdetail-headlineimg img, div#v7-music-newsdetail-image-headline img",
            body="div.entertainment-detail-news, div.v7-music-detail-news",
            # 'Jangan Lewatkan!' heading + its links; photos with their caption; the lifestyle plug
            body_skip="h2, a[target='_blank'], div.entertainment-newsdetail-image-caption, "
                      "div.music-newsdetail-image-caption, div.lifestyle-tag-in-content, span.simak",
            tags="div.v7-tags-terkait-warper li a",
        ),
    ),
    discovery=Discovery(rss=("https://www.kapanlagi.com/feed/",)),
    date_shapes=("Kamis, 05 November 2015 11:52", "Selasa, 23 Februari 2016 11:22"),
    dateline="Kapanlagi.com -",
    credit="'caption/©KapanLagi.com®/Photographer' (div.copyright, in-body caption), 'caption © Instagram.com'",
)

"""kumparan.com -- /<user>/<slug>-<id>; sitemap + RSS; JSON-LD and meta carry the fields."""
from crawler.parsers.profile import Discovery, Layout, Profile

PROFILE = Profile(
    name="kumparan",
    domains=("kumparan.com",),
    base_url="https://kumparan.com",
    article_path=r"^/(?P<section>[a-z0-9-]+)/[a-z0-9-]+-(?P<id>[0-9a-zA-Z]{20,})/?(?:full)?$",
    layouts=(
        Layout(version=1, marker="div.article-content, [data-qa-id=story-content]", headline="h1, [data-qa-id=story-title]",
               byline="[data-qa-id=author-name], meta[name=author]", dates="[data-qa-id=date-time]",
               caption="[data-qa-id=image-caption], figure figcaption", body="div.article-content, [data-qa-id=story-content]"),
    ),
    discovery=Discovery(sitemaps=("https://kumparan.com/sitemap.xml",), rss=("https://lapi.kumparan.com/v2.0/rss/",)),
    date_shapes=("2 November 2023 21:34 WIB",),
)

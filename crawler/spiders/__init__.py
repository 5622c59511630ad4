"""Scrapy spiders: one per site, each a thin discovery layer over ArchiveSpider."""

"""Scrapy commands that Warta overrides (see COMMANDS_MODULE in crawler.settings)."""
